//! `manifest.json`: what a run was (plan hash, inputs, tool versions) and, per node, how it ended,
//! why it ran or was reused, its key, its timing and its record counts. `pipec explain` reads it.

use crate::cache::KeyParts;
use crate::data::atomic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ran,
    Reused,
    Failed,
    TimedOut,
    Cancelled,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ran => "ran",
            Status::Reused => "reused",
            Status::Failed => "failed",
            Status::TimedOut => "timed out",
            Status::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeRecord {
    pub id: String,
    pub builtin: String,
    /// `file:line:column` of the statement that declared the node.
    pub location: String,
    pub status: Status,
    /// Why it ran, was reused, or did not run.
    pub reason: String,
    pub key: Option<String>,
    pub parts: Option<KeyParts>,
    /// Milliseconds after the run started.
    pub start_ms: f64,
    pub duration_ms: f64,
    pub rows_in: usize,
    pub rows_out: Option<usize>,
    pub attempts: u32,
    /// Files this node wrote into the run folder.
    pub files: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub pipec: String,
    pub plan_version: u32,
    pub cache_format: u32,
    pub pipeline: String,
    pub entry: Vec<String>,
    pub workdir: String,
    /// BLAKE3 of `plan.json`.
    pub plan_hash: String,
    pub started: String,
    pub finished: String,
    /// `ok` or `failed`.
    pub status: String,
    pub wall_ms: f64,
    /// Every file read, with the hash of its contents.
    pub inputs: BTreeMap<String, String>,
    pub nodes: Vec<NodeRecord>,
}

impl Manifest {
    pub fn load(run_dir: &Path) -> Result<Manifest, String> {
        let path = run_dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e} (a run killed before it finished has no manifest; its events are in logs/events.jsonl)", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: not a pipec manifest: {e}", path.display()))
    }

    pub fn save(&self, run_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        atomic::write_bytes(&run_dir.join("manifest.json"), &run_dir.join(".tmp"), text.as_bytes())
    }

    pub fn node(&self, id: &str) -> Option<&NodeRecord> {
        self.nodes.iter().find(|n| n.id == id)
    }
}
