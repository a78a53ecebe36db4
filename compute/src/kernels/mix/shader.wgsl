// Hard-negative mixing: out = normalise(λ a + (1 - λ) b) per pair, one 64-wide workgroup per pair
// (the norm's reduction is ../reduce.wgsl's).

struct Params {
    pairs: u32,
    dim: u32,
    stride: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> lambda: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn mix_pairs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let i = wg.x + wg.y * p.stride;
    let live = i < p.pairs;
    var sq = 0.0;
    if live {
        let l = lambda[i];
        for (var d = t; d < p.dim; d += 64u) {
            let v = l * a[i * p.dim + d] + (1.0 - l) * b[i * p.dim + d];
            out[i * p.dim + d] = v;
            sq += v * v;
        }
    }
    let norm = sqrt(workgroup_sum(t, sq));
    if !live || norm == 0.0 { return; }
    for (var d = t; d < p.dim; d += 64u) {
        out[i * p.dim + d] = out[i * p.dim + d] / norm;
    }
}
