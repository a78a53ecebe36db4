// Segmented reductions and scans over ragged offsets, one invocation per segment (trajectories
// and groups are short and many). Segment s spans values[offsets[s] .. offsets[s + 1]].

struct Params {
    segments: u32,
    // Invocations per row of the dispatch grid (the grid folds to 2-D past 65,535 groups).
    stride: u32,
    // Discount for `discounted`; the value `shift` puts at each segment's first element.
    gamma: f32,
    fill: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn segment(id: vec3<u32>) -> u32 {
    return id.x + id.y * p.stride;
}

@compute @workgroup_size(64)
fn seg_sum(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = segment(id);
    if s >= p.segments { return; }
    var acc = 0.0;
    for (var i = offsets[s]; i < offsets[s + 1u]; i++) { acc += values[i]; }
    out[s] = acc;
}

@compute @workgroup_size(64)
fn seg_max(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = segment(id);
    if s >= p.segments { return; }
    var acc = bitcast<f32>(0xff800000u); // -inf
    for (var i = offsets[s]; i < offsets[s + 1u]; i++) { acc = max(acc, values[i]); }
    out[s] = acc;
}

@compute @workgroup_size(64)
fn seg_mean(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = segment(id);
    if s >= p.segments { return; }
    let n = offsets[s + 1u] - offsets[s];
    var acc = 0.0;
    for (var i = offsets[s]; i < offsets[s + 1u]; i++) { acc += values[i]; }
    out[s] = select(0.0, acc / f32(n), n > 0u);
}

// Population standard deviation, two passes for stability.
@compute @workgroup_size(64)
fn seg_std(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = segment(id);
    if s >= p.segments { return; }
    let n = offsets[s + 1u] - offsets[s];
    if n == 0u { out[s] = 0.0; return; }
    var acc = 0.0;
    for (var i = offsets[s]; i < offsets[s + 1u]; i++) { acc += values[i]; }
    let mean = acc / f32(n);
    var sq = 0.0;
    for (var i = offsets[s]; i < offsets[s + 1u]; i++) { let d = values[i] - mean; sq += d * d; }
    out[s] = sqrt(sq / f32(n));
}

// out[i] = values[i - 1] inside a segment; its first element gets `fill`.
@compute @workgroup_size(64)
fn seg_shift(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = segment(id);
    if s >= p.segments { return; }
    let start = offsets[s];
    let end = offsets[s + 1u];
    if end == start { return; }
    out[start] = p.fill;
    for (var i = start + 1u; i < end; i++) { out[i] = values[i - 1u]; }
}

// Every element of segment s gets values[s] (the gate of a gated reward, a group's baseline).
@compute @workgroup_size(64)
fn seg_broadcast(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = segment(id);
    if s >= p.segments { return; }
    let v = values[s];
    for (var i = offsets[s]; i < offsets[s + 1u]; i++) { out[i] = v; }
}

// Discounted return from each step to the segment's end: out[i] = values[i] + gamma * out[i + 1].
@compute @workgroup_size(64)
fn seg_discounted(@builtin(global_invocation_id) id: vec3<u32>) {
    let s = segment(id);
    if s >= p.segments { return; }
    let start = offsets[s];
    var acc = 0.0;
    for (var i = offsets[s + 1u]; i > start; i--) {
        acc = values[i - 1u] + p.gamma * acc;
        out[i - 1u] = acc;
    }
}
