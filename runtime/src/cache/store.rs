//! The on-disk store: one file per key, `objects/<k0k1>/<key>.jsonl`, whose first line is a header
//! (format, shape, record count, producing node and run, files read while running) and whose
//! other lines are the records. The
//! file appears by atomic rename, so an entry is complete or absent; a damaged one is a miss.

use super::key::CACHE_FORMAT;
use crate::data::{Value, atomic, jsonl};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write as _};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// `list` (one record per line) or `value` (a single line).
    pub shape: String,
    pub rows: usize,
    pub node: String,
    pub run: String,
    /// Files the node read while it ran (a verifier's copied repository, mounted tests), with
    /// the BLAKE3 of their contents: the entry is valid only while they are unchanged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
}

impl Store {
    pub fn open(root: &Path) -> Store {
        Store { root: root.to_path_buf() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join("objects").join(&key[..2.min(key.len())]).join(format!("{key}.jsonl"))
    }

    pub fn contains(&self, key: &str) -> bool {
        self.path(key).is_file()
    }

    /// The header of a stored entry (its first line), without reading the records.
    pub fn header(&self, key: &str) -> Option<Header> {
        let file = std::fs::File::open(self.path(key)).ok()?;
        serde_json::from_str(&BufReader::new(file).lines().next()?.ok()?).ok()
    }

    /// The stored output and its header, or `None` when absent or damaged.
    pub fn get(&self, key: &str) -> Option<(Value, Header)> {
        let file = std::fs::File::open(self.path(key)).ok()?;
        let mut lines = BufReader::new(file).lines();
        let header: Header = serde_json::from_str(&lines.next()?.ok()?).ok()?;
        if header.format != CACHE_FORMAT {
            return None;
        }
        let mut rows = Vec::with_capacity(header.rows);
        for line in lines {
            rows.push(serde_json::from_str::<Value>(&line.ok()?).ok()?);
        }
        match header.shape.as_str() {
            "list" if rows.len() == header.rows => Some((Value::Array(rows), header)),
            "value" if rows.len() == 1 => rows.pop().map(|v| (v, header)),
            _ => None,
        }
    }

    /// Store `value` under `key` atomically.
    pub fn put(&self, key: &str, value: &Value, node: &str, run: &str, files: &BTreeMap<String, String>) -> std::io::Result<()> {
        let (shape, rows) = match value {
            Value::Array(rows) => ("list", rows.as_slice()),
            one => ("value", std::slice::from_ref(one)),
        };
        let header = Header { format: CACHE_FORMAT, shape: shape.into(), rows: rows.len(), node: node.into(), run: run.into(), files: files.clone() };
        atomic::write_atomic(&self.path(key), &self.root.join("tmp"), |w| {
            serde_json::to_writer(&mut *w, &header)?;
            w.write_all(b"\n")?;
            jsonl::write_to(w, rows)
        })
    }
}
