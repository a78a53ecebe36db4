// Elementwise log σ(x) = min(x, 0) - log(1 + exp(-|x|)), stable at both ends (DPO, SLiC-HF, LPO).

struct Params {
    len: u32,
    stride: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn log_sigmoid(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * p.stride;
    if i >= p.len { return; }
    let v = x[i];
    out[i] = min(v, 0.0) - log(1.0 + exp(-abs(v)));
}
