//! Training files in the layouts embedding trainers read. `to_flag_embedding` writes
//! FlagEmbedding's fine-tuning records `{query, pos, neg, prompt}` (plus `pos_scores` and
//! `neg_scores` when every retrieval score is known, for its distillation mode);
//! `to_sentence_transformers` writes the n-tuple layout `{anchor, positive, negative_1, ...,
//! negative_n}` that `datasets.load_dataset("json")` hands to MultipleNegativesRankingLoss.
//! Both replace ids with the corpus texts; `mix_negatives`' synthetic negatives are vectors with
//! no text, so they stay out. `unbatch` flattens `batches` back into records in
//! batch order, so a trainer that does not shuffle sees the semi-homogeneous batches.

use super::{Ctx, Output, StageError, items, record_id};
use crate::data::Value;
use serde_json::{Map, json};
use std::collections::HashMap;

pub fn unbatch(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    Ok(Value::Array(items(&rows).iter().flat_map(|b| items(b.get("items").unwrap_or(&Value::Null)).to_vec()).collect()))
}

/// A triple's query text and its positive's and negatives' corpus texts.
struct Texts {
    query: String,
    positive: String,
    negatives: Vec<String>,
}

fn texts(ctx: &Ctx) -> Result<Vec<(Texts, Value)>, StageError> {
    let (rows, corpus) = (ctx.rows("input")?, ctx.rows("corpus")?);
    let query = ctx.function("query")?.ok_or_else(|| StageError::Message("give `query:` the text of a triple's query, such as `query: .text`".into()))?;
    let corpus = items(&corpus);
    let by_id: HashMap<String, String> = corpus.iter().enumerate().map(|(i, r)| record_id(r, i)).zip(ctx.texts("text", corpus, "corpus record")?).collect();
    let lookup = |i: usize, id: &str| by_id.get(id).cloned().ok_or_else(|| StageError::Message(format!("triple {i}: `{id}` is not in the corpus (give the corpus the triples were mined from)")));
    items(&rows).iter().enumerate().map(|(i, row)| {
        let q = ctx.apply(&query, row.get("query").unwrap_or(&Value::Null))?;
        let Value::String(q) = q else { return Err(StageError::Message(format!("triple {i}: the query text is {q}, not a string"))) };
        let positive = lookup(i, row.get("positive").and_then(Value::as_str).unwrap_or_default())?;
        let negatives = items(row.get("negatives").unwrap_or(&Value::Null)).iter().map(|n| lookup(i, n.as_str().unwrap_or_default())).collect::<Result<_, _>>()?;
        Ok((Texts { query: q, positive, negatives }, row.get("scores").cloned().unwrap_or(Value::Null)))
    }).collect()
}

pub fn to_flag_embedding(ctx: &Ctx) -> Output {
    let prompt = ctx.value("prompt")?.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    Ok(Value::Array(texts(ctx)?.into_iter().map(|(t, scores)| {
        let mut out = json!({"query": t.query, "pos": [t.positive], "neg": t.negatives, "prompt": prompt});
        // The positive's and the negatives' scores (mixed negatives' come after: they have no text).
        let known: Option<Vec<f64>> = items(&scores).iter().take(t.negatives.len() + 1).map(Value::as_f64).collect();
        if let Some(s) = known.filter(|s| s.len() == t.negatives.len() + 1) {
            out["pos_scores"] = json!([s[0]]);
            out["neg_scores"] = json!(s[1..]);
        }
        out
    }).collect()))
}

pub fn to_sentence_transformers(ctx: &Ctx) -> Output {
    Ok(Value::Array(texts(ctx)?.into_iter().map(|(t, _)| {
        let mut out = Map::new();
        out.insert("anchor".into(), Value::String(t.query));
        out.insert("positive".into(), Value::String(t.positive));
        for (k, n) in t.negatives.into_iter().enumerate() {
            out.insert(format!("negative_{}", k + 1), Value::String(n));
        }
        Value::Object(out)
    }).collect()))
}
