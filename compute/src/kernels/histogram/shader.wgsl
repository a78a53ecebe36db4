// Target histograms over k + 1 atoms v_j = j / k for values p in [0, 1] (binomial prior, one-hot,
// two-hot, Gaussian), and the expectation readout Σ_j q_j v_j; one invocation per row.

struct Params {
    rows: u32,
    k: u32,
    // 0 binomial, 1 one-hot, 2 two-hot, 3 gaussian.
    kind: u32,
    sigma: f32,
    stride: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn ipow(x: f32, n: u32) -> f32 {
    var r = 1.0;
    for (var i = 0u; i < n; i++) { r *= x; }
    return r;
}

@compute @workgroup_size(64)
fn build(@builtin(global_invocation_id) id: vec3<u32>) {
    let r = id.x + id.y * p.stride;
    if r >= p.rows { return; }
    let v = clamp(values[r], 0.0, 1.0);
    let k = p.k;
    let base = r * (k + 1u);
    for (var j = 0u; j <= k; j++) { out[base + j] = 0.0; }
    if p.kind == 0u {
        var c = 1.0;
        for (var j = 0u; j <= k; j++) {
            out[base + j] = c * ipow(v, j) * ipow(1.0 - v, k - j);
            c = c * f32(k - j) / f32(j + 1u);
        }
    } else if p.kind == 1u {
        out[base + u32(round(v * f32(k)))] = 1.0;
    } else if p.kind == 2u {
        let x = v * f32(k);
        let lo = min(u32(floor(x)), k);
        let hi = min(lo + 1u, k);
        let w = x - f32(lo);
        out[base + lo] = 1.0 - w;
        out[base + hi] += w;
    } else {
        var total = 0.0;
        for (var j = 0u; j <= k; j++) {
            let z = (f32(j) / f32(k) - v) / p.sigma;
            let e = exp(-0.5 * z * z);
            out[base + j] = e;
            total += e;
        }
        for (var j = 0u; j <= k; j++) { out[base + j] = out[base + j] / total; }
    }
}

@compute @workgroup_size(64)
fn expectation(@builtin(global_invocation_id) id: vec3<u32>) {
    let r = id.x + id.y * p.stride;
    if r >= p.rows { return; }
    var e = 0.0;
    for (var j = 0u; j <= p.k; j++) { e += values[r * (p.k + 1u) + j] * f32(j) / f32(p.k); }
    out[r] = e;
}
