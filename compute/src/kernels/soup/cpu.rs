//! The CPU twin of soup accumulation: `acc = w·x` or `acc += w·x`, split across rayon threads.

use rayon::prelude::*;

pub fn axpy(acc: &mut [f32], x: &[f32], w: f32, first: bool) {
    acc.par_chunks_mut(1 << 16).zip(x.par_chunks(1 << 16)).for_each(|(a, x)| {
        if first {
            a.iter_mut().zip(x).for_each(|(a, x)| *a = w * x);
        } else {
            a.iter_mut().zip(x).for_each(|(a, x)| *a += w * x);
        }
    });
}
