//! Embeddings and dense retrieval. `embed(model, text, normalize, dims)` adds `embedding` to every
//! record from the model's `/v1/embeddings`, L2-normalised and truncated to a Matryoshka prefix
//! on the compute backend (pooling kernel); `search(index, top)` gives each query its `top`
//! index records by inner product (the top-k kernel) as `Hits`: `{id, score, rank}` best first.

use super::{Ctx, Output, StageError, items, record_id, with_field};
use crate::data::Value;
use pipec_compute::kernels::{pooling, topk};
use serde_json::json;

pub fn embed(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (model, endpoint) = ctx.endpoint()?;
    let texts = ctx.texts("text", rows, "record")?;
    if rows.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let vectors = ctx.client()?.embeddings(&endpoint, &texts).map_err(StageError::Message)?;
    let width = vectors[0].len();
    if let Some(i) = vectors.iter().position(|v| v.len() != width) {
        return Err(StageError::Message(format!("record {i}: the model gave {} values where record 0 had {width}", vectors[i].len())));
    }
    if let Some(d) = endpoint.dim.filter(|d| *d != width) {
        return Err(StageError::Message(format!("model `{model}` is declared with dim: {d}, but its embeddings have {width} values; declare dim: {width}")));
    }
    let keep = match ctx.value("dims")? {
        Some(v) => v.as_u64().map(|d| d as usize).filter(|d| (1..=width).contains(d)).ok_or_else(|| StageError::Message(format!("dims {v}: between 1 and {width}")))?,
        None => width,
    };
    let flat: Vec<f32> = vectors.into_iter().flatten().collect();
    let normalize = ctx.value("normalize")?.and_then(|v| v.as_bool()).unwrap_or(true);
    let pooled = if normalize {
        let backend = ctx.backend()?;
        pooling::pool(backend, &flat, &vec![true; rows.len()], 1, width, keep).map_err(StageError::Message)?
    } else {
        flat.chunks(width).flat_map(|v| v[..keep].to_vec()).collect()
    };
    Ok(Value::Array(rows.iter().zip(pooled.chunks(keep)).map(|(row, e)| with_field(row, "embedding", Value::from(e.iter().map(|x| *x as f64).collect::<Vec<f64>>()))).collect()))
}

/// The embeddings of `rows` as one row-major matrix, and its width.
pub(super) fn matrix(rows: &[Value], what: &str) -> Result<(Vec<f32>, usize), StageError> {
    let mut flat = Vec::new();
    let mut width = None;
    for (i, r) in rows.iter().enumerate() {
        let e = r.get("embedding").and_then(Value::as_array).ok_or_else(|| StageError::Message(format!("{what} record {i} has no `embedding` (run `embed` first)")))?;
        if *width.get_or_insert(e.len()) != e.len() {
            return Err(StageError::Message(format!("{what} record {i} has {} dimensions, record 0 has {}", e.len(), width.unwrap_or(0))));
        }
        flat.extend(e.iter().map(|x| x.as_f64().unwrap_or(0.0) as f32));
    }
    Ok((flat, width.unwrap_or(0)))
}

pub fn search(ctx: &Ctx) -> Output {
    let (queries, index) = (ctx.rows("queries")?, ctx.rows("index")?);
    let (queries, index) = (items(&queries), items(&index));
    let top = ctx.int("top", 100)?.max(1) as usize;
    let ((q, qd), (x, xd)) = (matrix(queries, "query")?, matrix(index, "index")?);
    if queries.is_empty() || index.is_empty() {
        return Ok(Value::Array(queries.iter().map(|r| json!({"hits": [], "query": r})).collect()));
    }
    if qd != xd {
        return Err(StageError::Message(format!("the queries have {qd}-dimensional embeddings, the index {xd}")));
    }
    let backend = ctx.backend()?;
    let hits = topk::search(backend, &q, &x, qd, top, None).map_err(StageError::Message)?;
    let id = |i: u32| record_id(&index[i as usize], i as usize);
    Ok(Value::Array(queries.iter().enumerate().map(|(r, query)| {
        let row: Vec<Value> = hits.row(r).enumerate().map(|(rank, (i, score))| json!({"id": id(i), "score": score as f64, "rank": rank + 1})).collect();
        json!({"hits": row, "query": query})
    }).collect()))
}
