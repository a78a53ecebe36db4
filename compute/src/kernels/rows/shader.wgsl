// Row softmax with temperature and mask (a stable max shift), its logsumexp, and cross-entropy
// against a target column, one 64-wide workgroup per row (reductions from ../reduce.wgsl).

struct Params {
    rows: u32,
    cols: u32,
    inv_temp: f32,
    // Bit 0: a mask is bound; bit 1: targets are bound.
    flags: u32,
    stride: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read> targets: array<u32>;
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;

const NEG_INF: f32 = -3.40282347e38;

fn on(r: u32, c: u32) -> bool {
    return (p.flags & 1u) == 0u || mask[r * p.cols + c] != 0u;
}

@compute @workgroup_size(64)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let r = wg.x + wg.y * p.stride;
    let live = r < p.rows;
    var m = NEG_INF;
    if live {
        for (var c = t; c < p.cols; c += 64u) {
            if on(r, c) { m = max(m, x[r * p.cols + c] * p.inv_temp); }
        }
    }
    let row_max = workgroup_max(t, m);
    var sum = 0.0;
    if live && row_max > NEG_INF {
        for (var c = t; c < p.cols; c += 64u) {
            if on(r, c) { sum += exp(x[r * p.cols + c] * p.inv_temp - row_max); }
        }
    }
    let total = workgroup_sum(t, sum);
    if !live { return; }
    let l = select(bitcast<f32>(0xff800000u), row_max + log(total), total > 0.0);
    for (var c = t; c < p.cols; c += 64u) {
        probs[r * p.cols + c] = select(0.0, exp(x[r * p.cols + c] * p.inv_temp - l), on(r, c) && total > 0.0);
    }
    if t == 0u {
        lse[r] = l;
        if (p.flags & 2u) != 0u {
            loss[r] = l - x[r * p.cols + targets[r]] * p.inv_temp;
        }
    }
}
