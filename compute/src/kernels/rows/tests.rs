//! Row kernels: naga validation; methods.md §11.2 #7 (InfoNCE at τ = 0.1), #4 (CE of a binomial
//! target against uniform logits is ln 5, through the expectation of CE over the target) and #11
//! (DPO); masks; GPU vs CPU parity.

use super::{LOG_SIGMOID, SHADER, log_sigmoid, softmax};
use crate::backend::Backend;
use crate::kernels::testing::{Rng, assert_close, gpu, validate};

#[test]
fn shaders_validate() {
    validate(SHADER);
    validate(LOG_SIGMOID);
}

#[test]
fn hand_computed_values() {
    let cpu = Backend::Cpu;
    // InfoNCE: cosines (0.8, 0.6, 0) at τ = 0.1, positive first.
    let s = softmax(&cpu, &[0.8, 0.6, 0.0], 3, 0.1, None, Some(&[0])).unwrap();
    assert_close(&s.lse, &[8.127223], 1e-6, 0.0, "logsumexp");
    assert_close(&s.probs[..1], &[0.880537], 1e-5, 0.0, "p+");
    assert_close(s.loss.as_ref().unwrap(), &[0.127223], 1e-5, 0.0, "loss");
    // Uniform logits over 5 atoms: every CE is ln 5, so CE(binomial target, uniform) = ln 5.
    let u = softmax(&cpu, &[0.0; 5], 5, 1.0, None, Some(&[2])).unwrap();
    assert_close(u.loss.as_ref().unwrap(), &[1.609438], 1e-6, 0.0, "ln 5");
    // DPO: margin 0.1 * ((-10 + 12) - (-15 + 14)) = 0.3; loss = -log σ(0.3).
    assert_close(&log_sigmoid(&cpu, &[0.3]).unwrap(), &[-0.554355], 1e-5, 0.0, "dpo");
    // Masked entries get no mass; a fully masked row has lse -inf.
    let m = softmax(&cpu, &[1.0, 5.0, 1.0, 2.0, 3.0, 4.0], 3, 1.0, Some(&[true, false, true, false, false, false]), None).unwrap();
    assert_close(&m.probs, &[0.5, 0.0, 0.5, 0.0, 0.0, 0.0], 1e-6, 0.0, "masked");
    assert_eq!(m.lse[1], f32::NEG_INFINITY);
    assert!(softmax(&cpu, &[1.0, 2.0], 2, 1.0, None, Some(&[2])).unwrap_err().contains("targets"));
}

#[test]
fn gpu_matches_cpu() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(13);
    for (rows, cols) in [(1, 1), (7, 3), (300, 65), (70_000, 2)] {
        let x = rng.floats(rows * cols, -20.0, 20.0);
        let mask: Vec<bool> = (0..rows * cols).map(|_| rng.below(4) != 0).collect();
        let targets: Vec<u32> = (0..rows).map(|_| rng.below(cols as u64) as u32).collect();
        for m in [None, Some(mask.as_slice())] {
            let (a, b) = (softmax(&g, &x, cols, 0.7, m, Some(&targets)).unwrap(), softmax(&Backend::Cpu, &x, cols, 0.7, m, Some(&targets)).unwrap());
            assert_close(&a.probs, &b.probs, 1e-4, 1e-6, "probs");
            assert_close(&a.lse, &b.lse, 1e-5, 1e-5, "lse");
            assert_close(a.loss.as_ref().unwrap(), b.loss.as_ref().unwrap(), 1e-4, 1e-4, "loss");
        }
        assert_close(&log_sigmoid(&g, &x).unwrap(), &log_sigmoid(&Backend::Cpu, &x).unwrap(), 1e-5, 1e-6, "log_sigmoid");
    }
}
