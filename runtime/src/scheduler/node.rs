//! One node, on its own: its key from the Plan and its inputs' keys, its output from the cache or
//! from its executor (then stored), and its sink files. `pipec run` calls this for every node; a
//! distributed engine calls it through `pipec node`, one process per node, sharing only the cache.

use crate::cache::{KeyParts, Store, node_key};
use crate::data::Value;
use crate::stages::{self, RunEnv, StageError};
use pipec_compiler::plan::{Node, NodeKind, Plan};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why one node failed.
#[derive(Debug)]
pub enum NodeError {
    Stage(StageError),
    /// Computing its key failed (an input file could not be read).
    Key(String),
    Store(String),
    /// An input's output is not available (not in the cache, for `pipec node`).
    Input(String),
    TimedOut(u64),
    Panicked(String),
}

impl NodeError {
    pub fn message(&self) -> String {
        match self {
            NodeError::Stage(StageError::Eval(e)) => e.message.clone(),
            NodeError::Stage(StageError::Data(d)) => d.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            NodeError::Stage(StageError::Message(m)) | NodeError::Key(m) | NodeError::Store(m) | NodeError::Input(m) | NodeError::Panicked(m) => m.clone(),
            NodeError::TimedOut(ms) => format!("timed out after {ms} ms"),
        }
    }
}

/// A node's output and where it came from.
pub struct Computed {
    pub key: String,
    pub parts: KeyParts,
    pub value: Value,
    /// The run that stored the reused cache entry; `None` when the node ran now.
    pub reused_from: Option<String>,
    /// A file the cache entry's run had read that has changed since (why it ran again).
    pub stale: Option<String>,
    /// The key dependants see (`cache::key::output_key`).
    pub output_key: String,
}

/// What a node needs besides the Plan: its inputs (by node id, with their keys) and where to work.
pub struct NodeInputs<'a> {
    pub values: &'a HashMap<String, Arc<Value>>,
    pub keys: &'a BTreeMap<String, String>,
}

/// Where a node runs: the run's paths, the cache, whether to ignore it, and the run's name.
pub struct Place<'a> {
    pub env: &'a RunEnv,
    pub store: &'a Store,
    pub fresh: bool,
    pub run_name: &'a str,
}

/// Reuse or compute `node`'s output. `abandoned` is asked after executing: when true (the walk gave
/// up on this node), nothing is stored.
pub fn compute(plan: &Plan, node: &Node, inputs: &NodeInputs, at: &Place, abandoned: &dyn Fn() -> bool) -> Result<Computed, NodeError> {
    let (key, parts) = node_key(plan, node, inputs.keys, at.env).map_err(NodeError::Key)?;
    let mut stale = None;
    if !at.fresh && let Some((value, header)) = at.store.get(&key) {
        // Valid only while every file its run read is unchanged.
        stale = header.files.iter().find(|(path, digest)| crate::eval::source_digest(Path::new(path)).ok().as_ref() != Some(*digest)).map(|(path, _)| path.clone());
        if stale.is_none() {
            let output_key = crate::cache::key::output_key(&key, &header.files);
            return Ok(Computed { key, parts, value, reused_from: Some(header.run), stale, output_key });
        }
    }
    let (value, files) = stages::execute(plan, node, inputs.values, at.env).map_err(NodeError::Stage)?;
    if abandoned() {
        return Err(NodeError::TimedOut(node.policy.timeout_ms.unwrap_or(0)));
    }
    at.store.put(&key, &value, &node.id, at.run_name, &files).map_err(|e| NodeError::Store(format!("cannot store the output in the cache: {e}")))?;
    let output_key = crate::cache::key::output_key(&key, &files);
    Ok(Computed { key, parts, value, reused_from: None, stale, output_key })
}

/// Write a sink's files (for a fresh or a reused output alike); returns the paths written.
pub fn materialize(plan: &Plan, node: &Node, value: &Value, env: &RunEnv) -> Result<Vec<PathBuf>, NodeError> {
    if node.kind == NodeKind::Sink && node.builtin == "write" {
        return Ok(vec![stages::write_sink(plan, node, value, env).map_err(NodeError::Stage)?]);
    }
    if node.kind == NodeKind::Sink && node.builtin == "save" {
        return Ok(vec![stages::save_sink(plan, node, value, env).map_err(NodeError::Stage)?]);
    }
    Ok(vec![])
}
