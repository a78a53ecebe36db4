//! The pipec side of `bench/kernels.sh`: times one kernel on data the script generated (raw
//! little-endian files, shared with the Python peers) and prints one JSON line with seconds, the
//! backend and this process's peak resident memory. Not a test: numbers go to docs/performance.md.
//!
//!   kernel_bench topk DIR K BACKEND        DIR/{index,queries}.f32 + DIR/dim; writes DIR/pipec_ids.u32
//!   kernel_bench rewards DIR BACKEND       DIR/{offsets,groups}.u32 + DIR/{steps,outcomes}.f32
//!   kernel_bench soup OUT BACKEND IN...    safetensors files

use pipec_compute::kernels::{segments, soup, topk};
use pipec_compute::{Backend, Choice};
use std::path::Path;
use std::time::Instant;

fn floats(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn ints(path: &Path) -> Vec<u32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Peak resident set of this process, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok()).map_or(0.0, |kb| kb / 1024.0)
}

fn backend(name: &str) -> Backend {
    let choice: Choice = name.parse().unwrap_or_else(|e| panic!("{e}"));
    Backend::new(choice).unwrap_or_else(|e| panic!("{e}")).0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_else(|| panic!("usage: see the file's doc comment"));
    match arg(0) {
        "topk" => {
            let dir = Path::new(arg(1));
            let k: usize = arg(2).parse().expect("K");
            let b = backend(arg(3));
            let dim: usize = std::fs::read_to_string(dir.join("dim")).expect("dim").trim().parse().expect("dim");
            let (index, queries) = (floats(&dir.join("index.f32")), floats(&dir.join("queries.f32")));
            let t = Instant::now();
            let hits = topk::search(&b, &queries, &index, dim, k, None).expect("search");
            let secs = t.elapsed().as_secs_f64();
            let ids: Vec<u8> = hits.ids.iter().flat_map(|i| i.to_le_bytes()).collect();
            std::fs::write(dir.join("pipec_ids.u32"), ids).expect("write ids");
            println!(r#"{{"kernel": "topk", "backend": "{}", "seconds": {secs:.4}, "peak_mib": {:.0}}}"#, b.describe(), peak_mib());
        }
        "rewards" => {
            let dir = Path::new(arg(1));
            let b = backend(arg(2));
            let (offsets, groups, steps, outcomes) = (ints(&dir.join("offsets.u32")), ints(&dir.join("groups.u32")), floats(&dir.join("steps.f32")), floats(&dir.join("outcomes.f32")));
            let t = Instant::now();
            // G-RA: the outcome's gate broadcast to every step, step rewards credited under it,
            // summed per trajectory; and the discounted return of every gated step.
            let gate: Vec<f32> = outcomes.iter().map(|o| if *o >= 0.0 { 1.0 } else { 0.0 }).collect();
            let gate = segments::run(&b, segments::Op::Broadcast, &offsets, &gate).expect("broadcast");
            let gated: Vec<f32> = steps.iter().zip(&gate).map(|(s, g)| s * g).collect();
            let credit = segments::run(&b, segments::Op::Sum, &offsets, &gated).expect("sum");
            let returns: Vec<f32> = outcomes.iter().zip(&credit).map(|(o, c)| o + c).collect();
            let discounted = segments::run(&b, segments::Op::Discounted { gamma: 0.99 }, &offsets, &gated).expect("discounted");
            // GRPO: z-score of each trajectory's return within its group.
            let mean = segments::run(&b, segments::Op::Mean, &groups, &returns).expect("mean");
            let std = segments::run(&b, segments::Op::Std, &groups, &returns).expect("std");
            let (mean, std) = (segments::run(&b, segments::Op::Broadcast, &groups, &mean).expect("b"), segments::run(&b, segments::Op::Broadcast, &groups, &std).expect("b"));
            let adv: Vec<f32> = returns.iter().zip(&mean).zip(&std).map(|((r, m), s)| (r - m) / (s + 1e-6)).collect();
            let secs = t.elapsed().as_secs_f64();
            let check: f64 = adv.iter().map(|a| *a as f64 * *a as f64).sum::<f64>() + discounted.iter().map(|d| *d as f64).sum::<f64>();
            println!(r#"{{"kernel": "rewards", "backend": "{}", "seconds": {secs:.4}, "peak_mib": {:.0}, "checksum": {check:.3}}}"#, b.describe(), peak_mib());
        }
        "soup" => {
            let out = Path::new(arg(1));
            let b = backend(arg(2));
            let inputs: Vec<&Path> = args[3..].iter().map(Path::new).collect();
            let t = Instant::now();
            let stats = soup::soup(&b, &inputs, &[], out).expect("soup");
            let secs = t.elapsed().as_secs_f64();
            println!(r#"{{"kernel": "soup", "backend": "{}", "seconds": {secs:.4}, "peak_mib": {:.0}, "bytes": {}}}"#, b.describe(), peak_mib(), stats.bytes);
        }
        other => panic!("unknown kernel {other}"),
    }
}
