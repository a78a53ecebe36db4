// Model soup accumulation: acc = w * x (first checkpoint) or acc + w * x (the rest), over one
// chunk of a tensor's elements converted to f32 on the host.

struct Params {
    len: u32,
    // 1 for the first checkpoint of a chunk: overwrite instead of accumulate.
    first: u32,
    weight: f32,
    stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;

@compute @workgroup_size(256)
fn axpy(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * p.stride;
    if i >= p.len { return; }
    acc[i] = select(acc[i], 0.0, p.first == 1u) + p.weight * x[i];
}
