//! The CPU twin of the row kernels: one rayon task per row, f32 like the shader.

use super::Softmax;
use rayon::prelude::*;

pub fn softmax(x: &[f32], cols: usize, temperature: f32, mask: Option<&[bool]>, targets: Option<&[u32]>) -> Softmax {
    let inv = 1.0 / temperature;
    let rows: Vec<(Vec<f32>, f32)> = x
        .par_chunks(cols)
        .enumerate()
        .map(|(r, row)| {
            let on = |c: usize| mask.is_none_or(|m| m[r * cols + c]);
            let max = (0..cols).filter(|&c| on(c)).map(|c| row[c] * inv).fold(f32::NEG_INFINITY, f32::max);
            let total: f32 = if max == f32::NEG_INFINITY { 0.0 } else { (0..cols).filter(|&c| on(c)).map(|c| (row[c] * inv - max).exp()).sum() };
            let lse = if total > 0.0 { max + total.ln() } else { f32::NEG_INFINITY };
            let probs = (0..cols).map(|c| if on(c) && total > 0.0 { (row[c] * inv - lse).exp() } else { 0.0 }).collect();
            (probs, lse)
        })
        .collect();
    let lse: Vec<f32> = rows.iter().map(|r| r.1).collect();
    let loss = targets.map(|t| t.iter().enumerate().map(|(r, &c)| lse[r] - x[r * cols + c as usize] * inv).collect());
    Softmax { probs: rows.into_iter().flat_map(|r| r.0).collect(), lse, loss }
}

pub fn log_sigmoid(x: &[f32]) -> Vec<f32> {
    x.par_iter().map(|&v| v.min(0.0) - (-v.abs()).exp().ln_1p()).collect()
}
