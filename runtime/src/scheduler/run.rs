//! One pipeline run: reserve the run folder, walk the DAG, and for each node compute its key, reuse
//! the cached output or execute and store it, write sink files and metrics, and record what
//! happened. Every file lands atomically, so a killed run leaves only complete files behind.

use super::reason::why_ran;
use super::walker::{Ended, Limits, walk};
use super::node::{Computed, NodeError, NodeInputs, Place, compute, materialize};
use crate::cache::Store;
use crate::data::{Value, atomic, jsonl};
use crate::report::manifest::{Manifest, NodeRecord, Status};
use crate::report::{clock, create_run_dir, html, previous_run};
use crate::stages::{self, RunEnv};
use petgraph::graph::NodeIndex;
use pipec_compiler::plan::{Node, NodeKind, Plan};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub limits: Limits,
    pub sandbox: crate::sandbox::Mode,
    pub backend: pipec_compute::Choice,
    pub fresh: bool,
    pub runs_dir: PathBuf,
    pub cache_dir: PathBuf,
    pub workdir: PathBuf,
    pub entry: Vec<String>,
}

/// Told about each node as it starts and ends (progress bars, logs).
pub trait Observer: Send + Sync {
    fn started(&self, node: &Node);
    fn finished(&self, record: &NodeRecord);
}

pub struct RunResult {
    pub run_dir: PathBuf,
    pub manifest: Manifest,
    pub failures: Vec<(NodeIndex, NodeError)>,
}

struct Shared {
    plan: Arc<Plan>,
    /// BLAKE3 of `plan.json`.
    plan_hash: String,
    pipeline: usize,
    env: RunEnv,
    store: Store,
    fresh: bool,
    run_name: String,
    previous: Option<(String, Manifest)>,
    t0: Instant,
    observer: Arc<dyn Observer>,
    state: Mutex<State>,
    events: Mutex<std::fs::File>,
    /// Set when the walk is over: a timed-out node still computing must not record anything.
    closed: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct State {
    outputs: HashMap<String, (String, Arc<Value>)>,
    records: HashMap<String, NodeRecord>,
    metrics: HashMap<String, Vec<Value>>,
}

/// Run `pipeline` of `plan`. `Err` only when the run folder itself cannot be made or written.
pub fn run_pipeline(plan: Arc<Plan>, pipeline: &str, opts: &RunOptions, observer: Arc<dyn Observer>) -> Result<RunResult, String> {
    let started = clock::rfc3339();
    let shared = open_run(plan.clone(), pipeline, opts, observer)?;
    let p = &plan.pipelines[shared.pipeline];
    let order = p.order();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).max_blocking_threads(opts.limits.total()).enable_time().enable_io().build().map_err(|e| e.to_string())?;
    let walked = runtime.block_on(async {
        let all = walk(&p.graph, &order, &opts.limits, |i, attempt| {
            let shared = shared.clone();
            async move { tokio::task::spawn_blocking(move || run_node(&shared, i, attempt)).await.unwrap_or_else(|e| Err(NodeError::Panicked(e.to_string()))) }
        });
        tokio::select! {
            ended = all => Some(ended),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(ended) = walked else {
        // Ctrl-C: no container outlives us; finished nodes are cached, so the next run resumes.
        shared.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        shared.env.sandbox.abort();
        eprintln!("interrupted: sandboxes removed; finished nodes are cached, run again to resume");
        std::process::exit(130);
    };
    // A timed-out node may still be computing: it must not record anything from now on.
    shared.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    runtime.shutdown_background();
    shared.env.sandbox.close();
    let Collected { nodes, failures, metrics, inputs } = collect(&shared, &order, ended);
    let run_dir = shared.env.outputs.parent().unwrap_or(Path::new(".")).to_path_buf();
    let manifest = Manifest {
        pipec: env!("CARGO_PKG_VERSION").into(),
        plan_version: plan.version,
        cache_format: crate::cache::key::CACHE_FORMAT,
        pipeline: pipeline.into(),
        entry: opts.entry.clone(),
        workdir: opts.workdir.display().to_string(),
        plan_hash: shared.plan_hash.clone(),
        started,
        finished: clock::rfc3339(),
        status: if failures.is_empty() && nodes.iter().all(|n| n.status != Status::Cancelled) { "ok".into() } else { "failed".into() },
        wall_ms: shared.t0.elapsed().as_secs_f64() * 1e3,
        inputs,
        nodes,
    };
    let io = |e: std::io::Error| format!("cannot write into {}: {e}", run_dir.display());
    jsonl::write(&run_dir.join("metrics.jsonl"), &shared.env.scratch, &metrics).map_err(io)?;
    atomic::write_bytes(&run_dir.join("report.html"), &shared.env.scratch, html::render(p, &manifest, &metrics).as_bytes()).map_err(io)?;
    manifest.save(&run_dir).map_err(io)?;
    let _ = std::fs::remove_dir(&shared.env.scratch);
    Ok(RunResult { run_dir, manifest, failures })
}

/// Reserve the run folder, write the plan into it, find the previous run, open the event log.
fn open_run(plan: Arc<Plan>, pipeline: &str, opts: &RunOptions, observer: Arc<dyn Observer>) -> Result<Arc<Shared>, String> {
    let pi = plan.pipelines.iter().position(|p| p.name == pipeline).ok_or_else(|| format!("no pipeline named `{pipeline}`"))?;
    let run_dir = create_run_dir(&opts.runs_dir, pipeline, &clock::stamp()).map_err(|e| format!("cannot create a run folder in {}: {e}", opts.runs_dir.display()))?;
    let run_name = run_dir.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let sandbox = Arc::new(crate::sandbox::Client::new(opts.sandbox)?);
    let env = RunEnv { workdir: opts.workdir.clone(), outputs: run_dir.join("outputs"), scratch: run_dir.join(".tmp"), sandbox, sandbox_slots: opts.limits.sandbox, compute: Arc::new(crate::compute::Compute::new(opts.backend)), blobs: opts.cache_dir.join("blobs"), models: Arc::new(crate::models::Models::new(opts.cache_dir.join("requests"))) };
    let io = |e: std::io::Error| format!("cannot write into {}: {e}", run_dir.display());
    let plan_json = plan.to_json();
    atomic::write_bytes(&run_dir.join("plan.json"), &env.scratch, plan_json.as_bytes()).map_err(io)?;
    std::fs::create_dir_all(run_dir.join("logs")).map_err(io)?;
    let events = std::fs::OpenOptions::new().create(true).append(true).open(run_dir.join("logs/events.jsonl")).map_err(io)?;
    let previous = previous_run(&opts.runs_dir, pipeline, &run_dir).and_then(|d| Some((d.file_name()?.to_string_lossy().into_owned(), Manifest::load(&d).ok()?)));
    Ok(Arc::new(Shared {
        plan,
        plan_hash: blake3::hash(plan_json.as_bytes()).to_hex().to_string(),
        pipeline: pi,
        env,
        store: Store::open(&opts.cache_dir),
        fresh: opts.fresh,
        run_name,
        previous,
        t0: Instant::now(),
        observer,
        state: Mutex::new(State::default()),
        events: Mutex::new(events),
        closed: Default::default(),
    }))
}

struct Collected {
    nodes: Vec<NodeRecord>,
    failures: Vec<(NodeIndex, NodeError)>,
    metrics: Vec<Value>,
    inputs: BTreeMap<String, String>,
}

/// Every node's record in plan order (with records for those that did not finish), the failures,
/// the metrics in plan order, and every file read with its hash.
fn collect(shared: &Shared, order: &[NodeIndex], mut ended: HashMap<NodeIndex, Ended<NodeError>>) -> Collected {
    let graph = &shared.plan.pipelines[shared.pipeline].graph;
    let mut state = std::mem::take(&mut *shared.state.lock().unwrap_or_else(|p| p.into_inner()));
    let mut out = Collected { nodes: vec![], failures: vec![], metrics: vec![], inputs: BTreeMap::new() };
    for i in order {
        let node = &graph[*i];
        let record = match ended.remove(i) {
            Some(Ended::Done) | None => state.records.remove(&node.id),
            Some(other) => {
                let rec = unfinished(shared, node, &other, graph);
                match other {
                    Ended::Failed(e, _) => out.failures.push((*i, e)),
                    Ended::TimedOut(ms) => out.failures.push((*i, NodeError::TimedOut(ms))),
                    _ => {}
                }
                shared.observer.finished(&rec);
                Some(rec)
            }
        };
        if let Some(r) = record {
            for (f, h) in r.parts.iter().flat_map(|p| p.files.iter()) {
                out.inputs.insert(f.clone(), h.clone());
            }
            out.nodes.push(r);
        }
        out.metrics.extend(state.metrics.remove(&node.id).unwrap_or_default());
    }
    out
}

fn unfinished(shared: &Shared, node: &Node, how: &Ended<NodeError>, graph: &petgraph::graph::DiGraph<Node, ()>) -> NodeRecord {
    let (status, reason, error, attempts) = match how {
        Ended::Failed(e, n) => (Status::Failed, format!("failed after {n} attempt(s)"), Some(e.message()), *n),
        Ended::TimedOut(ms) => (Status::TimedOut, format!("timed out after {ms} ms"), Some(format!("timed out after {ms} ms")), 1 + node.policy.retries),
        Ended::Cancelled { upstream } => (Status::Cancelled, format!("cancelled: upstream node `{}` did not finish", graph[*upstream].id), None, 0),
        Ended::Done => (Status::Ran, String::new(), None, 1),
    };
    let rec = NodeRecord { id: node.id.clone(), builtin: node.builtin.clone(), location: location(node), status, reason, key: None, parts: None, start_ms: 0.0, duration_ms: 0.0, rows_in: 0, rows_out: None, attempts, files: vec![], error };
    log_event(shared, &rec);
    rec
}

fn location(node: &Node) -> String {
    format!("{}:{}:{}", node.location.file, node.location.line, node.location.column)
}

fn log_event(shared: &Shared, rec: &NodeRecord) {
    if let Ok(mut f) = shared.events.lock() {
        let _ = writeln!(f, "{}", serde_json::to_string(rec).unwrap_or_default());
    }
}

fn rows(v: &Value) -> usize {
    v.as_array().map_or(1, Vec::len)
}

fn run_node(shared: &Shared, i: NodeIndex, attempt: u32) -> Result<(), NodeError> {
    let plan = &shared.plan;
    let node = &plan.pipelines[shared.pipeline].graph[i];
    if attempt == 0 {
        shared.observer.started(node);
    }
    let start = shared.t0.elapsed();
    let (input_keys, inputs) = {
        let state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut keys = BTreeMap::new();
        let mut values = HashMap::new();
        for id in &node.inputs {
            if let Some((k, v)) = state.outputs.get(id) {
                keys.insert(id.clone(), k.clone());
                values.insert(id.clone(), v.clone());
            }
        }
        (keys, values)
    };
    let rows_in = inputs.values().map(|v| rows(v)).sum();
    let abandoned = || shared.closed.load(std::sync::atomic::Ordering::SeqCst);
    let Computed { key, parts, value, reused_from, stale, output_key } = compute(plan, node, &NodeInputs { values: &inputs, keys: &input_keys }, &Place { env: &shared.env, store: &shared.store, fresh: shared.fresh, run_name: &shared.run_name }, &abandoned)?;
    let (status, reason) = match reused_from {
        Some(run) => (Status::Reused, format!("reused: cache entry {} made by run {run}", &key[..12])),
        None => match stale {
            Some(file) => (Status::Ran, format!("ran: {} changed since cache entry {} read it", relative(Path::new(&file), &shared.env.workdir), &key[..12])),
            None => {
                let previous = shared.previous.as_ref().map(|(n, m)| (n.as_str(), m));
                (Status::Ran, why_ran(shared.fresh, previous, &node.id, &parts))
            }
        },
    };
    let run_dir = shared.env.outputs.parent().unwrap_or(Path::new(""));
    let files = materialize(plan, node, &value, &shared.env)?.iter().map(|p| relative(p, run_dir)).collect();
    let record = NodeRecord {
        id: node.id.clone(),
        builtin: node.builtin.clone(),
        location: location(node),
        status,
        reason,
        key: Some(key.clone()),
        parts: Some(parts),
        start_ms: start.as_secs_f64() * 1e3,
        duration_ms: (shared.t0.elapsed() - start).as_secs_f64() * 1e3,
        rows_in,
        rows_out: Some(rows(&value)),
        attempts: attempt + 1,
        files,
        error: None,
    };
    log_event(shared, &record);
    shared.observer.finished(&record);
    let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
    if node.kind == NodeKind::Report {
        let items = stages::items(&value).iter().map(|item| metric(node, item)).collect();
        state.metrics.insert(node.id.clone(), items);
    } else if node.builtin == "score" {
        state.metrics.insert(node.id.clone(), score_metrics(node, &value));
    }
    state.records.insert(node.id.clone(), record);
    state.outputs.insert(node.id.clone(), (output_key, Arc::new(value)));
    Ok(())
}

/// A `score` node's metrics: the mean of its reward and of each term (`score(gra).format`).
fn score_metrics(node: &Node, value: &Value) -> Vec<Value> {
    let rows = stages::items(value);
    let Some(reward) = node.args.get("reward").and_then(|a| match a {
        pipec_compiler::plan::ArgValue::Expr { source, .. } => Some(source.clone()),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mean = |f: &dyn Fn(&Value) -> Option<f64>| {
        let xs: Vec<f64> = rows.iter().filter_map(f).collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    };
    let mut names: Vec<String> = rows.iter().filter_map(|r| r.get(format!("{reward}_terms"))?.as_object()).flat_map(|m| m.keys().cloned()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    if let Some(m) = mean(&|r| r.get(&reward)?.as_f64()) {
        out.push(metric(node, &serde_json::json!({"name": format!("score({reward})"), "value": m})));
    }
    for term in names {
        if let Some(m) = mean(&|r| r.get(format!("{reward}_terms"))?.get(&term)?.as_f64()) {
            out.push(metric(node, &serde_json::json!({"name": format!("score({reward}).{term}"), "value": m})));
        }
    }
    out
}

/// One `metrics.jsonl` line: the report item with the node and loop bindings it came from.
fn metric(node: &Node, item: &Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("node".into(), Value::String(node.id.clone()));
    m.insert("name".into(), item.get("name").cloned().unwrap_or(Value::Null));
    m.insert("value".into(), item.get("value").cloned().unwrap_or(Value::Null));
    if !node.bindings.is_empty() {
        m.insert("bindings".into(), serde_json::to_value(&node.bindings).unwrap_or(Value::Null));
    }
    Value::Object(m)
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}
