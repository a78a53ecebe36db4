// Masked mean pooling of token states, Matryoshka prefix truncation and L2 normalisation: one
// 64-wide workgroup per sequence; each invocation owns dims t, t + 64, ... (the norm's reduction
// is ../reduce.wgsl's).

struct Params {
    batch: u32,
    tokens: u32,
    dim: u32,
    // Dims kept (the Matryoshka prefix), <= dim.
    keep: u32,
    stride: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn pool(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let b = wg.x + wg.y * p.stride;
    let live = b < p.batch;
    var count = 0.0;
    var sq = 0.0;
    if live {
        for (var i = 0u; i < p.tokens; i++) {
            if mask[b * p.tokens + i] != 0u { count += 1.0; }
        }
        for (var d = t; d < p.keep; d += 64u) {
            var acc = 0.0;
            for (var i = 0u; i < p.tokens; i++) {
                if mask[b * p.tokens + i] != 0u { acc += h[(b * p.tokens + i) * p.dim + d]; }
            }
            let mean = select(0.0, acc / count, count > 0.0);
            out[b * p.keep + d] = mean;
            sq += mean * mean;
        }
    }
    let norm = sqrt(workgroup_sum(t, sq));
    if !live || norm == 0.0 { return; }
    for (var d = t; d < p.keep; d += 64u) {
        out[b * p.keep + d] = out[b * p.keep + d] / norm;
    }
}
