//! `pipec node PLAN --node ID`: run one node of a serialised Plan in its own process, reading its
//! inputs from the cache and storing its output there. This is the unit a distributed engine
//! (Ray, Kubernetes) schedules: any machine with the Plan, the data and the shared cache can run it.

use crate::cache::Store;
use crate::cache::key::keys_for;
use crate::scheduler::node::{NodeError, NodeInputs, Place, compute, materialize};
use crate::stages::RunEnv;
use pipec_compiler::plan::Plan;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Args {
    pub plan: PathBuf,
    pub node: String,
    pub pipeline: Option<String>,
    pub cache: PathBuf,
    pub outputs: PathBuf,
    pub fresh: bool,
    pub sandbox: crate::sandbox::Mode,
    pub backend: pipec_compute::Choice,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match run_one(args) {
        Ok(line) => {
            let _ = writeln!(out, "{line}");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

fn run_one(args: &Args) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(&args.plan).map_err(|e| format!("cannot read {}: {e}", args.plan.display()))?;
    let plan = Plan::from_json(&text).map_err(|e| format!("{}: {e}", args.plan.display()))?;
    let pipeline = match &args.pipeline {
        Some(name) => plan.pipeline(name).ok_or_else(|| format!("the plan has no pipeline `{name}`"))?,
        None => plan.pipelines.iter().find(|p| p.node(&args.node).is_some()).ok_or_else(|| format!("no pipeline of the plan has a node `{}`", args.node))?,
    };
    let index = pipeline.node(&args.node).ok_or_else(|| format!("pipeline `{}` has no node `{}`", pipeline.name, args.node))?;
    let node = &pipeline.graph[index];
    let workdir = std::env::current_dir().map_err(|e| e.to_string())?;
    let scratch = args.outputs.parent().map_or_else(|| PathBuf::from(".tmp"), |p| p.join(".tmp"));
    let env = RunEnv { workdir, outputs: args.outputs.clone(), scratch, sandbox: Arc::new(crate::sandbox::Client::new(args.sandbox)?), sandbox_slots: std::thread::available_parallelism().map_or(2, |n| n.get()), compute: Arc::new(crate::compute::Compute::new(args.backend)), blobs: args.cache.join("blobs"), models: Arc::new(crate::models::Models::new(args.cache.join("requests"))) };
    let store = Store::open(&args.cache);
    let keys = keys_for(&plan, pipeline, &env, &store)?;
    let mut values = HashMap::new();
    let mut input_keys = BTreeMap::new();
    for id in &node.inputs {
        let k = &keys[id];
        let (v, _) = store.get(&k.key).ok_or_else(|| format!("input `{id}` (key {}) is not in the cache at {}; run that node first", &k.key[..12], args.cache.display()))?;
        values.insert(id.clone(), Arc::new(v));
        input_keys.insert(id.clone(), k.output.clone());
    }
    let fail = |e: NodeError| format!("{}:{}:{}: node `{}` failed: {}", node.location.file, node.location.line, node.location.column, node.id, e.message());
    let done = compute(&plan, node, &NodeInputs { values: &values, keys: &input_keys }, &Place { env: &env, store: &store, fresh: args.fresh, run_name: "pipec node" }, &|| false);
    env.sandbox.close();
    let done = done.map_err(fail)?;
    let files = materialize(&plan, node, &done.value, &env).map_err(fail)?;
    Ok(serde_json::json!({
        "node": node.id,
        "key": done.key,
        "status": if done.reused_from.is_some() { "reused" } else { "ran" },
        "rows": done.value.as_array().map_or(1, Vec::len),
        "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
    }))
}
