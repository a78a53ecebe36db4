// Per-row top-k by blocks: a workgroup sorts one 1,024-wide block of a row in workgroup memory
// (bitonic, best first: higher score, then lower id) and keeps its first k. Repeated over the
// kept candidates until one block per row remains. The first pass reads raw scores and takes ids
// from column positions; later passes read (score, id) candidates.

struct Params {
    rows: u32,
    // Length of each input row.
    len: u32,
    k: u32,
    // Blocks per row: ceil(len / 1024).
    blocks: u32,
    // Id of column 0 in the first pass.
    base: u32,
    // 1 in the first pass (ids are base + column), 0 after.
    first: u32,
    // Workgroups per row of the dispatch grid.
    stride: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out_scores: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_ids: array<u32>;

const BLOCK: u32 = 1024u;
var<workgroup> ks: array<f32, 1024>;
var<workgroup> ki: array<u32, 1024>;

fn better(a: u32, b: u32) -> bool {
    return ks[a] > ks[b] || (ks[a] == ks[b] && ki[a] < ki[b]);
}

@compute @workgroup_size(256)
fn select_topk(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let g = wg.x + wg.y * p.stride;
    let row = g / p.blocks;
    let block = g % p.blocks;
    let live = row < p.rows;
    for (var j = 0u; j < 4u; j++) {
        let e = t + 256u * j;
        let pos = block * BLOCK + e;
        if live && pos < p.len {
            ks[e] = scores[row * p.len + pos];
            ki[e] = select(ids[row * p.len + pos], p.base + pos, p.first == 1u);
        } else {
            ks[e] = bitcast<f32>(0xff800000u);
            ki[e] = 0xffffffffu;
        }
    }
    for (var size = 2u; size <= BLOCK; size <<= 1u) {
        for (var half = size >> 1u; half > 0u; half >>= 1u) {
            workgroupBarrier();
            for (var j = 0u; j < 4u; j++) {
                let i = t + 256u * j;
                let l = i ^ half;
                if l > i {
                    let down = (i & size) == 0u;
                    if (down && better(l, i)) || (!down && better(i, l)) {
                        let s = ks[i];
                        ks[i] = ks[l];
                        ks[l] = s;
                        let d = ki[i];
                        ki[i] = ki[l];
                        ki[l] = d;
                    }
                }
            }
        }
    }
    workgroupBarrier();
    if live {
        for (var e = t; e < p.k; e += 256u) {
            out_scores[(row * p.blocks + block) * p.k + e] = ks[e];
            out_ids[(row * p.blocks + block) * p.k + e] = ki[e];
        }
    }
}
