//! Calling a verifier: a rule verifier (`= expr`) is evaluated; a sandboxed one builds its steps
//! (copy, apply, run) from its arguments, runs them in a fresh sandbox of its declared kind, and
//! decides with `pass when` (which sees `exit`, `stdout`, `stderr`, `timed_out`, `duration_ms`).
//! `on timeout` and `on infra_error` say what those outcomes become: fail, pass, drop, or
//! retry(n) else ...; an infrastructure error is never silently a failed verdict.

use super::{Evaluator, Locals, Result, Val, fail};
use crate::data::Value;
use crate::sandbox::{self, Infra, Kind, Outcome, Spec, Step};
use pipec_compiler::ast::{Command, Expr, ExprKind, ItemKind, Policy, VerifierBody, VerifierClause, VerifierDecl};
use pipec_compiler::source::Span;
use serde_json::{Map, json};
use std::path::Path;

/// Characters of output kept in a verdict's `log`.
const LOG_CHARS: usize = 4000;

pub fn call(ev: &Evaluator, v: &VerifierDecl, module: &str, args: Vec<Value>, span: Span) -> Result<Value> {
    let mut locals: Locals = v.params.iter().map(|p| p.name.name.clone()).zip(args.into_iter().map(Val::Data)).collect();
    match &v.body {
        VerifierBody::Expr(e) => match ev.value_in(e, &mut locals, module)? {
            Value::Bool(passed) => Ok(verdict(passed, &Outcome::default(), false)),
            other => Ok(other),
        },
        VerifierBody::Block(clauses) => sandboxed(ev, clauses, &mut locals, module, span),
    }
}

fn sandboxed(ev: &Evaluator, clauses: &[VerifierClause], locals: &mut Locals, module: &str, span: Span) -> Result<Value> {
    let Some((client, base)) = &ev.sandbox else { return fail(span, "this verifier needs a sandbox, and none is available here") };
    let mut spec = None;
    let mut steps = Vec::new();
    let (mut pass_when, mut on_timeout, mut on_infra) = (None, None, None);
    for c in clauses {
        match c {
            VerifierClause::Sandbox { sandbox: name, commands, .. } => {
                let s = sandbox_spec(ev, module, &name.name, name.span)?;
                for cmd in commands {
                    steps.push(step(ev, cmd, locals, module, base, &s)?);
                }
                spec = Some(s);
            }
            VerifierClause::PassWhen(e) => pass_when = Some(e),
            VerifierClause::On { event, policy, .. } if event.name == "timeout" => on_timeout = Some(policy),
            VerifierClause::On { policy, .. } => on_infra = Some(policy),
        }
    }
    let Some(spec) = spec else { return fail(span, "this verifier declares no `in SANDBOX { ... }` block") };
    // An empty patch is its own outcome, decided without a sandbox.
    if steps.iter().any(|s| matches!(s, Step::Apply { patch, .. } if patch.trim().is_empty())) {
        let o = Outcome { exit: 1, stderr: "the patch is empty".into(), failed_at: Some("empty_patch"), ..Outcome::default() };
        return Ok(verdict(false, &o, false));
    }
    let env = sandbox::deterministic_env(0);
    let (mut timeout_retries, mut infra_retries) = (0, 0);
    loop {
        let result = client.run(&spec, &steps, &env);
        if let Ok(o) = &result {
            ev.logs.borrow_mut().push(format!("{}{}", o.stdout, o.stderr));
        }
        match result {
            Ok(o) if o.timed_out => match decide(on_timeout, &mut timeout_retries) {
                Decision::Retry => continue,
                Decision::Verdict(p) => return Ok(verdict(p, &o, false)),
                Decision::Drop => return Ok(dropped(&o, false)),
            },
            Ok(o) => {
                let passed = match pass_when {
                    Some(e) => {
                        locals.extend(outcome_locals(&o));
                        super::ops::truthy(&ev.value_in(e, locals, module)?, e.span)?
                    }
                    None => o.exit == 0,
                };
                return Ok(verdict(passed, &o, false));
            }
            Err(Infra(message)) => {
                let o = Outcome { exit: -1, stderr: message, ..Outcome::default() };
                match decide(on_infra, &mut infra_retries) {
                    Decision::Retry => continue,
                    Decision::Verdict(p) => return Ok(verdict(p, &o, true)),
                    Decision::Drop => return Ok(dropped(&o, true)),
                }
            }
        }
    }
}

enum Decision {
    Retry,
    Verdict(bool),
    Drop,
}

/// Apply a policy, counting retries already made.
fn decide(policy: Option<&Policy>, retries: &mut u32) -> Decision {
    match policy {
        None => Decision::Verdict(false),
        Some(Policy::Simple(word)) => match word.name.as_str() {
            "pass" => Decision::Verdict(true),
            "drop" => Decision::Drop,
            _ => Decision::Verdict(false),
        },
        Some(Policy::Retry { times, otherwise, .. }) => {
            if *retries < *times {
                *retries += 1;
                Decision::Retry
            } else {
                let mut exhausted = u32::MAX;
                decide(otherwise.as_deref(), &mut exhausted)
            }
        }
    }
}

fn outcome_locals(o: &Outcome) -> Locals {
    [("exit", json!(o.exit)), ("stdout", json!(o.stdout)), ("stderr", json!(o.stderr)), ("timed_out", json!(o.timed_out)), ("duration_ms", json!(o.duration_ms))]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Val::Data(v)))
        .collect()
}

/// The one Verdict constructor (sandboxed and rule verifiers alike); the log keeps the tail.
pub fn verdict(passed: bool, o: &Outcome, infra_error: bool) -> Value {
    let mut m = Map::new();
    m.insert("passed".into(), json!(passed));
    m.insert("exit".into(), json!(o.exit));
    m.insert("timed_out".into(), json!(o.timed_out));
    m.insert("infra_error".into(), json!(infra_error));
    m.insert("duration_ms".into(), json!(o.duration_ms));
    let log = if o.stderr.is_empty() { o.stdout.clone() } else { format!("{}{}", o.stdout, o.stderr) };
    m.insert("log".into(), json!(sandbox::tail(&log, LOG_CHARS)));
    if let Some(stage) = o.failed_at {
        m.insert("failed_at".into(), json!(stage));
    }
    Value::Object(m)
}

/// A verdict whose record the `verify` stage removes (`on ... => drop`).
fn dropped(o: &Outcome, infra_error: bool) -> Value {
    let mut v = verdict(false, o, infra_error);
    v["dropped"] = json!(true);
    v
}

/// The sandbox a verifier names: `docker(image: ..., ...)` or `local(...)` with the registry's
/// defaults for omitted arguments.
fn sandbox_spec(ev: &Evaluator, module: &str, name: &str, span: Span) -> Result<Spec> {
    let def = ev.plan.scopes.get(module).and_then(|s| s.get(name)).and_then(|q| ev.plan.definitions.get(q));
    let Some(ItemKind::Sandbox(binding)) = def.map(|d| &d.item.kind) else { return fail(span, format!("`{name}` is not a sandbox")) };
    let ExprKind::Call(callee, args) = &binding.value.kind else { return fail(binding.value.span, "a sandbox is `docker(...)` or `local(...)`") };
    let ctor = if let ExprKind::Name(n) = &callee.kind { n.name.as_str() } else { "" };
    let arg = |key: &str, pos: usize| args.iter().enumerate().find(|(i, a)| a.name.as_ref().map_or(*i == pos, |n| n.name == key)).map(|(_, a)| &a.value);
    let module = def.map_or(module, |d| d.module.as_str());
    let value = |e: &Expr| ev.value_in(e, &mut Vec::new(), module);
    let memory = arg("memory", 99).map(value).transpose()?.and_then(|v| v.as_i64()).unwrap_or(2 << 30);
    let default_timeout = if ctor == "docker" { 600_000 } else { 60_000 };
    let timeout_ms = arg("timeout", 99).map(value).transpose()?.and_then(|v| v.as_u64()).unwrap_or(default_timeout);
    let kind = match ctor {
        "docker" => {
            let image = arg("image", 0).map(value).transpose()?.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let network = match arg("network", 99).map(|e| &e.kind) {
                Some(ExprKind::Name(n)) => n.name.clone(),
                _ => "none".into(),
            };
            let cpus = arg("cpus", 99).map(value).transpose()?.and_then(|v| v.as_f64()).unwrap_or(1.0);
            let pids = arg("pids", 99).map(value).transpose()?.and_then(|v| v.as_i64()).unwrap_or(256);
            Kind::Docker { image, network, cpus, pids }
        }
        _ => Kind::Local,
    };
    Ok(Spec { kind, memory_bytes: memory, timeout_ms })
}

fn step(ev: &Evaluator, cmd: &Command, locals: &mut Locals, module: &str, base: &Path, spec: &Spec) -> Result<Step> {
    let text = |e: &Expr, locals: &mut Locals| -> Result<String> {
        match ev.value_in(e, locals, module)? {
            Value::String(s) => Ok(s),
            other => fail(e.span, format!("expected a string here, found {other}")),
        }
    };
    Ok(match cmd {
        Command::Copy { from, to, .. } | Command::Mount { from, at: to, .. } => {
            let src = text(from, locals)?;
            let verb = if matches!(cmd, Command::Copy { .. }) { "copy" } else { "mount" };
            let files = host_files(&base.join(&src)).map_err(|e| super::EvalError { message: format!("cannot {verb} {src}: {e}"), span: from.span })?;
            ev.note_read(&base.join(&src), digest(&files));
            let to = text(to, locals)?;
            if verb == "copy" { Step::Copy { files, to } } else { Step::Mount { files, at: to } }
        }
        Command::Apply { patch, at, .. } => Step::Apply { patch: text(patch, locals)?, at: text(at, locals)? },
        Command::Run { cmd, at, timeout, .. } => {
            let at = match at {
                Some(e) => text(e, locals)?,
                None => "/work".into(),
            };
            let cmd = text(cmd, locals)?;
            let timeout_ms = match timeout {
                Some(e) => ev.value_in(e, locals, module)?.as_u64().unwrap_or(spec.timeout_ms),
                None => spec.timeout_ms,
            };
            Step::Run { cmd, at, timeout_ms }
        }
    })
}

/// BLAKE3 over a copy source's files (relative names and contents, in order): a file's, or a
/// folder's whole listing, so an added, removed or edited file changes it.
fn digest(files: &[(String, Vec<u8>)]) -> String {
    let mut h = blake3::Hasher::new();
    for (name, bytes) in files {
        h.update(name.as_bytes());
        h.update(&[0]);
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    h.finalize().to_hex().to_string()
}

/// The digest a verifier recorded for `path` when it copied or mounted it, as it is now.
pub fn source_digest(path: &Path) -> std::io::Result<String> {
    host_files(path).map(|files| digest(&files))
}

/// A host file (named by its file name) or every file under a host folder (by relative path).
fn host_files(path: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    if path.is_file() {
        let name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        return Ok(vec![(name, std::fs::read(path)?)]);
    }
    let mut out = Vec::new();
    let mut todo = vec![path.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir)? {
            let p = e?.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(path).unwrap_or(&p).to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p)?));
            }
        }
    }
    out.sort();
    Ok(out)
}

impl Evaluator<'_> {
    /// The sandbox `name` declares (seen from this node's module) and the client that runs
    /// sandboxes, for stages that hold one across calls (agent rollouts).
    pub fn sandbox_named(&self, name: &str, span: Span) -> Result<(Spec, std::sync::Arc<sandbox::Client>)> {
        let Some((client, _)) = &self.sandbox else { return fail(span, "no sandbox is available here") };
        let module = self.module.clone();
        Ok((sandbox_spec(self, &module, name, span)?, client.clone()))
    }

    /// The files under a host path (relative to the `.pipe` file's folder) for a sandbox's
    /// `copy`; their digest joins the node's key, so editing them reruns the node.
    pub fn copy_source(&self, src: &str) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
        let Some((_, base)) = &self.sandbox else { return Err("no sandbox is available here".into()) };
        let files = host_files(&base.join(src)).map_err(|e| format!("cannot copy {src}: {e}"))?;
        self.note_read(&base.join(src), digest(&files));
        Ok(files)
    }
}
