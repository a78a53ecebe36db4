//! Shared by the kernels' tests: the GPU (on llvmpipe in CI; `PIPEC_REQUIRE_GPU=1` turns a
//! missing adapter into a failure instead of a skip), naga validation, seeded random inputs and
//! tolerance checks.

use crate::backend::{Backend, Gpu};
use std::sync::{Arc, OnceLock};

/// The GPU backend, or None (said once) when this machine has no adapter and none is required.
pub fn gpu() -> Option<Backend> {
    static GPU: OnceLock<Option<Arc<Gpu>>> = OnceLock::new();
    let g = GPU.get_or_init(|| match Gpu::new() {
        Ok(g) => Some(Arc::new(g)),
        Err(why) if std::env::var("PIPEC_REQUIRE_GPU").is_ok_and(|v| v == "1") => panic!("PIPEC_REQUIRE_GPU=1 but {why}"),
        Err(why) => {
            eprintln!("GPU parity tests skipped: {why} (install mesa-vulkan-drivers, or set PIPEC_REQUIRE_GPU=1 to fail)");
            None
        }
    });
    g.clone().map(Backend::Gpu)
}

/// Parse and validate a shader with naga, as wgpu would.
pub fn validate(source: &str) {
    use wgpu::naga;
    let module = naga::front::wgsl::parse_str(source).unwrap_or_else(|e| panic!("{}", e.emit_to_string(source)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty()).validate(&module).unwrap_or_else(|e| panic!("{}", e.emit_to_string(source)));
}

/// A small seeded generator (xorshift64*), so parity inputs are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [lo, hi).
    pub fn float(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }

    pub fn floats(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.float(lo, hi)).collect()
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Assert `a` and `b` agree within `atol + rtol * |b|` everywhere (NaN and infinities must match).
pub fn assert_close(a: &[f32], b: &[f32], rtol: f32, atol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let ok = (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= atol + rtol * y.abs();
        assert!(ok, "{what}[{i}]: {x} vs {y}");
    }
}

/// Random ragged offsets: `segments` segments of 0..=max_len elements.
pub fn offsets(rng: &mut Rng, segments: usize, max_len: u64) -> Vec<u32> {
    let mut out = vec![0u32];
    for _ in 0..segments {
        let last = *out.last().unwrap_or(&0);
        out.push(last + rng.below(max_len + 1) as u32);
    }
    out
}
