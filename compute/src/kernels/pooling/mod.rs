//! Sentence embeddings from token states: masked mean pooling `Σ m_t h_t / Σ m_t`, truncation to
//! a Matryoshka prefix of `keep` dims, then L2 normalisation. A sequence with no unmasked token
//! (or a zero mean) pools to zeros.

mod cpu;

use crate::backend::{Backend, Gpu, Kernel, by_rows, grid};

const SHADER: &str = concat!(include_str!("../reduce.wgsl"), include_str!("shader.wgsl"));

/// `h` is `batch × tokens × dim`, `mask` is `batch × tokens`; the result is `batch × keep`.
pub fn pool(backend: &Backend, h: &[f32], mask: &[bool], tokens: usize, dim: usize, keep: usize) -> Result<Vec<f32>, String> {
    if tokens == 0 || dim == 0 || !mask.len().is_multiple_of(tokens) || h.len() != mask.len() * dim {
        return Err(format!("{} states and {} mask entries are not batch × {tokens} tokens × {dim} dims", h.len(), mask.len()));
    }
    if keep == 0 || keep > dim {
        return Err(format!("keep {keep} dims: it must be between 1 and {dim}"));
    }
    match backend {
        Backend::Cpu => Ok(cpu::pool(h, mask, tokens, dim, keep)),
        Backend::Gpu(g) => on_gpu(g, h, mask, tokens, dim, keep),
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    batch: u32,
    tokens: u32,
    dim: u32,
    keep: u32,
    stride: u32,
    pad: [u32; 3],
}

fn on_gpu(g: &Gpu, h: &[f32], mask: &[bool], tokens: usize, dim: usize, keep: usize) -> Result<Vec<f32>, String> {
    let per = ((g.max_binding() / 4) as usize / (tokens * dim)).max(1);
    by_rows(mask.len() / tokens, per, |b0, b1| {
        let n = (b1 - b0) as u32;
        let m: Vec<u32> = mask[b0 * tokens..b1 * tokens].iter().map(|&x| x as u32).collect();
        let (hb, mb, ob) = (g.upload(&h[b0 * tokens * dim..b1 * tokens * dim]), g.upload(&m), g.alloc(n as u64 * keep as u64 * 4));
        let groups = grid(n as u64, 1, g.max_groups());
        let params = Params { batch: n, tokens: tokens as u32, dim: dim as u32, keep: keep as u32, stride: groups[0], pad: [0; 3] };
        g.dispatch(&Kernel { name: "pooling", source: SHADER, entry: "pool" }, &params, &[&hb, &mb, &ob], groups);
        g.read::<f32>(&ob)
    })
}

#[cfg(test)]
mod tests {
    //! Pooling: naga validation, methods.md §11.2 #6, Matryoshka truncation, parity.
    use super::{SHADER, pool};
    use crate::backend::Backend;
    use crate::kernels::testing::{Rng, assert_close, gpu, validate};

    #[test]
    fn shader_validates() {
        validate(SHADER);
    }

    #[test]
    fn hand_computed_values() {
        // Mean of [1,2] and [3,4] (padding [100,100] ignored) is [2,3]; normalised by √13.
        let h = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0];
        let mean = pool(&Backend::Cpu, &h, &[true, true, false], 3, 2, 2).unwrap();
        assert_close(&mean, &[2.0 / 13f32.sqrt(), 3.0 / 13f32.sqrt()], 1e-6, 0.0, "pooled");
        // Keeping the first dim renormalises it to 1.
        assert_close(&pool(&Backend::Cpu, &h, &[true, true, false], 3, 2, 1).unwrap(), &[1.0], 1e-6, 0.0, "matryoshka");
        assert_close(&pool(&Backend::Cpu, &h, &[false, false, false], 3, 2, 2).unwrap(), &[0.0, 0.0], 0.0, 0.0, "all masked");
        assert!(pool(&Backend::Cpu, &h, &[true, true, false], 3, 2, 3).unwrap_err().contains("keep 3"));
    }

    #[test]
    fn gpu_matches_cpu() {
        let Some(g) = gpu() else { return };
        let mut rng = Rng::new(17);
        for (batch, tokens, dim, keep) in [(1, 1, 1, 1), (9, 13, 70, 64), (200, 8, 384, 256)] {
            let h = rng.floats(batch * tokens * dim, -2.0, 2.0);
            let mask: Vec<bool> = (0..batch * tokens).map(|_| rng.below(3) != 0).collect();
            assert_close(&pool(&g, &h, &mask, tokens, dim, keep).unwrap(), &pool(&Backend::Cpu, &h, &mask, tokens, dim, keep).unwrap(), 1e-4, 1e-6, "pool");
        }
    }
}
