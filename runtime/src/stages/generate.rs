//! `sample(model, n, prompt, temperature, max_tokens, seed)`: n completions per record from a
//! model endpoint, as `Sample` records (`id` is the record's id, or its index, then `/i`; `logprob`
//! is the completion's summed token log-probs when the server reports them). Completion i of a
//! record is asked with seed `seed + i`, so reruns ask the same questions and hit the cache.

use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use pipec_compiler::ast::ExprKind;
use serde_json::json;

pub fn sample(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let Some(ExprKind::Name(model)) = ctx.expr("model").map(|e| &e.kind) else { return Err(StageError::Message("`sample` needs a model by name".into())) };
    let endpoint = crate::models::endpoint(&ctx.eval, &model.name).map_err(StageError::Message)?;
    let (n, seed, max_tokens) = (ctx.int("n", 1)?, ctx.int("seed", 0)?, ctx.int("max_tokens", 512)?);
    let temperature = ctx.float("temperature", endpoint.temperature)?;
    if !(1..=1024).contains(&n) {
        return Err(StageError::Message(format!("n = {n}: ask for 1 to 1024 completions per record")));
    }
    let prompt = ctx.function("prompt")?;
    let mut prompts = Vec::with_capacity(rows.len() * n as usize);
    for (r, row) in rows.iter().enumerate() {
        let text = match &prompt {
            Some(f) => ctx.apply(f, row)?,
            None => row.get("prompt").or_else(|| row.get("question")).cloned().unwrap_or(Value::Null),
        };
        let Value::String(text) = text else { return Err(StageError::Message(format!("record {r}: the prompt is {text}, not a string (give `prompt: .field`)"))) };
        prompts.extend((0..n).map(|i| (text.clone(), seed + i)));
    }
    let client = ctx.env.models.client().map_err(StageError::Message)?;
    let done = client.chat(&endpoint, &prompts, max_tokens, temperature);
    let mut out = Vec::with_capacity(done.len());
    for (k, result) in done.into_iter().enumerate() {
        let (r, i) = (k / n as usize, k as i64 % n);
        let c = result.map_err(|e| StageError::Message(format!("record {r}, completion {i}: {e}")))?;
        let id = match rows[r].get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => r.to_string(),
        };
        out.push(json!({"id": format!("{id}/{i}"), "prompt": prompts[k].0, "completion": c.text, "index": i, "logprob": c.logprob, "input": rows[r]}));
    }
    Ok(Value::Array(out))
}
