//! The CPU twin of similarity top-k: query blocks in parallel (rayon); each block multiplies
//! against index chunks with matrixmultiply's sgemm (through ndarray) and feeds every row's scores
//! to a candidate buffer that only admits scores above the row's current k-th best.

use super::{Exclude, Hits, better, pad};
use ndarray::{ArrayView2, Axis, Slice, linalg::general_mat_mul};
use rayon::prelude::*;

const QUERY_BLOCK: usize = 256;
const INDEX_CHUNK: usize = 4096;

pub fn search(queries: &[f32], index: &[f32], dim: usize, k: usize, exclude: Option<Exclude>) -> Hits {
    let (rows, n) = (queries.len() / dim, index.len() / dim);
    let x = ArrayView2::from_shape((n, dim), index).unwrap_or_else(|_| unreachable!("checked by search"));
    let best: Vec<Vec<(f32, u32)>> = (0..rows)
        .into_par_iter()
        .step_by(QUERY_BLOCK)
        .flat_map_iter(|q0| {
            let q1 = (q0 + QUERY_BLOCK).min(rows);
            let q = ArrayView2::from_shape((q1 - q0, dim), &queries[q0 * dim..q1 * dim]).unwrap_or_else(|_| unreachable!());
            let mut tops: Vec<Top> = (q0..q1).map(|r| Top::new(k, exclude.map(|e| &e.ids[e.offsets[r] as usize..e.offsets[r + 1] as usize]))).collect();
            let mut s = ndarray::Array2::<f32>::zeros((q1 - q0, INDEX_CHUNK.min(n.max(1))));
            for x0 in (0..n).step_by(INDEX_CHUNK) {
                let x1 = (x0 + INDEX_CHUNK).min(n);
                let mut part = s.slice_axis_mut(Axis(1), Slice::from(..x1 - x0));
                general_mat_mul(1.0, &q, &x.slice_axis(Axis(0), Slice::from(x0..x1)).t(), 0.0, &mut part);
                for (top, scores) in tops.iter_mut().zip(part.rows()) {
                    for (j, &score) in scores.iter().enumerate() {
                        top.offer(score, (x0 + j) as u32);
                    }
                }
            }
            tops.into_iter().map(Top::finish)
        })
        .collect();
    pad(best, k)
}

/// One row's running top-k: a buffer of up to 2k candidates, cut back to k (and the admission
/// threshold raised) when full. Candidates arrive in increasing id order, so an equal score never
/// displaces an earlier (lower) id.
struct Top<'a> {
    k: usize,
    buf: Vec<(f32, u32)>,
    threshold: f32,
    exclude: &'a [u32],
}

impl<'a> Top<'a> {
    fn new(k: usize, exclude: Option<&'a [u32]>) -> Top<'a> {
        Top { k, buf: Vec::with_capacity(2 * k), threshold: f32::NEG_INFINITY, exclude: exclude.unwrap_or(&[]) }
    }

    #[inline]
    fn offer(&mut self, score: f32, id: u32) {
        if score > self.threshold && !self.exclude.contains(&id) {
            self.buf.push((score, id));
            if self.buf.len() == 2 * self.k {
                self.cut();
            }
        }
    }

    fn cut(&mut self) {
        if self.buf.len() > self.k {
            self.buf.select_nth_unstable_by(self.k - 1, |a, b| better(*a, *b));
            self.buf.truncate(self.k);
            self.threshold = self.buf.iter().map(|c| c.0).fold(f32::INFINITY, f32::min);
        }
    }

    fn finish(mut self) -> Vec<(f32, u32)> {
        self.cut();
        self.buf.sort_by(|a, b| better(*a, *b));
        self.buf
    }
}
