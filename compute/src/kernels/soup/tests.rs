//! Model soup: naga validation, the hand value of methods.md §11.2 #17, dtype round trips, bounded
//! buffers however large or many the checkpoints, clear errors, and GPU vs CPU parity. Inputs are
//! written, and outputs read back, by the `safetensors` crate itself.

use super::{CHUNK, SHADER, soup};
use crate::backend::Backend;
use crate::kernels::testing::{Rng, assert_close, gpu, validate};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use std::path::{Path, PathBuf};

#[test]
fn shader_validates() {
    validate(SHADER);
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipec-soup-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Write `tensors` (name, dtype, shape, f32 values) with the reference implementation.
fn write(path: &Path, tensors: &[(&str, Dtype, Vec<usize>, Vec<f32>)]) {
    let bytes: Vec<(String, Vec<u8>, Dtype, Vec<usize>)> = tensors
        .iter()
        .map(|(n, d, s, v)| {
            let raw = match d {
                Dtype::F32 => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                Dtype::F16 => v.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect(),
                _ => v.iter().flat_map(|x| half::bf16::from_f32(*x).to_le_bytes()).collect(),
            };
            (n.to_string(), raw, *d, s.clone())
        })
        .collect();
    let views: Vec<(String, TensorView)> = bytes.iter().map(|(n, raw, d, s)| (n.clone(), TensorView::new(*d, s.clone(), raw).unwrap())).collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

fn read(path: &Path, name: &str) -> (Dtype, Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let t = st.tensor(name).unwrap();
    let mut out = Vec::new();
    let dtype = match t.dtype() {
        Dtype::F32 => super::safetensors::Dtype::F32,
        Dtype::F16 => super::safetensors::Dtype::F16,
        _ => super::safetensors::Dtype::Bf16,
    };
    dtype.decode(t.data(), &mut out);
    (t.dtype(), t.shape().to_vec(), out)
}

#[test]
fn uniform_soup_of_two_checkpoints() {
    let dir = scratch("hand");
    let (a, b, out) = (dir.join("a.safetensors"), dir.join("b.safetensors"), dir.join("soup.safetensors"));
    write(&a, &[("w", Dtype::F32, vec![2], vec![1.0, 2.0]), ("h", Dtype::BF16, vec![1, 2], vec![1.0, 4.0])]);
    write(&b, &[("w", Dtype::F32, vec![2], vec![3.0, -2.0]), ("h", Dtype::BF16, vec![1, 2], vec![3.0, 0.0])]);
    let stats = soup(&Backend::Cpu, &[&a, &b], &[], &out).unwrap();
    assert_eq!(stats.tensors, 2);
    assert_eq!(read(&out, "w"), (Dtype::F32, vec![2], vec![2.0, 0.0]));
    assert_eq!(read(&out, "h"), (Dtype::BF16, vec![1, 2], vec![2.0, 2.0]));
    // Given weights are normalised: 3:1.
    soup(&Backend::Cpu, &[&a, &b], &[3.0, 1.0], &out).unwrap();
    assert_eq!(read(&out, "w").2, [1.5, 1.0]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn buffers_stay_bounded_as_checkpoints_grow() {
    let dir = scratch("bounded");
    let mut rng = Rng::new(5);
    // Many small tensors and many checkpoints hold no more than one chunk's worth...
    let small: Vec<PathBuf> = (0..6).map(|i| dir.join(format!("s{i}.safetensors"))).collect();
    for p in &small {
        let tensors: Vec<(String, Vec<f32>)> = (0..30).map(|t| (format!("t{t:02}"), rng.floats(1000, -1.0, 1.0))).collect();
        let named: Vec<(&str, Dtype, Vec<usize>, Vec<f32>)> = tensors.iter().map(|(n, v)| (n.as_str(), Dtype::F32, vec![1000], v.clone())).collect();
        write(p, &named);
    }
    let refs: Vec<&Path> = small.iter().map(PathBuf::as_path).collect();
    let few = soup(&Backend::Cpu, &refs[..2], &[], &dir.join("few.safetensors")).unwrap();
    let many = soup(&Backend::Cpu, &refs, &[], &dir.join("many.safetensors")).unwrap();
    assert_eq!(few.peak_buffer_bytes, many.peak_buffer_bytes, "more checkpoints and tensors hold no more");
    // ...and a tensor larger than a chunk is streamed in chunks.
    let big: Vec<PathBuf> = (0..2).map(|i| dir.join(format!("b{i}.safetensors"))).collect();
    for (i, p) in big.iter().enumerate() {
        write(p, &[("emb", Dtype::BF16, vec![2 * CHUNK + 3], vec![i as f32; 2 * CHUNK + 3])]);
    }
    let stats = soup(&Backend::Cpu, &[&big[0], &big[1]], &[], &dir.join("big.safetensors")).unwrap();
    assert!(stats.peak_buffer_bytes <= 12 * CHUNK as u64 + 4096, "held {} bytes for a {}-element tensor", stats.peak_buffer_bytes, 2 * CHUNK + 3);
    let (_, shape, values) = read(&dir.join("big.safetensors"), "emb");
    assert_eq!(shape, [2 * CHUNK + 3]);
    assert!(values.iter().all(|v| *v == 0.5));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn mismatched_checkpoints_are_refused_by_name() {
    let dir = scratch("bad");
    let (a, b, c, out) = (dir.join("a.safetensors"), dir.join("b.safetensors"), dir.join("c.safetensors"), dir.join("o.safetensors"));
    write(&a, &[("w", Dtype::F32, vec![2], vec![1.0, 2.0])]);
    write(&b, &[("w", Dtype::F32, vec![1, 2], vec![1.0, 2.0])]);
    std::fs::write(&c, b"not a checkpoint").unwrap();
    let e = soup(&Backend::Cpu, &[&a, &b], &[], &out).unwrap_err();
    assert!(e.contains("b.safetensors: tensor `w` is F32 [1, 2], but") && e.contains("[2]"), "{e}");
    assert!(soup(&Backend::Cpu, &[&a, &c], &[], &out).unwrap_err().contains("c.safetensors: not a valid safetensors file"));
    assert!(soup(&Backend::Cpu, &[&a, &a], &[1.0], &out).unwrap_err().contains("1 weights for 2 checkpoints"));
    assert!(!out.exists(), "a failed soup leaves no output");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn gpu_matches_cpu() {
    let Some(g) = gpu() else { return };
    let dir = scratch("gpu");
    let mut rng = Rng::new(9);
    let paths: Vec<PathBuf> = (0..3).map(|i| dir.join(format!("{i}.safetensors"))).collect();
    for p in &paths {
        write(p, &[("a", Dtype::F32, vec![300, 7], rng.floats(2100, -3.0, 3.0)), ("b", Dtype::F16, vec![5], rng.floats(5, -1.0, 1.0))]);
    }
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    soup(&g, &refs, &[0.2, 0.3, 0.5], &dir.join("gpu.safetensors")).unwrap();
    soup(&Backend::Cpu, &refs, &[0.2, 0.3, 0.5], &dir.join("cpu.safetensors")).unwrap();
    for t in ["a", "b"] {
        assert_close(&read(&dir.join("gpu.safetensors"), t).2, &read(&dir.join("cpu.safetensors"), t).2, 1e-3, 1e-6, t);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_reported_hash_is_the_file_s() {
    let dir = scratch("hash");
    let (a, out) = (dir.join("a.safetensors"), dir.join("o.safetensors"));
    write(&a, &[("w", Dtype::F32, vec![3], vec![1.0, 2.0, 3.0])]);
    let stats = soup(&Backend::Cpu, &[&a, &a], &[], &out).unwrap();
    assert_eq!(stats.blake3, blake3::hash(&std::fs::read(&out).unwrap()).to_hex().to_string());
    let _ = std::fs::remove_dir_all(dir);
}
