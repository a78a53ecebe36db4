//! Hard-negative mixing (KaLM-V2): `normalise(λ a + (1 - λ) b)` for each pair of negatives, with
//! the λ draws (Beta) made on the host. A pair that mixes to zero stays zero.

use crate::backend::{Backend, Gpu, Kernel, by_rows, grid};
use rayon::prelude::*;

const SHADER: &str = concat!(include_str!("../reduce.wgsl"), include_str!("shader.wgsl"));

/// `a` and `b` are `pairs × dim`; `lambda` has one weight per pair.
pub fn mix(backend: &Backend, a: &[f32], b: &[f32], lambda: &[f32], dim: usize) -> Result<Vec<f32>, String> {
    if dim == 0 || a.len() != b.len() || a.len() != lambda.len() * dim {
        return Err(format!("{} and {} values with {} weights are not pairs × {dim}", a.len(), b.len(), lambda.len()));
    }
    match backend {
        Backend::Cpu => Ok(cpu(a, b, lambda, dim)),
        Backend::Gpu(g) => on_gpu(g, a, b, lambda, dim),
    }
}

/// The CPU twin: one rayon task per pair.
fn cpu(a: &[f32], b: &[f32], lambda: &[f32], dim: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; a.len()];
    out.par_chunks_mut(dim).enumerate().for_each(|(i, row)| {
        let l = lambda[i];
        for (d, o) in row.iter_mut().enumerate() {
            *o = l * a[i * dim + d] + (1.0 - l) * b[i * dim + d];
        }
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|x| *x /= norm);
        }
    });
    out
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    pairs: u32,
    dim: u32,
    stride: u32,
    pad: u32,
}

fn on_gpu(g: &Gpu, a: &[f32], b: &[f32], lambda: &[f32], dim: usize) -> Result<Vec<f32>, String> {
    let per = ((g.max_binding() / 4) as usize / dim).max(1);
    by_rows(lambda.len(), per, |p0, p1| {
        let n = (p1 - p0) as u32;
        let (ab, bb, lb, ob) = (g.upload(&a[p0 * dim..p1 * dim]), g.upload(&b[p0 * dim..p1 * dim]), g.upload(&lambda[p0..p1]), g.alloc(n as u64 * dim as u64 * 4));
        let groups = grid(n as u64, 1, g.max_groups());
        g.dispatch(&Kernel { name: "mix", source: SHADER, entry: "mix_pairs" }, &Params { pairs: n, dim: dim as u32, stride: groups[0], pad: 0 }, &[&ab, &bb, &lb, &ob], groups);
        g.read::<f32>(&ob)
    })
}

#[cfg(test)]
mod tests {
    //! Mixing: naga validation, methods.md §11.2 #9, parity.
    use super::{SHADER, mix};
    use crate::backend::Backend;
    use crate::kernels::testing::{Rng, assert_close, gpu, validate};

    #[test]
    fn shader_validates() {
        validate(SHADER);
    }

    #[test]
    fn hand_computed_values() {
        let m = mix(&Backend::Cpu, &[0.6, 0.8], &[0.0, 1.0], &[0.5], 2).unwrap();
        assert_close(&m, &[0.316228, 0.948683], 1e-6, 0.0, "mixed negative");
        assert_close(&mix(&Backend::Cpu, &[1.0], &[-1.0], &[0.5], 1).unwrap(), &[0.0], 0.0, 0.0, "cancels");
    }

    #[test]
    fn gpu_matches_cpu() {
        let Some(g) = gpu() else { return };
        let mut rng = Rng::new(19);
        for (pairs, dim) in [(1, 1), (5, 70), (3000, 384)] {
            let (a, b, l) = (rng.floats(pairs * dim, -1.0, 1.0), rng.floats(pairs * dim, -1.0, 1.0), rng.floats(pairs, 0.0, 1.0));
            assert_close(&mix(&g, &a, &b, &l, dim).unwrap(), &mix(&Backend::Cpu, &a, &b, &l, dim).unwrap(), 1e-4, 1e-6, "mix");
        }
    }
}
