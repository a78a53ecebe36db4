//! Model soups: `soup([checkpoints], weights: uniform|given, given: [...])` averages safetensors
//! checkpoints with the compute backend's streaming kernel into a content-addressed blob in the
//! cache; `save(path)` copies that blob to `outputs/<path>/model.safetensors`, atomically.

use super::{Ctx, Output, RunEnv, StageError, io};
use crate::data::Value;
use crate::eval::Evaluator;
use pipec_compiler::plan::{ArgValue, Node, Plan};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file a checkpoint path names: the file itself, or `model.safetensors` in a folder.
fn checkpoint_file(path: &Path) -> PathBuf {
    if path.is_dir() { path.join("model.safetensors") } else { path.to_path_buf() }
}

/// The checkpoint files a `soup` node reads, as (shown name, path): they key its cache entry.
pub fn checkpoint_files(plan: &Plan, node: &Node, env: &RunEnv) -> Result<Vec<(String, PathBuf)>, StageError> {
    let Some(ArgValue::Expr { ast, .. }) = node.args.get("checkpoints") else { return Err(StageError::Message("`soup` needs a list of checkpoints".into())) };
    let list = Evaluator::for_node(plan, node, &HashMap::new()).value(ast)?;
    let Value::Array(items) = list else { return Err(StageError::Message(format!("checkpoints should be a list of paths, found {list}"))) };
    items
        .iter()
        .map(|v| match v {
            Value::String(written) => {
                let path = checkpoint_file(&io::source_path(env, node, written));
                Ok((io::shown(env, &path), path))
            }
            other => Err(StageError::Message(format!("a checkpoint should be a path, found {other}"))),
        })
        .collect()
}

pub fn soup(ctx: &Ctx) -> Output {
    let files = checkpoint_files(ctx.plan, ctx.node, ctx.env)?;
    for (shown, path) in &files {
        if !path.is_file() {
            return Err(StageError::Message(format!("checkpoint {shown} does not exist (a checkpoint is a .safetensors file or a folder holding model.safetensors)")));
        }
    }
    let weights: Vec<f32> = match ctx.symbol("weights", "uniform").as_str() {
        "given" => match ctx.value("given")? {
            Some(Value::Array(ws)) => ws.iter().map(|w| w.as_f64().map(|w| w as f32).ok_or_else(|| StageError::Message(format!("weight {w} is not a number")))).collect::<Result<_, _>>()?,
            _ => return Err(StageError::Message("`weights: given` needs `given: [w1, w2, ...]`, one weight per checkpoint".into())),
        },
        _ => Vec::new(),
    };
    let backend = ctx.backend()?;
    std::fs::create_dir_all(&ctx.env.blobs).map_err(|e| StageError::Message(format!("cannot create {}: {e}", ctx.env.blobs.display())))?;
    let tmp = ctx.env.blobs.join(format!("soup-{}-{}.partial", std::process::id(), ctx.node.id.replace(['#', '/', ':'], "-")));
    let paths: Vec<&Path> = files.iter().map(|(_, p)| p.as_path()).collect();
    let stats = pipec_compute::kernels::soup::soup(backend, &paths, &weights, &tmp).map_err(StageError::Message)?;
    // Content-addressed, so identical soups share one blob and a reused entry finds its file.
    let hash = stats.blake3.clone();
    let blob = ctx.env.blobs.join(format!("{hash}.safetensors"));
    std::fs::rename(&tmp, &blob).map_err(|e| StageError::Message(format!("cannot store {}: {e}", blob.display())))?;
    Ok(json!({
        "path": blob.display().to_string(),
        "blake3": hash,
        "tensors": stats.tensors,
        "bytes": stats.bytes,
        "checkpoints": files.iter().map(|(shown, _)| shown.clone()).collect::<Vec<_>>(),
        "weights": if weights.is_empty() { "uniform".to_string() } else { format!("{weights:?}") },
        "backend": backend.describe(),
    }))
}

/// The value passes through; the file is written by [`save_sink`], for fresh and reused nodes.
pub fn save(ctx: &Ctx) -> Output {
    let input = ctx.value("input")?.unwrap_or(Value::Null);
    blob_of(&input)?;
    Ok(input)
}

fn blob_of(checkpoint: &Value) -> Result<PathBuf, StageError> {
    let path = checkpoint.get("path").and_then(Value::as_str).map(PathBuf::from).ok_or_else(|| StageError::Message(format!("`save` needs a checkpoint, found {checkpoint}")))?;
    if path.is_file() { Ok(path) } else { Err(StageError::Message(format!("the checkpoint blob {} is gone from the cache; rerun with --fresh", path.display()))) }
}

/// Copy the checkpoint to `outputs/<path>/model.safetensors` through a temporary file.
pub fn save_sink(plan: &Plan, node: &Node, value: &Value, env: &RunEnv) -> Result<PathBuf, StageError> {
    let blob = blob_of(value)?;
    let target = io::sink_path(plan, node, env)?.join("model.safetensors");
    let fail = |e: std::io::Error| StageError::Message(format!("cannot save {}: {e}", target.display()));
    crate::data::atomic::write_atomic(&target, &env.scratch, |w| std::io::copy(&mut std::fs::File::open(&blob)?, w).map(|_| ())).map_err(fail)?;
    Ok(target)
}
