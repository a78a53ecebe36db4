//! The CPU twin of pooling: one rayon task per sequence.

use rayon::prelude::*;

pub fn pool(h: &[f32], mask: &[bool], tokens: usize, dim: usize, keep: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; mask.len() / tokens.max(1) * keep];
    out.par_chunks_mut(keep.max(1)).enumerate().for_each(|(b, row)| {
        let on: Vec<usize> = (0..tokens).filter(|&i| mask[b * tokens + i]).collect();
        if on.is_empty() {
            return;
        }
        for (d, o) in row.iter_mut().enumerate() {
            *o = on.iter().map(|&i| h[(b * tokens + i) * dim + d]).sum::<f32>() / on.len() as f32;
        }
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|x| *x /= norm);
        }
    });
    out
}
