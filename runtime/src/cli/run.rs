//! `pipec run FILE`: compile, refuse nodes this build cannot run (E0903), run the pipeline, render
//! any node failure at the `.pipe` line that declared it, and say where outputs and report are.

use super::progress::Progress;
use crate::render::diagnostics_to_text;
use crate::scheduler::node::NodeError;
use crate::scheduler::run::{RunOptions, RunResult, run_pipeline};
use crate::scheduler::walker::Limits;
use crate::stages::{self, StageError};
use pipec_compiler::diagnostics::{Code, Diagnostic};
use pipec_compiler::plan::{Node, Plan};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Args {
    pub file: PathBuf,
    pub pipeline: Option<String>,
    pub limits: Limits,
    pub sandbox: crate::sandbox::Mode,
    pub backend: pipec_compute::Choice,
    pub fresh: bool,
    pub quiet: bool,
    pub runs: PathBuf,
    pub cache: Option<PathBuf>,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let compiled = match super::compile_files(std::slice::from_ref(&args.file)) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let _ = write!(err, "{}", diagnostics_to_text(&compiled.sources, &compiled.diagnostics).trim_start_matches('\n'));
    let Some(plan) = compiled.plan else { return 1 };
    let name = match pick_pipeline(&plan, args.pipeline.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let pipeline = plan.pipeline(&name).unwrap_or_else(|| unreachable!("picked from the plan"));
    let missing: Vec<Diagnostic> = pipeline.graph.node_weights().filter(|n| stages::executor(&n.builtin).is_none()).map(not_runnable).collect();
    if !missing.is_empty() {
        let _ = write!(err, "{}", diagnostics_to_text(&compiled.sources, &missing));
        return 1;
    }
    let workdir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let opts = RunOptions {
        limits: args.limits.clone(),
        sandbox: args.sandbox,
        backend: args.backend,
        fresh: args.fresh,
        cache_dir: args.cache.clone().unwrap_or_else(|| args.runs.join(".cache")),
        runs_dir: args.runs.clone(),
        workdir,
        entry: vec![args.file.display().to_string()],
    };
    let progress = Arc::new(Progress::new(pipeline.graph.node_count(), args.quiet));
    let result = run_pipeline(Arc::new(plan.clone()), &name, &opts, progress.clone());
    progress.finish();
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let diags: Vec<Diagnostic> = result.failures.iter().map(|(i, e)| failure(&pipeline.graph[*i], e)).collect();
    let _ = write!(err, "{}", diagnostics_to_text(&compiled.sources, &diags));
    summary(&result, out);
    i32::from(result.manifest.status != "ok")
}

fn pick_pipeline(plan: &Plan, wanted: Option<&str>) -> Result<String, String> {
    let names: Vec<&str> = plan.pipelines.iter().map(|p| p.name.as_str()).collect();
    match (wanted, names.as_slice()) {
        (Some(w), _) if names.contains(&w) => Ok(w.to_string()),
        (Some(w), _) => Err(format!("no pipeline named `{w}`; this file declares: {}", names.join(", "))),
        (None, [one]) => Ok(one.to_string()),
        (None, []) => Err("this file declares no pipeline".into()),
        (None, _) => Err(format!("this file declares several pipelines ({}); choose one with --pipeline NAME", names.join(", "))),
    }
}

fn not_runnable(n: &Node) -> Diagnostic {
    Diagnostic::new(Code::NotRunnable, n.span, format!("`{}` cannot run in this build of pipec", n.builtin))
        .primary("this node needs it")
        .help("`pipec check` and `pipec graph` accept it; running it arrives with its runtime support (see docs/ARCHITECTURE.md for what runs today)")
}

fn failure(node: &Node, e: &NodeError) -> Diagnostic {
    match e {
        NodeError::Stage(StageError::Eval(x)) => Diagnostic::new(Code::NodeFailed, x.span, format!("node `{}` failed: {}", node.id, x.message)).primary("while evaluating this"),
        NodeError::Stage(StageError::Data(d)) => {
            let mut diag = Diagnostic::new(Code::InvalidData, node.span, format!("`{}`: {} record(s) do not match `{}`", node.id, d.total, node.data.elem().display()))
                .primary("the records read here");
            for x in &d.errors {
                diag = diag.note(x.to_string());
            }
            if d.total > d.errors.len() {
                diag = diag.note(format!("... and {} more", d.total - d.errors.len()));
            }
            diag.help("fix those lines or change the schema; finished nodes stay cached, so the next run resumes here")
        }
        NodeError::TimedOut(ms) => Diagnostic::new(Code::NodeTimedOut, node.span, format!("node `{}` ran past its timeout of {ms} ms", node.id))
            .primary("declared here")
            .help("raise it with `@timeout(...)` on this statement, or make the node cheaper"),
        other => Diagnostic::new(Code::NodeFailed, node.span, format!("node `{}` failed: {}", node.id, other.message())).primary("this node"),
    }
}

fn summary(r: &RunResult, out: &mut dyn Write) {
    let m = &r.manifest;
    let count = |s| m.nodes.iter().filter(|n| n.status == s).count();
    use crate::report::manifest::Status::*;
    let _ = writeln!(
        out,
        "{} {}: {} nodes ({} ran, {} reused{}) in {:.0} ms",
        m.pipeline,
        if m.status == "ok" { "finished" } else { "FAILED" },
        m.nodes.len(),
        count(Ran),
        count(Reused),
        match count(Failed) + count(TimedOut) + count(Cancelled) {
            0 => String::new(),
            n => format!(", {n} failed or cancelled"),
        },
        m.wall_ms
    );
    let dir = &r.run_dir;
    let _ = writeln!(out, "  run folder  {}", dir.display());
    for n in &m.nodes {
        for f in &n.files {
            let _ = writeln!(out, "  output      {}", dir.join(f).display());
        }
    }
    for (what, file) in [("metrics", "metrics.jsonl"), ("report", "report.html"), ("manifest", "manifest.json")] {
        let _ = writeln!(out, "  {what:<11} {}", dir.join(file).display());
    }
    let _ = writeln!(out, "  explain     pipec explain {}", Path::new(dir).display());
}
