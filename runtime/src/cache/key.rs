//! A node -> its cache key: BLAKE3 over the node's definition (builtin and version, arguments and
//! inlined lets with spans stripped, loop bindings, output shape, and every top-level declaration it
//! reaches by name), its inputs' keys and the contents of the files it reads. Moving code around or
//! reformatting changes no key; editing a stage changes its key and its dependants' keys only.
//! A Docker image a node's verifiers use counts as an input: rebuilding it reruns them; so do the
//! files of a local model it names.

use crate::data::Value;
use crate::stages::{RunEnv, io_paths};
use pipec_compiler::plan::{Node, Plan};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Bump when the meaning of cached bytes changes (so old entries are never reused).
pub const CACHE_FORMAT: u32 = 1;

/// What a key is made of, kept in the manifest so `pipec explain` can say what changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyParts {
    /// Hash of the node's own definition and the declarations it reaches.
    pub definition: String,
    /// Input node id -> its key.
    pub inputs: BTreeMap<String, String>,
    /// File read -> hash of its contents.
    pub files: BTreeMap<String, String>,
}

/// The key of `node` given its inputs' keys (by node id). Reads the files a source node names.
pub fn node_key(plan: &Plan, node: &Node, input_keys: &BTreeMap<String, String>, env: &RunEnv) -> Result<(String, KeyParts), String> {
    let mut files = BTreeMap::new();
    for (shown, path) in io_paths(plan, node, env) {
        // Streamed: checkpoints can be larger than memory.
        let mut hasher = blake3::Hasher::new();
        std::fs::File::open(&path).and_then(|f| hasher.update_reader(f).map(|_| ())).map_err(|e| format!("cannot read {shown}: {e}"))?;
        files.insert(shown, hasher.finalize().to_hex().to_string());
    }
    let (definition, reached) = definition_hash(plan, node);
    for q in reached {
        if let Some(image) = plan.definitions.get(&q).and_then(|d| crate::sandbox::declared_image(&d.item)) {
            let id = env.sandbox.image_id(&image).map_err(|e| e.0)?;
            files.insert(format!("image {image}"), id);
        }
        if let Some(spec) = crate::models::local_spec(plan, node, &crate::stages::node_dir(env, node), &q)? {
            files.insert(format!("model {}", crate::stages::shown(env, &spec.path)), crate::models::local::files_digest(&spec.files())?);
        }
    }
    let parts = KeyParts { definition, inputs: input_keys.clone(), files };
    let key = blake3::hash(serde_json::to_string(&parts).unwrap_or_default().as_bytes()).to_hex().to_string();
    Ok((key, parts))
}

/// The hash of the node's definition, and the qualified names of the declarations it reaches.
fn definition_hash(plan: &Plan, node: &Node) -> (String, Vec<String>) {
    let mut doc = serde_json::Map::new();
    doc.insert("format".into(), Value::from(CACHE_FORMAT));
    doc.insert("builtin".into(), Value::from(node.builtin.clone()));
    doc.insert("version".into(), Value::from(node.builtin_version));
    doc.insert("args".into(), stripped(&node.args));
    doc.insert("refs".into(), stripped(&node.refs));
    doc.insert("bindings".into(), stripped(&node.bindings));
    doc.insert("data".into(), stripped(&node.data));
    let own = Value::Object(doc.clone());
    let reaches = reached(plan, &node.module, &own);
    let names = reaches.keys().cloned().collect();
    doc.insert("reaches".into(), Value::Object(reaches));
    (blake3::hash(Value::Object(doc).to_string().as_bytes()).to_hex().to_string(), names)
}

/// Serialised without source positions.
fn stripped(v: &impl Serialize) -> Value {
    let mut v = serde_json::to_value(v).unwrap_or(Value::Null);
    strip_spans(&mut v);
    v
}

fn strip_spans(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("span");
            m.values_mut().for_each(strip_spans);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

/// Every declaration reachable by name from `root` (transitively), by qualified name. A name that
/// happens to match a declaration only makes the key more cautious, never stale.
fn reached(plan: &Plan, module: &str, root: &Value) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![(module.to_string(), root.clone())];
    while let Some((module, v)) = todo.pop() {
        let mut names = Vec::new();
        names_in(&v, &mut names);
        let Some(scope) = plan.scopes.get(&module) else { continue };
        for n in names {
            let Some(q) = scope.get(&n) else { continue };
            if !seen.insert(q.clone()) {
                continue;
            }
            if let Some(def) = plan.definitions.get(q) {
                let item = stripped(&def.item);
                out.insert(q.clone(), item.clone());
                todo.push((def.module.clone(), item));
            }
        }
    }
    out
}

fn names_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(n)) = m.get("name") {
                out.push(n.clone());
            }
            m.values().for_each(|x| names_in(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| names_in(x, out)),
        _ => {}
    }
}

/// Keys of every node of a pipeline, by node id, computed without running anything.
pub fn keys_for(plan: &Plan, pipeline: &pipec_compiler::plan::PipelinePlan, env: &RunEnv, store: &super::Store) -> Result<HashMap<String, NodeKeys>, String> {
    let mut keys: HashMap<String, NodeKeys> = HashMap::new();
    for i in pipeline.order() {
        let node = &pipeline.graph[i];
        let inputs = node.inputs.iter().filter_map(|id| keys.get(id).map(|k| (id.clone(), k.output.clone()))).collect();
        let (key, parts) = node_key(plan, node, &inputs, env)?;
        // Files the stored entry's run read, digested as they are now.
        let files: BTreeMap<String, String> = store.header(&key).map(|h| h.files.into_keys().map(|p| (p.clone(), crate::eval::source_digest(std::path::Path::new(&p)).unwrap_or_default())).collect()).unwrap_or_default();
        keys.insert(node.id.clone(), NodeKeys { output: output_key(&key, &files), key, parts });
    }
    Ok(keys)
}

/// A node's keys: where its output is stored, and the key its dependants see (the storage key
/// combined with the files it read while running, so they rerun when one changes).
pub struct NodeKeys {
    pub key: String,
    pub output: String,
    pub parts: KeyParts,
}

/// The key dependants see: the storage key itself, or with the digests of the files read.
pub fn output_key(key: &str, files: &BTreeMap<String, String>) -> String {
    if files.is_empty() {
        return key.to_string();
    }
    let mut h = blake3::Hasher::new();
    h.update(key.as_bytes());
    for (path, digest) in files {
        h.update(format!("\n{path}\t{digest}").as_bytes());
    }
    h.finalize().to_hex().to_string()
}
