//! The CPU twin of the segment kernels: segments split into contiguous groups, one rayon task
//! per group, each a tight sequential loop.

use super::Op;
use rayon::prelude::*;

pub fn run(op: Op, offsets: &[u32], values: &[f32]) -> Vec<f32> {
    let segments = offsets.len() - 1;
    if op.reduces() {
        return (0..segments).into_par_iter().with_min_len(4096).map(|s| reduce(op, &values[offsets[s] as usize..offsets[s + 1] as usize])).collect();
    }
    let mut out = vec![0.0f32; offsets[segments] as usize];
    // Contiguous groups of segments, each owning its slice of `out`.
    let per = segments.div_ceil(rayon::current_num_threads() * 8).max(1);
    let mut parts = Vec::new();
    let mut rest = out.as_mut_slice();
    for s0 in (0..segments).step_by(per) {
        let s1 = (s0 + per).min(segments);
        let (head, tail) = rest.split_at_mut((offsets[s1] - offsets[s0]) as usize);
        parts.push((s0, s1, head));
        rest = tail;
    }
    parts.into_par_iter().for_each(|(s0, s1, part)| {
        let base = offsets[s0] as usize;
        for s in s0..s1 {
            let (a, b) = (offsets[s] as usize, offsets[s + 1] as usize);
            elementwise(op, s, values, a, &mut part[a - base..b - base]);
        }
    });
    out
}

fn reduce(op: Op, xs: &[f32]) -> f32 {
    let n = xs.len() as f32;
    match op {
        Op::Sum => xs.iter().sum(),
        Op::Max => xs.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        Op::Mean if xs.is_empty() => 0.0,
        Op::Mean => xs.iter().sum::<f32>() / n,
        Op::Std if xs.is_empty() => 0.0,
        Op::Std => {
            let mean = xs.iter().sum::<f32>() / n;
            (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n).sqrt()
        }
        _ => unreachable!("per-element ops do not reduce"),
    }
}

/// Segment `s` (values from `start`) into `out`, its slice of the output.
fn elementwise(op: Op, s: usize, values: &[f32], start: usize, out: &mut [f32]) {
    match op {
        Op::Shift { fill } => {
            if let Some(first) = out.first_mut() {
                *first = fill;
            }
            for i in 1..out.len() {
                out[i] = values[start + i - 1];
            }
        }
        Op::Broadcast => out.fill(values[s]),
        Op::Discounted { gamma } => {
            let mut acc = 0.0;
            for i in (0..out.len()).rev() {
                acc = values[start + i] + gamma * acc;
                out[i] = acc;
            }
        }
        _ => unreachable!("reductions have one output per segment"),
    }
}
