//! Model soup: the weighted average of checkpoints' tensors, streamed. Tensors are processed in
//! chunks of at most `CHUNK` elements, so memory holds one f32 accumulator chunk and one input
//! chunk whatever the checkpoints' size or count. The output is a valid safetensors file (tensors
//! in name order, each in its input dtype), written to a temporary file and renamed into place.

mod cpu;
pub mod safetensors;

use crate::backend::{Backend, Gpu, Kernel, grid};
use safetensors::{Header, Tensor, header_bytes, read_elements, read_header};
use std::io::Write;
use std::path::Path;

const SHADER: &str = include_str!("shader.wgsl");
/// Elements per chunk (16 MiB of f32).
pub const CHUNK: usize = 4 << 20;

/// What a soup did: tensors and bytes written, the BLAKE3 of the file (hashed as it is written,
/// so a content-addressed store need not read it back), and the most tensor data held at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub tensors: usize,
    pub bytes: u64,
    pub blake3: String,
    pub peak_buffer_bytes: u64,
}

/// Average `inputs` (safetensors files) with `weights` (normalised to sum to 1) into `out`.
pub fn soup(backend: &Backend, inputs: &[&Path], weights: &[f32], out: &Path) -> Result<Stats, String> {
    let weights = normalise(inputs.len(), weights)?;
    let headers: Vec<Header> = inputs.iter().map(|p| read_header(p)).collect::<Result<_, _>>()?;
    let tensors = agree(&headers)?;
    let tmp = out.with_extension(format!("tmp-{}", std::process::id()));
    let result = write_soup(backend, &headers, &tensors, &weights, &tmp);
    match result {
        Ok(stats) => std::fs::rename(&tmp, out).map(|_| stats).map_err(|e| format!("{}: {e}", out.display())),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn normalise(n: usize, weights: &[f32]) -> Result<Vec<f32>, String> {
    if n == 0 {
        return Err("a soup needs at least one checkpoint".into());
    }
    if weights.is_empty() {
        return Ok(vec![1.0 / n as f32; n]);
    }
    if weights.len() != n {
        return Err(format!("{} weights for {n} checkpoints: give one weight per checkpoint", weights.len()));
    }
    let total: f32 = weights.iter().sum();
    if !total.is_finite() || total == 0.0 || weights.iter().any(|w| !w.is_finite()) {
        return Err(format!("weights {weights:?} must be finite and not sum to 0"));
    }
    Ok(weights.iter().map(|w| w / total).collect())
}

/// Every checkpoint must hold the same tensors with the same shapes and dtypes.
fn agree(headers: &[Header]) -> Result<Vec<Tensor>, String> {
    let first = &headers[0];
    for h in &headers[1..] {
        for (a, b) in first.tensors.iter().zip(&h.tensors) {
            if a.name != b.name {
                return Err(format!("{} has tensor `{}` where {} has `{}`: soups need checkpoints of one architecture", h.path.display(), b.name, first.path.display(), a.name));
            }
            if (a.shape.as_slice(), a.dtype) != (b.shape.as_slice(), b.dtype) {
                return Err(format!("{}: tensor `{}` is {} {:?}, but {} has {} {:?}", h.path.display(), b.name, b.dtype.name(), b.shape, first.path.display(), a.dtype.name(), a.shape));
            }
        }
        if h.tensors.len() != first.tensors.len() {
            return Err(format!("{} has {} tensors, {} has {}", h.path.display(), h.tensors.len(), first.path.display(), first.tensors.len()));
        }
    }
    Ok(first.tensors.clone())
}

fn write_soup(backend: &Backend, headers: &[Header], tensors: &[Tensor], weights: &[f32], tmp: &Path) -> Result<Stats, String> {
    let io = |e: std::io::Error| format!("{}: {e}", tmp.display());
    let mut files: Vec<std::fs::File> = headers.iter().map(|h| std::fs::File::open(&h.path).map_err(|e| format!("{}: {e}", h.path.display()))).collect::<Result<_, _>>()?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(tmp).map_err(io)?);
    let header = header_bytes(tensors);
    w.write_all(&header).map_err(io)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header);
    let mut stats = Stats { tensors: tensors.len(), bytes: header.len() as u64, blake3: String::new(), peak_buffer_bytes: 0 };
    let (mut raw, mut x, mut acc, mut encoded) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (t, tensor) in tensors.iter().enumerate() {
        let n = tensor.elements();
        for from in (0..n).step_by(CHUNK) {
            let count = (n - from).min(CHUNK as u64) as usize;
            acc.clear();
            acc.resize(count, 0.0);
            for (m, f) in files.iter_mut().enumerate() {
                x.clear();
                read_elements(f, &headers[m].tensors[t], from, count, &mut raw, &mut x).map_err(|e| format!("{}: tensor `{}`: {e}", headers[m].path.display(), tensor.name))?;
                accumulate(backend, &mut acc, &x, weights[m], m == 0)?;
            }
            encoded.clear();
            tensor.dtype.encode(&acc, &mut encoded);
            w.write_all(&encoded).map_err(io)?;
            hasher.update(&encoded);
            stats.bytes += encoded.len() as u64;
            let held = (raw.capacity() + encoded.capacity() + 4 * (x.capacity() + acc.capacity())) as u64;
            stats.peak_buffer_bytes = stats.peak_buffer_bytes.max(held);
        }
    }
    let f = w.into_inner().map_err(|e| io(e.into_error()))?;
    f.sync_all().map_err(io)?;
    stats.blake3 = hasher.finalize().to_hex().to_string();
    Ok(stats)
}

/// `acc = w * x` when `first`, else `acc += w * x`.
pub fn accumulate(backend: &Backend, acc: &mut [f32], x: &[f32], w: f32, first: bool) -> Result<(), String> {
    match backend {
        Backend::Cpu => {
            cpu::axpy(acc, x, w, first);
            Ok(())
        }
        Backend::Gpu(g) => on_gpu(g, acc, x, w, first),
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    first: u32,
    weight: f32,
    stride: u32,
}

fn on_gpu(g: &Gpu, acc: &mut [f32], x: &[f32], w: f32, first: bool) -> Result<(), String> {
    let cap = (g.max_binding() / 4) as usize;
    for start in (0..acc.len()).step_by(cap.max(1)) {
        let end = (start + cap).min(acc.len());
        let (xb, ab) = (g.upload(&x[start..end]), g.upload(&acc[start..end]));
        let groups = grid((end - start) as u64, 256, g.max_groups());
        let params = Params { len: (end - start) as u32, first: first as u32, weight: w, stride: groups[0] * 256 };
        g.dispatch(&Kernel { name: "soup", source: SHADER, entry: "axpy" }, &params, &[&xb, &ab], groups);
        acc[start..end].copy_from_slice(&g.read::<f32>(&ab)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
