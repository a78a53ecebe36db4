// Tiled similarity GEMM: s = q · xᵀ for a chunk of queries (rows × dim) against a chunk of the
// index (cols × dim). A 16×16 workgroup computes a 64×64 tile, 4×4 outputs per invocation, with
// 16-wide slices of both operands staged in workgroup memory.

struct Params {
    rows: u32,
    cols: u32,
    dim: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

const TILE: u32 = 64u;
const KT: u32 = 16u;
var<workgroup> qt: array<f32, 1024>;
var<workgroup> xt: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wg.y * TILE;
    let col0 = wg.x * TILE;
    let t = lid.y * 16u + lid.x;
    var acc: array<f32, 16>;
    for (var k0 = 0u; k0 < p.dim; k0 += KT) {
        for (var j = 0u; j < 4u; j++) {
            let e = t + 256u * j;
            let r = e / KT;
            let c = k0 + e % KT;
            let qr = row0 + r;
            let xr = col0 + r;
            qt[e] = select(0.0, q[qr * p.dim + c], qr < p.rows && c < p.dim);
            xt[e] = select(0.0, x[xr * p.dim + c], xr < p.cols && c < p.dim);
        }
        workgroupBarrier();
        for (var c = 0u; c < KT; c++) {
            var qa: array<f32, 4>;
            var xb: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                qa[i] = qt[(lid.y * 4u + i) * KT + c];
                xb[i] = xt[(lid.x * 4u + i) * KT + c];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] += qa[i] * xb[j];
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            let r = row0 + lid.y * 4u + i;
            let c = col0 + lid.x * 4u + j;
            if r < p.rows && c < p.cols {
                s[r * p.cols + c] = acc[i * 4u + j];
            }
        }
    }
}
