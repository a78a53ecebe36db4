//! Just enough of the safetensors format to stream it: read a file's header (tensor names,
//! dtypes, shapes, byte ranges) and write one whose tensors follow in name order. Tensor bytes
//! are read and written in chunks, never whole files.

use rayon::prelude::*;
use serde_json::{Map, Value, json};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F16,
    Bf16,
}

impl Dtype {
    fn parse(s: &str) -> Option<Dtype> {
        match s {
            "F32" => Some(Dtype::F32),
            "F16" => Some(Dtype::F16),
            "BF16" => Some(Dtype::Bf16),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F16 => "F16",
            Dtype::Bf16 => "BF16",
        }
    }

    pub fn size(self) -> usize {
        if self == Dtype::F32 { 4 } else { 2 }
    }

    /// Little-endian bytes to f32, appended to `out` (in parallel: this is the soup's hot loop).
    pub fn decode(self, bytes: &[u8], out: &mut Vec<f32>) {
        match self {
            Dtype::F32 => out.par_extend(bytes.par_chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            Dtype::F16 => out.par_extend(bytes.par_chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())),
            Dtype::Bf16 => out.par_extend(bytes.par_chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())),
        }
    }

    pub fn encode(self, xs: &[f32], out: &mut Vec<u8>) {
        match self {
            Dtype::F32 => out.par_extend(xs.par_iter().flat_map_iter(|x| x.to_le_bytes())),
            Dtype::F16 => out.par_extend(xs.par_iter().flat_map_iter(|x| half::f16::from_f32(*x).to_le_bytes())),
            Dtype::Bf16 => out.par_extend(xs.par_iter().flat_map_iter(|x| half::bf16::from_f32(*x).to_le_bytes())),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<u64>,
    /// Absolute byte offset of the data in the file.
    pub start: u64,
}

impl Tensor {
    pub fn elements(&self) -> u64 {
        self.shape.iter().product()
    }
}

/// A checkpoint file's tensors, sorted by name.
#[derive(Debug, Clone)]
pub struct Header {
    pub path: PathBuf,
    pub tensors: Vec<Tensor>,
}

fn bad(path: &Path, why: impl std::fmt::Display) -> String {
    format!("{}: not a valid safetensors file: {why}", path.display())
}

pub fn read_header(path: &Path) -> Result<Header, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file_len = f.metadata().map_err(|e| format!("{}: {e}", path.display()))?.len();
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|_| bad(path, "shorter than its 8-byte header length"))?;
    let n = u64::from_le_bytes(len);
    if n > 100 << 20 || 8 + n > file_len {
        return Err(bad(path, format!("header length {n} does not fit the file ({file_len} bytes)")));
    }
    let mut raw = vec![0u8; n as usize];
    f.read_exact(&mut raw).map_err(|e| bad(path, e))?;
    let json: Map<String, Value> = serde_json::from_slice(&raw).map_err(|e| bad(path, format!("header is not a JSON object: {e}")))?;
    let mut tensors = Vec::new();
    for (name, info) in json.iter().filter(|(k, _)| *k != "__metadata__") {
        let dtype = info["dtype"].as_str().ok_or_else(|| bad(path, format!("tensor `{name}` has no dtype")))?;
        let dtype = Dtype::parse(dtype).ok_or_else(|| format!("{}: tensor `{name}` is {dtype}; soups average F32, F16 and BF16 tensors", path.display()))?;
        let shape: Vec<u64> = info["shape"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).ok_or_else(|| bad(path, format!("tensor `{name}` has no shape")))?;
        let offsets: Vec<u64> = info["data_offsets"].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
        let [begin, end] = offsets[..] else { return Err(bad(path, format!("tensor `{name}` has no data_offsets"))) };
        let t = Tensor { name: name.clone(), dtype, shape, start: 8 + n + begin };
        if end < begin || end - begin != t.elements() * dtype.size() as u64 || 8 + n + end > file_len {
            return Err(bad(path, format!("tensor `{name}`'s byte range {begin}..{end} does not match its shape or the file")));
        }
        tensors.push(t);
    }
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Header { path: path.to_path_buf(), tensors })
}

/// The header of a file holding `tensors` back to back in this order, padded to 8 bytes.
pub fn header_bytes(tensors: &[Tensor]) -> Vec<u8> {
    let mut map = Map::new();
    let mut at = 0u64;
    for t in tensors {
        let len = t.elements() * t.dtype.size() as u64;
        map.insert(t.name.clone(), json!({"dtype": t.dtype.name(), "shape": t.shape, "data_offsets": [at, at + len]}));
        at += len;
    }
    let mut text = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text);
    out
}

/// Elements `from..from + count` of `t`, as f32, appended to `out`.
pub fn read_elements(f: &mut std::fs::File, t: &Tensor, from: u64, count: usize, raw: &mut Vec<u8>, out: &mut Vec<f32>) -> std::io::Result<()> {
    let size = t.dtype.size();
    raw.resize(count * size, 0);
    f.seek(SeekFrom::Start(t.start + from * size as u64))?;
    f.read_exact(raw)?;
    t.dtype.decode(raw, out);
    Ok(())
}
