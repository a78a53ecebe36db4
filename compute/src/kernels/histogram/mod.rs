//! Categorical value targets over k + 1 atoms `v_j = j / k` (the structural prior of process
//! verifiers): a binomial(k, p̂) pmf, one-hot or two-hot at p̂, or a Gaussian of width σ around p̂;
//! and the expectation readout `Σ_j q_j v_j`. Values are clamped to [0, 1].

use crate::backend::{Backend, Gpu, Kernel, by_rows, grid};
use rayon::prelude::*;

const SHADER: &str = include_str!("shader.wgsl");

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    Binomial,
    OneHot,
    TwoHot,
    Gaussian { sigma: f32 },
}

/// One histogram of `k + 1` bins per value, row-major.
pub fn targets(backend: &Backend, values: &[f32], k: u32, kind: Target) -> Result<Vec<f32>, String> {
    if k == 0 {
        return Err("k must be at least 1 (k + 1 atoms)".into());
    }
    if let Target::Gaussian { sigma } = kind
        && !(sigma > 0.0 && sigma.is_finite())
    {
        return Err(format!("sigma {sigma} must be positive"));
    }
    match backend {
        Backend::Cpu => {
            let mut out = vec![0.0f32; values.len() * (k as usize + 1)];
            out.par_chunks_mut(k as usize + 1).zip(values.par_iter()).for_each(|(row, &v)| build(row, v.clamp(0.0, 1.0), k, kind));
            Ok(out)
        }
        Backend::Gpu(g) => on_gpu(g, "build", values, k, kind),
    }
}

/// `Σ_j q_j · j / k` for each row of `k + 1` probabilities.
pub fn expectation(backend: &Backend, probs: &[f32], k: u32) -> Result<Vec<f32>, String> {
    if k == 0 || !probs.len().is_multiple_of(k as usize + 1) {
        return Err(format!("{} probabilities are not rows of k + 1 = {}", probs.len(), k + 1));
    }
    match backend {
        Backend::Cpu => Ok(probs.par_chunks(k as usize + 1).map(|row| row.iter().enumerate().map(|(j, q)| q * j as f32 / k as f32).sum()).collect()),
        Backend::Gpu(g) => on_gpu(g, "expectation", probs, k, Target::Binomial),
    }
}

/// The CPU twin of one histogram row.
fn build(row: &mut [f32], v: f32, k: u32, kind: Target) {
    let kf = k as f32;
    match kind {
        Target::Binomial => {
            let mut c = 1.0f32;
            for (j, q) in row.iter_mut().enumerate() {
                *q = c * v.powi(j as i32) * (1.0 - v).powi(k as i32 - j as i32);
                c = c * (k - j as u32) as f32 / (j + 1) as f32;
            }
        }
        Target::OneHot => row[(v * kf).round() as usize] = 1.0,
        Target::TwoHot => {
            let x = v * kf;
            let lo = (x.floor() as usize).min(k as usize);
            let hi = (lo + 1).min(k as usize);
            let w = x - lo as f32;
            row[lo] = 1.0 - w;
            row[hi] += w;
        }
        Target::Gaussian { sigma } => {
            for (j, q) in row.iter_mut().enumerate() {
                let z = (j as f32 / kf - v) / sigma;
                *q = (-0.5 * z * z).exp();
            }
            let total: f32 = row.iter().sum();
            row.iter_mut().for_each(|q| *q /= total);
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    k: u32,
    kind: u32,
    sigma: f32,
    stride: u32,
    pad: [u32; 3],
}

fn on_gpu(g: &Gpu, entry: &'static str, input: &[f32], k: u32, kind: Target) -> Result<Vec<f32>, String> {
    let rows = if entry == "build" { input.len() } else { input.len() / (k as usize + 1) };
    let per = ((g.max_binding() / 4) as usize / (k as usize + 1)).max(1);
    let (code, sigma) = match kind {
        Target::Binomial => (0, 0.0),
        Target::OneHot => (1, 0.0),
        Target::TwoHot => (2, 0.0),
        Target::Gaussian { sigma } => (3, sigma),
    };
    by_rows(rows, per, |r0, r1| {
        let n = r1 - r0;
        let (inp, len) = if entry == "build" { (&input[r0..r1], n * (k as usize + 1)) } else { (&input[r0 * (k as usize + 1)..r1 * (k as usize + 1)], n) };
        let (ib, ob) = (g.upload(inp), g.alloc(len as u64 * 4));
        let groups = grid(n as u64, 64, g.max_groups());
        let params = Params { rows: n as u32, k, kind: code, sigma, stride: groups[0] * 64, pad: [0; 3] };
        g.dispatch(&Kernel { name: "histogram", source: SHADER, entry }, &params, &[&ib, &ob], groups);
        g.read::<f32>(&ob)
    })
}

#[cfg(test)]
mod tests {
    //! Histograms: naga validation, methods.md §11.2 #4 and #5, one/two-hot, parity.
    use super::{SHADER, Target, expectation, targets};
    use crate::backend::Backend;
    use crate::kernels::testing::{Rng, assert_close, gpu, validate};

    #[test]
    fn shader_validates() {
        validate(SHADER);
    }

    #[test]
    fn hand_computed_values() {
        let cpu = Backend::Cpu;
        let half = targets(&cpu, &[0.5], 4, Target::Binomial).unwrap();
        assert_close(&half, &[0.0625, 0.25, 0.375, 0.25, 0.0625], 1e-6, 0.0, "binomial(4, 0.5)");
        assert_close(&expectation(&cpu, &half, 4).unwrap(), &[0.5], 1e-6, 0.0, "expectation");
        let entropy: f32 = -half.iter().map(|q| q * q.ln()).sum::<f32>();
        assert_close(&[entropy], &[1.407532], 1e-6, 0.0, "entropy");
        let q = targets(&cpu, &[0.75], 4, Target::Binomial).unwrap();
        assert_close(&q, &[0.00390625, 0.046875, 0.2109375, 0.421875, 0.31640625], 1e-6, 0.0, "binomial(4, 0.75)");
        assert_close(&targets(&cpu, &[0.6], 4, Target::OneHot).unwrap(), &[0.0, 0.0, 1.0, 0.0, 0.0], 0.0, 0.0, "one-hot");
        assert_close(&targets(&cpu, &[0.6, 1.0], 4, Target::TwoHot).unwrap(), &[0.0, 0.0, 0.6, 0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 1e-5, 1e-6, "two-hot");
        let g = targets(&cpu, &[0.5], 4, Target::Gaussian { sigma: 0.25 }).unwrap();
        assert_close(&[g.iter().sum::<f32>()], &[1.0], 1e-6, 0.0, "gaussian sums to 1");
        assert_close(&[g[0]], &[g[4]], 1e-6, 0.0, "gaussian is symmetric");
        assert_close(&expectation(&cpu, &g, 4).unwrap(), &[0.5], 1e-6, 0.0, "gaussian mean");
    }

    #[test]
    fn gpu_matches_cpu() {
        let Some(gpu) = gpu() else { return };
        let mut rng = Rng::new(23);
        let values = rng.floats(5000, -0.1, 1.1);
        for kind in [Target::Binomial, Target::OneHot, Target::TwoHot, Target::Gaussian { sigma: 0.1 }] {
            for k in [1, 4, 16] {
                let (a, b) = (targets(&gpu, &values, k, kind).unwrap(), targets(&Backend::Cpu, &values, k, kind).unwrap());
                assert_close(&a, &b, 1e-4, 1e-6, &format!("{kind:?} k={k}"));
                assert_close(&expectation(&gpu, &a, k).unwrap(), &expectation(&Backend::Cpu, &b, k).unwrap(), 1e-4, 1e-6, "expectation");
            }
        }
    }
}
