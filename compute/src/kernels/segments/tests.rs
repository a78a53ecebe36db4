//! Segment kernels: naga validation, hand-computed values (methods.md §11.2 #1, the G-RA gated
//! return), and GPU vs CPU parity on random ragged inputs.

use super::{Op, SHADER, run};
use crate::backend::Backend;
use crate::kernels::testing::{Rng, assert_close, gpu, offsets, validate};

#[test]
fn shader_validates() {
    validate(SHADER);
}

#[test]
fn hand_computed_values() {
    let cpu = Backend::Cpu;
    let offsets = [0, 4, 4, 6];
    let x = [0.1, 0.1, -0.1, 0.1, 2.0, 4.0];
    assert_close(&run(&cpu, Op::Sum, &offsets, &x).unwrap(), &[0.2, 0.0, 6.0], 1e-6, 1e-7, "sum");
    assert_close(&run(&cpu, Op::Mean, &offsets, &x).unwrap(), &[0.05, 0.0, 3.0], 1e-6, 1e-7, "mean");
    assert_close(&run(&cpu, Op::Max, &offsets, &x).unwrap(), &[0.1, f32::NEG_INFINITY, 4.0], 0.0, 0.0, "max");
    assert_close(&run(&cpu, Op::Std, &offsets, &x).unwrap(), &[0.0866025, 0.0, 1.0], 1e-6, 1e-7, "std");
    assert_close(&run(&cpu, Op::Shift { fill: 9.0 }, &offsets, &x).unwrap(), &[9.0, 0.1, 0.1, -0.1, 9.0, 2.0], 0.0, 0.0, "shift");
    assert_close(&run(&cpu, Op::Broadcast, &offsets, &[1.0, 2.0, 3.0]).unwrap(), &[1.0, 1.0, 1.0, 1.0, 3.0, 3.0], 0.0, 0.0, "broadcast");
    assert_close(&run(&cpu, Op::Discounted { gamma: 0.5 }, &[0, 3], &[1.0, 2.0, 4.0]).unwrap(), &[3.0, 4.0, 4.0], 1e-6, 0.0, "discounted");
    // G-RA (§11.2 #1): steps [0.1, 0.1, -0.1, 0.1] credited only when r_high >= 0.
    for (r_high, expected) in [(-1.0f32, -1.0f32), (0.0, 0.2), (0.5, 0.7), (1.0, 1.2)] {
        let gate = run(&cpu, Op::Broadcast, &[0, 4], &[if r_high >= 0.0 { 1.0 } else { 0.0 }]).unwrap();
        let gated: Vec<f32> = x[..4].iter().zip(&gate).map(|(r, g)| r * g).collect();
        let total = r_high + run(&cpu, Op::Sum, &[0, 4], &gated).unwrap()[0];
        assert_close(&[total], &[expected], 1e-6, 1e-7, "gated return");
    }
}

#[test]
fn bad_offsets_are_refused_with_a_reason() {
    let cpu = Backend::Cpu;
    assert!(run(&cpu, Op::Sum, &[1, 2], &[1.0, 2.0]).unwrap_err().contains("must be 0"));
    assert!(run(&cpu, Op::Sum, &[0, 2, 1], &[1.0, 2.0]).unwrap_err().contains("never decrease"));
    assert!(run(&cpu, Op::Sum, &[0, 3], &[1.0, 2.0]).unwrap_err().contains("last offset"));
    assert!(run(&cpu, Op::Broadcast, &[0, 3], &[1.0, 2.0]).unwrap_err().contains("one value per segment"));
}

#[test]
fn gpu_matches_cpu_on_random_segments() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(7);
    for (segments, max_len) in [(1, 0), (3, 5), (1000, 12), (70_000, 3)] {
        let offs = offsets(&mut rng, segments, max_len);
        let x = rng.floats(*offs.last().unwrap() as usize, -2.0, 2.0);
        let per = rng.floats(segments, -1.0, 1.0);
        for op in [Op::Sum, Op::Max, Op::Mean, Op::Std, Op::Shift { fill: -3.0 }, Op::Broadcast, Op::Discounted { gamma: 0.9 }] {
            let input = if op == Op::Broadcast { &per } else { &x };
            let (a, b) = (run(&g, op, &offs, input).unwrap(), run(&Backend::Cpu, op, &offs, input).unwrap());
            assert_close(&a, &b, 1e-5, 1e-5, &format!("{op:?} on {segments} segments"));
        }
    }
}
