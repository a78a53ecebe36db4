//! Row softmax and logsumexp with temperature and an optional mask (stable max shift), fused
//! cross-entropy against a target column, and log-sigmoid: the losses of InfoNCE, categorical
//! value heads, DPO, SLiC-HF and LPO. A fully masked row has lse -inf and zero probabilities.

mod cpu;

use crate::backend::{Backend, Gpu, Kernel, grid};

const SHADER: &str = concat!(include_str!("../reduce.wgsl"), include_str!("shader.wgsl"));
const LOG_SIGMOID: &str = include_str!("log_sigmoid.wgsl");

#[derive(Debug, Clone, PartialEq)]
pub struct Softmax {
    pub probs: Vec<f32>,
    pub lse: Vec<f32>,
    /// `lse - x[target] / temperature` per row, when targets were given.
    pub loss: Option<Vec<f32>>,
}

/// Softmax of `x / temperature` over each row of `cols` values.
pub fn softmax(backend: &Backend, x: &[f32], cols: usize, temperature: f32, mask: Option<&[bool]>, targets: Option<&[u32]>) -> Result<Softmax, String> {
    if cols == 0 || !x.len().is_multiple_of(cols) {
        return Err(format!("{} values do not make rows of {cols}", x.len()));
    }
    if !(temperature > 0.0 && temperature.is_finite()) {
        return Err(format!("temperature {temperature} must be positive"));
    }
    let rows = x.len() / cols;
    if mask.is_some_and(|m| m.len() != x.len()) {
        return Err(format!("the mask has {} entries for {} values", mask.map_or(0, <[bool]>::len), x.len()));
    }
    if let Some(t) = targets
        && let Some((r, c)) = t.iter().enumerate().find(|(_, c)| **c as usize >= cols).map(|(r, c)| (r, *c)).or((t.len() != rows).then_some((t.len(), 0)))
    {
        return Err(format!("targets need one column below {cols} per row ({rows} rows); row {r} has {c}"));
    }
    match backend {
        Backend::Cpu => Ok(cpu::softmax(x, cols, temperature, mask, targets)),
        Backend::Gpu(g) => on_gpu(g, x, cols, temperature, mask, targets),
    }
}

/// `log σ(x)` elementwise.
pub fn log_sigmoid(backend: &Backend, x: &[f32]) -> Result<Vec<f32>, String> {
    match backend {
        Backend::Cpu => Ok(cpu::log_sigmoid(x)),
        Backend::Gpu(g) => {
            let cap = (g.max_binding() / 4) as usize;
            let mut out = Vec::with_capacity(x.len());
            for part in x.chunks(cap.max(1)) {
                let groups = grid(part.len() as u64, 256, g.max_groups());
                let params = [part.len() as u32, groups[0] * 256, 0, 0];
                let (xb, ob) = (g.upload(part), g.alloc(part.len() as u64 * 4));
                g.dispatch(&Kernel { name: "log-sigmoid", source: LOG_SIGMOID, entry: "log_sigmoid" }, &params, &[&xb, &ob], groups);
                out.extend(g.read::<f32>(&ob)?);
            }
            Ok(out)
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    inv_temp: f32,
    flags: u32,
    stride: u32,
    pad: [u32; 3],
}

fn on_gpu(g: &Gpu, x: &[f32], cols: usize, temperature: f32, mask: Option<&[bool]>, targets: Option<&[u32]>) -> Result<Softmax, String> {
    let cap = (g.max_binding() / 4) as usize;
    if cols > cap {
        return Err(format!("rows of {cols} values do not fit one GPU binding; use --backend cpu"));
    }
    let rows = x.len() / cols;
    let per = (cap / cols).max(1);
    let mut out = Softmax { probs: Vec::with_capacity(x.len()), lse: Vec::with_capacity(rows), loss: targets.map(|_| Vec::with_capacity(rows)) };
    for r0 in (0..rows).step_by(per) {
        let r1 = (r0 + per).min(rows);
        let n = (r1 - r0) as u32;
        let xb = g.upload(&x[r0 * cols..r1 * cols]);
        let mb = match mask {
            Some(m) => g.upload(&m[r0 * cols..r1 * cols].iter().map(|&b| b as u32).collect::<Vec<u32>>()),
            None => g.alloc(4),
        };
        let tb = match targets {
            Some(t) => g.upload(&t[r0..r1]),
            None => g.alloc(4),
        };
        let (probs, lse, loss) = (g.alloc(n as u64 * cols as u64 * 4), g.alloc(n as u64 * 4), g.alloc(n as u64 * 4));
        let groups = grid(n as u64, 1, g.max_groups());
        let flags = mask.is_some() as u32 | (targets.is_some() as u32) << 1;
        let params = Params { rows: n, cols: cols as u32, inv_temp: 1.0 / temperature, flags, stride: groups[0], pad: [0; 3] };
        g.dispatch(&Kernel { name: "rows", source: SHADER, entry: "softmax" }, &params, &[&xb, &mb, &tb, &probs, &lse, &loss], groups);
        out.probs.extend(g.read::<f32>(&probs)?);
        out.lse.extend(g.read::<f32>(&lse)?);
        if let Some(l) = out.loss.as_mut() {
            l.extend(g.read::<f32>(&loss)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
