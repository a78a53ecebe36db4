// Per-row exclusion lists (the query itself, its positives): each listed id that falls in this
// index chunk gets score -inf, so selection never returns it.

struct Params {
    rows: u32,
    cols: u32,
    // Global id of the chunk's first column.
    base: u32,
    stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

@compute @workgroup_size(64)
fn exclude(@builtin(global_invocation_id) id: vec3<u32>) {
    let r = id.x + id.y * p.stride;
    if r >= p.rows { return; }
    for (var i = offsets[r]; i < offsets[r + 1u]; i++) {
        let c = ids[i];
        if c >= p.base && c < p.base + p.cols {
            s[r * p.cols + (c - p.base)] = bitcast<f32>(0xff800000u);
        }
    }
}
