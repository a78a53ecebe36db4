//! Batched inner-product similarity and per-row top-k, with per-row exclusion lists (the query
//! itself, its positives). GPU: a tiled GEMM per chunk, exclusions set to -inf, then block-wise
//! bitonic selection until k candidates remain per row; chunks merge on the host. CPU: blocked
//! sgemm (ndarray/matrixmultiply) under rayon with a threshold-pruned candidate buffer per row.
//! Ties go to the lower id. Rows with fewer than k candidates are padded with (-inf, `NONE`).

mod cpu;

use crate::backend::{Backend, Gpu, Kernel, grid};

const GEMM: &str = include_str!("gemm.wgsl");
const EXCLUDE: &str = include_str!("exclude.wgsl");
const SELECT: &str = include_str!("select.wgsl");

/// The id of a padding entry.
pub const NONE: u32 = u32::MAX;
/// The most the GPU selection keeps per block pass; larger k runs on the CPU twin.
pub const GPU_MAX_K: usize = 512;

/// Row-major `rows × k` results, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    pub k: usize,
    pub scores: Vec<f32>,
    pub ids: Vec<u32>,
}

impl Hits {
    pub fn row(&self, r: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let (ids, scores) = (&self.ids[r * self.k..(r + 1) * self.k], &self.scores[r * self.k..(r + 1) * self.k]);
        ids.iter().copied().zip(scores.iter().copied()).filter(|(id, _)| *id != NONE)
    }
}

/// Ids to leave out, per query row, in CSR form: row r excludes `ids[offsets[r]..offsets[r + 1]]`.
#[derive(Debug, Clone, Copy)]
pub struct Exclude<'a> {
    pub offsets: &'a [u32],
    pub ids: &'a [u32],
}

/// The `k` best index rows for each query by inner product. `queries` and `index` are row-major
/// with `dim` columns.
pub fn search(backend: &Backend, queries: &[f32], index: &[f32], dim: usize, k: usize, exclude: Option<Exclude>) -> Result<Hits, String> {
    if dim == 0 || !queries.len().is_multiple_of(dim) || !index.len().is_multiple_of(dim) {
        return Err(format!("vectors must have {dim} columns: {} query values and {} index values do not divide", queries.len(), index.len()));
    }
    let rows = queries.len() / dim;
    if let Some(e) = exclude
        && (e.offsets.len() != rows + 1 || e.offsets.last().copied() != Some(e.ids.len() as u32))
    {
        return Err(format!("exclusions need {} offsets ending at {}; got {}", rows + 1, e.ids.len(), e.offsets.len()));
    }
    if k == 0 || rows == 0 {
        return Ok(Hits { k, scores: Vec::new(), ids: Vec::new() });
    }
    match backend {
        Backend::Gpu(g) if k <= GPU_MAX_K => on_gpu(g, queries, index, dim, k, exclude),
        _ => Ok(cpu::search(queries, index, dim, k, exclude)),
    }
}

/// Better first: higher score, then lower id.
fn better(a: (f32, u32), b: (f32, u32)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct GemmParams {
    rows: u32,
    cols: u32,
    dim: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ExcludeParams {
    rows: u32,
    cols: u32,
    base: u32,
    stride: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SelectParams {
    rows: u32,
    len: u32,
    k: u32,
    blocks: u32,
    base: u32,
    first: u32,
    stride: u32,
    pad: u32,
}

fn on_gpu(g: &Gpu, queries: &[f32], index: &[f32], dim: usize, k: usize, exclude: Option<Exclude>) -> Result<Hits, String> {
    let (rows, n) = (queries.len() / dim, index.len() / dim);
    let cap = (g.max_binding() / 4) as usize;
    if dim > cap {
        return Err(format!("{dim}-wide vectors do not fit one GPU binding"));
    }
    let qc = rows.min(4096).min(cap / dim).max(1);
    let xc = n.min(cap / dim).min(cap / qc).max(1);
    let mut best: Vec<Vec<(f32, u32)>> = vec![Vec::new(); rows];
    for q0 in (0..rows).step_by(qc) {
        let q1 = (q0 + qc).min(rows);
        let q = g.upload(&queries[q0 * dim..q1 * dim]);
        let (ex_off, ex_ids) = match exclude {
            Some(e) => {
                let local: Vec<u32> = e.offsets[q0..=q1].iter().map(|o| o - e.offsets[q0]).collect();
                (local, e.ids[e.offsets[q0] as usize..e.offsets[q1] as usize].to_vec())
            }
            None => (vec![0; q1 - q0 + 1], Vec::new()),
        };
        let (ex_off, ex_ids) = (g.upload(&ex_off), g.upload(&ex_ids));
        for x0 in (0..n).step_by(xc) {
            let x1 = (x0 + xc).min(n);
            let (m, c) = ((q1 - q0) as u32, (x1 - x0) as u32);
            let x = g.upload(&index[x0 * dim..x1 * dim]);
            let s = g.alloc(m as u64 * c as u64 * 4);
            g.dispatch(&Kernel { name: "topk-gemm", source: GEMM, entry: "gemm" }, &GemmParams { rows: m, cols: c, dim: dim as u32, pad: 0 }, &[&q, &x, &s], [c.div_ceil(64), m.div_ceil(64), 1]);
            if exclude.is_some() {
                let groups = grid(m as u64, 64, g.max_groups());
                g.dispatch(&Kernel { name: "topk-exclude", source: EXCLUDE, entry: "exclude" }, &ExcludeParams { rows: m, cols: c, base: x0 as u32, stride: groups[0] * 64 }, &[&ex_off, &ex_ids, &s], groups);
            }
            let (scores, ids) = select(g, s, m, c, k as u32, x0 as u32)?;
            for (r, row) in best[q0..q1].iter_mut().enumerate() {
                let fresh = (0..k).map(|i| (scores[r * k + i], ids[r * k + i])).filter(|(s, id)| *id != NONE && *s != f32::NEG_INFINITY);
                row.extend(fresh);
                row.sort_by(|a, b| better(*a, *b));
                row.truncate(k);
            }
        }
    }
    Ok(pad(best, k))
}

/// Block passes over a `rows × len` score buffer until each row holds its k best (sorted).
fn select(g: &Gpu, scores: crate::backend::Buf, rows: u32, len: u32, k: u32, base: u32) -> Result<(Vec<f32>, Vec<u32>), String> {
    let kernel = Kernel { name: "topk-select", source: SELECT, entry: "select_topk" };
    let (mut scores, mut ids, mut len, mut first) = (scores, g.alloc(4), len, 1);
    loop {
        let blocks = len.div_ceil(1024);
        let (out_s, out_i) = (g.alloc(rows as u64 * blocks as u64 * k as u64 * 4), g.alloc(rows as u64 * blocks as u64 * k as u64 * 4));
        let groups = grid(rows as u64 * blocks as u64, 1, g.max_groups());
        let params = SelectParams { rows, len, k, blocks, base, first, stride: groups[0], pad: 0 };
        g.dispatch(&kernel, &params, &[&scores, &ids, &out_s, &out_i], groups);
        (scores, ids, len, first) = (out_s, out_i, blocks * k, 0);
        if blocks == 1 {
            return Ok((g.read(&scores)?, g.read(&ids)?));
        }
    }
}

/// Rows of up to k hits into padded `Hits`.
fn pad(rows: Vec<Vec<(f32, u32)>>, k: usize) -> Hits {
    let mut hits = Hits { k, scores: Vec::with_capacity(rows.len() * k), ids: Vec::with_capacity(rows.len() * k) };
    for row in rows {
        for i in 0..k {
            let (s, id) = row.get(i).copied().unwrap_or((f32::NEG_INFINITY, NONE));
            hits.scores.push(s);
            hits.ids.push(id);
        }
    }
    hits
}

#[cfg(test)]
mod tests;
