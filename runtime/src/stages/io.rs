//! Where data enters and leaves: the `jsonl` source (validated on read), `const` datasets, the
//! `write` sink (atomic, into the run folder's `outputs/`) and `report` (one metric per item).

use super::{Ctx, Output, RunEnv, StageError};
use crate::data::{Value, jsonl, parquet};
use crate::eval::Evaluator;
use pipec_compiler::plan::{ArgValue, Node, Plan};
use serde_json::Map;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The folder of the `.pipe` file that declared `node`: where its relative paths start.
pub fn node_dir(env: &RunEnv, node: &Node) -> PathBuf {
    env.workdir.join(Path::new(&node.location.file).parent().unwrap_or(Path::new("")))
}

/// A data path as written in a `.pipe` file: relative to that file's folder.
pub fn source_path(env: &RunEnv, node: &Node, written: &str) -> PathBuf {
    let p = Path::new(written);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    node_dir(env, node).join(p)
}

/// The files a source node reads, as (name relative to the working folder, path), for its cache key.
pub fn io_paths(plan: &Plan, node: &Node, env: &RunEnv) -> Vec<(String, PathBuf)> {
    if node.builtin == "soup" {
        return super::soup::checkpoint_files(plan, node, env).unwrap_or_default();
    }
    if !matches!(node.builtin.as_str(), "jsonl" | "parquet" | "csv") {
        return vec![];
    }
    let Some(ArgValue::Expr { ast, .. }) = node.args.get("path") else { return vec![] };
    match Evaluator::for_node(plan, node, &HashMap::new()).value(ast) {
        Ok(Value::String(written)) => {
            let path = source_path(env, node, &written);
            vec![(shown(env, &path), path)]
        }
        _ => vec![],
    }
}

pub fn shown(env: &RunEnv, path: &Path) -> String {
    path.strip_prefix(&env.workdir).unwrap_or(path).display().to_string()
}

pub fn jsonl(ctx: &Ctx) -> Output {
    let path = source_path(ctx.env, ctx.node, &ctx.string("path")?);
    jsonl::read(&path, &shown(ctx.env, &path), ctx.node.data.elem()).map(Value::Array).map_err(StageError::Data)
}

pub fn parquet(ctx: &Ctx) -> Output {
    let path = source_path(ctx.env, ctx.node, &ctx.string("path")?);
    parquet::read(&path, &shown(ctx.env, &path), ctx.node.data.elem()).map(Value::Array).map_err(StageError::Data)
}

pub fn constant(ctx: &Ctx) -> Output {
    Ok(ctx.value("value")?.unwrap_or(Value::Null))
}

/// The sink's value is its input; the file itself is written by [`write_sink`], for fresh and
/// reused nodes alike, so every run folder is complete.
pub fn write(ctx: &Ctx) -> Output {
    output_path(&ctx.string("path")?)?;
    Ok(ctx.rows("input")?.as_ref().clone())
}

/// A sink path must stay inside the run folder's `outputs/`.
fn output_path(written: &str) -> Result<PathBuf, StageError> {
    let p = Path::new(written);
    if written.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(StageError::Message(format!("output path \"{written}\" must be relative and stay inside the run folder (no `..`, no leading `/`)")));
    }
    Ok(p.to_path_buf())
}

/// Where a sink's `path` argument points: inside the run folder's `outputs/`.
pub(super) fn sink_path(plan: &Plan, node: &Node, env: &RunEnv) -> Result<PathBuf, StageError> {
    let Some(ArgValue::Expr { ast, .. }) = node.args.get("path") else { return Err(StageError::Message(format!("`{}` needs a path", node.builtin))) };
    match Evaluator::for_node(plan, node, &HashMap::new()).value(ast)? {
        Value::String(written) => Ok(env.outputs.join(output_path(&written)?)),
        other => Err(StageError::Message(format!("the output path should be a string, found {other}"))),
    }
}

/// Write a `write` node's records to `outputs/<path>` atomically, as Parquet when the path ends in
/// `.parquet` and JSON Lines otherwise; returns the file written.
pub fn write_sink(plan: &Plan, node: &Node, output: &Value, env: &RunEnv) -> Result<PathBuf, StageError> {
    let path = sink_path(plan, node, env)?;
    let rows = match output {
        Value::Array(rows) => rows.as_slice(),
        one => std::slice::from_ref(one),
    };
    let written = if path.extension().is_some_and(|e| e == "parquet") { parquet::write(&path, &env.scratch, rows, node.data.elem()) } else { jsonl::write(&path, &env.scratch, rows).map_err(|e| e.to_string()) };
    written.map_err(|e| StageError::Message(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Each `report` item in order, as `{name, value}` with the item's source text as its name.
pub fn report(ctx: &Ctx) -> Output {
    let mut out = Vec::new();
    for arg in ctx.node.args.values() {
        let ArgValue::Expr { source, ast } = arg else { continue };
        let mut m = Map::new();
        m.insert("name".into(), Value::String(source.clone()));
        m.insert("value".into(), ctx.eval.value(ast)?);
        out.push(Value::Object(m));
    }
    Ok(Value::Array(out))
}
