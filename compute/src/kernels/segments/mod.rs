//! Segmented reductions and scans over ragged offsets: per-segment sum, max, mean, std
//! (population); per-element shift by one, broadcast of a per-segment value, discounted return.
//! Segment `s` spans `values[offsets[s]..offsets[s + 1]]`. An empty segment sums to 0, has mean
//! and std 0 and max -inf.

mod cpu;

use crate::backend::{Backend, Gpu, Kernel, grid};

const SHADER: &str = include_str!("shader.wgsl");

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Sum,
    Max,
    Mean,
    Std,
    /// `out[i] = values[i - 1]` within a segment; the first element gets `fill`.
    Shift { fill: f32 },
    /// `values` has one entry per segment, copied to each of its elements.
    Broadcast,
    /// `out[i] = values[i] + gamma * out[i + 1]` within a segment, from its end.
    Discounted { gamma: f32 },
}

impl Op {
    /// One output per segment (a reduction) rather than one per element.
    fn reduces(self) -> bool {
        matches!(self, Op::Sum | Op::Max | Op::Mean | Op::Std)
    }

    fn entry(self) -> &'static str {
        match self {
            Op::Sum => "seg_sum",
            Op::Max => "seg_max",
            Op::Mean => "seg_mean",
            Op::Std => "seg_std",
            Op::Shift { .. } => "seg_shift",
            Op::Broadcast => "seg_broadcast",
            Op::Discounted { .. } => "seg_discounted",
        }
    }
}

/// `op` over the segments `offsets` cuts `values` into.
pub fn run(backend: &Backend, op: Op, offsets: &[u32], values: &[f32]) -> Result<Vec<f32>, String> {
    check(op, offsets, values.len())?;
    match backend {
        Backend::Cpu => Ok(cpu::run(op, offsets, values)),
        Backend::Gpu(g) => on_gpu(g, op, offsets, values),
    }
}

/// Offsets start at 0, never decrease, and end at the number of elements.
fn check(op: Op, offsets: &[u32], values: usize) -> Result<(), String> {
    let Some((&first, _)) = offsets.split_first() else { return Err("offsets are empty: they need at least [0]".into()) };
    if first != 0 {
        return Err(format!("offsets[0] is {first}; it must be 0"));
    }
    if let Some(i) = offsets.windows(2).position(|w| w[1] < w[0]) {
        return Err(format!("offsets[{}] = {} is below offsets[{i}] = {}: offsets never decrease", i + 1, offsets[i + 1], offsets[i]));
    }
    let (segments, elements) = (offsets.len() - 1, *offsets.last().unwrap_or(&0) as usize);
    let expected = if op == Op::Broadcast { segments } else { elements };
    if values != expected {
        let what = if op == Op::Broadcast { "one value per segment" } else { "the last offset" };
        return Err(format!("{values} values, but {what} says {expected}"));
    }
    Ok(())
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    segments: u32,
    stride: u32,
    gamma: f32,
    fill: f32,
}

/// Runs whole segments in chunks that fit the device's binding limit.
fn on_gpu(g: &Gpu, op: Op, offsets: &[u32], values: &[f32]) -> Result<Vec<f32>, String> {
    let kernel = Kernel { name: "segments", source: SHADER, entry: op.entry() };
    let cap = (g.max_binding() / 4) as u32;
    let segments = offsets.len() - 1;
    let mut out = Vec::with_capacity(if op.reduces() { segments } else { offsets[segments] as usize });
    let mut s0 = 0;
    while s0 < segments {
        // The longest run of whole segments whose elements (and offsets) fit one binding.
        let mut s1 = s0 + 1;
        while s1 < segments && offsets[s1 + 1] - offsets[s0] <= cap && s1 - s0 + 1 < cap as usize {
            s1 += 1;
        }
        let (e0, e1) = (offsets[s0] as usize, offsets[s1] as usize);
        if e1 - e0 > cap as usize {
            return Err(format!("segment {s0} has {} values, more than one GPU binding holds ({cap}); use --backend cpu", e1 - e0));
        }
        let local: Vec<u32> = offsets[s0..=s1].iter().map(|o| o - offsets[s0]).collect();
        let input = if op == Op::Broadcast { &values[s0..s1] } else { &values[e0..e1] };
        let n = (s1 - s0) as u32;
        let groups = grid(n as u64, 64, g.max_groups());
        let (gamma, fill) = match op {
            Op::Discounted { gamma } => (gamma, 0.0),
            Op::Shift { fill } => (0.0, fill),
            _ => (0.0, 0.0),
        };
        let params = Params { segments: n, stride: groups[0] * 64, gamma, fill };
        let out_len = if op.reduces() { n as usize } else { e1 - e0 };
        let (off_buf, val_buf, out_buf) = (g.upload(&local), g.upload(input), g.alloc(out_len as u64 * 4));
        g.dispatch(&kernel, &params, &[&off_buf, &val_buf, &out_buf], groups);
        out.extend(g.read::<f32>(&out_buf)?);
        s0 = s1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
