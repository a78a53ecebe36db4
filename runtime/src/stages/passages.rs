//! FunnelRAG's passage stages. `chunk(words: N)` splits each document into passages of N words
//! (`<doc id>#<i>`, score 0); counting tokens needs a tokenizer and is refused until local models
//! arrive. `aggregate(alpha)` turns scored passages into documents, best first, each scored
//! local-to-global: alpha * max + (1 - alpha) * mean of its passages' scores (methods.md §7).

use super::{Ctx, Output, StageError, group_by_key, items};
use crate::data::Value;
use serde_json::json;

pub fn chunk(ctx: &Ctx) -> Output {
    let rows = ctx.rows("units")?;
    if ctx.value("tokens")?.is_some_and(|t| !t.is_null()) {
        return Err(StageError::Message("`chunk(tokens: N)` needs a tokenizer, which arrives with local models; chunk by `words: N` for now".into()));
    }
    let words = ctx.int("words", 100)?;
    if words < 1 {
        return Err(StageError::Message(format!("words = {words}: a passage needs at least one word")));
    }
    let mut out = Vec::new();
    for (r, doc) in items(&rows).iter().enumerate() {
        let id = doc.get("id").and_then(Value::as_str).map_or_else(|| r.to_string(), str::to_string);
        let text = doc.get("text").and_then(Value::as_str).unwrap_or_default();
        let all: Vec<&str> = text.split_whitespace().collect();
        for (i, part) in all.chunks(words as usize).enumerate() {
            out.push(json!({"id": format!("{id}#{i}"), "document": id, "text": part.join(" "), "score": 0.0}));
        }
    }
    Ok(Value::Array(out))
}

pub fn aggregate(ctx: &Ctx) -> Output {
    let rows = ctx.rows("units")?;
    let alpha = ctx.float("alpha", 0.5)?;
    if !(0.0..=1.0).contains(&alpha) {
        return Err(StageError::Message(format!("alpha = {alpha} must lie in [0, 1]")));
    }
    let passages = items(&rows);
    let mut documents = Vec::with_capacity(passages.len());
    let mut scores = Vec::with_capacity(passages.len());
    for (i, p) in passages.iter().enumerate() {
        documents.push(p.get("document").and_then(Value::as_str).ok_or_else(|| StageError::Message(format!("passage {i} has no `document`")))?.to_string());
        scores.push(p.get("score").and_then(Value::as_f64).ok_or_else(|| StageError::Message(format!("passage {i} has no numeric `score`")))?);
    }
    let mut scored: Vec<(f64, Value)> = group_by_key(documents)
        .into_iter()
        .map(|(id, members)| {
            let max = members.iter().map(|&i| scores[i]).fold(f64::NEG_INFINITY, f64::max);
            let mean = members.iter().map(|&i| scores[i]).sum::<f64>() / members.len() as f64;
            let score = alpha * max + (1.0 - alpha) * mean;
            let text: Vec<&str> = members.iter().map(|&i| passages[i].get("text").and_then(Value::as_str).unwrap_or_default()).collect();
            (score, json!({"id": id, "title": "", "text": text.join("\n"), "score": score}))
        })
        .collect();
    // Best first; ties keep first appearance.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(Value::Array(scored.into_iter().map(|(_, d)| d).collect()))
}
