//! Model stages. `sample(model, n, prompt, temperature, max_tokens, seed)`: n completions per
//! record from a model endpoint, as `Sample` records (`id` is the record's id, or its index, then
//! `/i`; `logprob` is the completion's summed token log-probs when the server reports them).
//! Completion i of a record is asked with seed `seed + i`, so reruns ask the same questions and
//! hit the cache. Token use goes to `logs/<node>/usage.json` in the run folder.

use super::{Ctx, Output, StageError, items, record_id, with_field};
use crate::data::Value;
use serde_json::json;

pub fn sample(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, endpoint) = ctx.endpoint()?;
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
    let done = ctx.client()?.chat(&endpoint, &prompts, max_tokens, temperature);
    usage(ctx, &done);
    let mut out = Vec::with_capacity(done.len());
    for (k, result) in done.into_iter().enumerate() {
        let (r, i) = (k / n as usize, k as i64 % n);
        let c = result.map_err(|e| StageError::Message(format!("record {r}, completion {i}: {e}")))?;
        let id = record_id(&rows[r], r);
        out.push(json!({"id": format!("{id}/{i}"), "prompt": prompts[k].0, "completion": c.text, "index": i, "logprob": c.logprob, "input": rows[r]}));
    }
    Ok(Value::Array(out))
}

/// `mc_value(model, rollouts, check, question)`: N continuations of every step prefix, each
/// checked by `check(input, prefix + continuation)`; the value is the fraction that pass. The
/// model is asked to continue the partial solution after `question(input)`; rollout j of a prefix
/// uses seed `seed + j`.
pub fn mc_value(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, endpoint) = ctx.endpoint()?;
    let (n, seed, max_tokens) = (ctx.int("rollouts", 8)?, ctx.int("seed", 0)?, ctx.int("max_tokens", 256)?);
    let temperature = ctx.float("temperature", 0.7)?;
    if !(1..=1024).contains(&n) {
        return Err(StageError::Message(format!("rollouts = {n}: between 1 and 1024")));
    }
    let check = ctx.required_function("check")?;
    let question = ctx.required_function("question")?;
    let mut prompts = Vec::with_capacity(rows.len() * n as usize);
    for (r, row) in rows.iter().enumerate() {
        let input = row.get("input").cloned().unwrap_or(Value::Null);
        let (Value::String(q), Some(prefix)) = (ctx.apply(&question, &input)?, row.get("prefix").and_then(Value::as_str)) else { return Err(StageError::Message(format!("record {r}: needs a `prefix`, and `question` must give a string"))) };
        let ask = format!("{q}\n\nHere is the beginning of a solution:\n\n{prefix}\n\nContinue this solution from where it stops, through to the final answer.");
        prompts.extend((0..n).map(|j| (ask.clone(), seed + j)));
    }
    let done = ctx.client()?.chat(&endpoint, &prompts, max_tokens, temperature);
    usage(ctx, &done);
    let mut out = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        let input = row.get("input").cloned().unwrap_or(Value::Null);
        let prefix = row.get("prefix").and_then(Value::as_str).unwrap_or_default();
        let mut successes = 0i64;
        for j in 0..n as usize {
            let c = done[r * n as usize + j].as_ref().map_err(|e| StageError::Message(format!("record {r}, rollout {j}: {e}")))?;
            let verdict = ctx.eval.call(&check.0, vec![input.clone(), Value::String(format!("{prefix}\n\n{}", c.text))], check.1)?;
            successes += (verdict.get("passed").and_then(Value::as_bool) == Some(true) || verdict == Value::Bool(true)) as i64;
        }
        let mut v = row.clone();
        if let Some(m) = v.as_object_mut() {
            m.insert("value".into(), Value::from(successes as f64 / n as f64));
            m.insert("successes".into(), Value::from(successes));
            m.insert("rollouts".into(), Value::from(n));
        }
        out.push(v);
    }
    Ok(Value::Array(out))
}

/// `logprobs(model, text, prompt)`: adds `logprob`, the summed log-probability of `text(r)` right
/// after `prompt(r)` (no prompt: a newline) under the model, asked as an `echo` completion.
pub fn logprobs(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, endpoint) = ctx.endpoint()?;
    let text = ctx.required_function("text")?;
    let prompt = ctx.function("prompt")?;
    let mut asks = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        let (Value::String(t), Value::String(p)) = (ctx.apply(&text, row)?, prompt.as_ref().map_or(Ok(Value::String("\n".into())), |f| ctx.apply(f, row))?) else {
            return Err(StageError::Message(format!("record {r}: `text` and `prompt` must give strings")));
        };
        asks.push((p, t));
    }
    let done = ctx.client()?.score(&endpoint, &asks);
    usage(ctx, &done);
    let mut out = Vec::with_capacity(rows.len());
    for (r, (row, d)) in rows.iter().zip(done).enumerate() {
        let c = d.map_err(|e| StageError::Message(format!("record {r}: {e}")))?;
        out.push(with_field(row, "logprob", Value::from(c.logprob.unwrap_or(0.0))));
    }
    Ok(Value::Array(out))
}

/// Token accounting: `logs/<node>/usage.json` in the run folder (requests made and served from
/// the cache, prompt and completion tokens of the calls made).
pub(super) fn usage(ctx: &Ctx, done: &[Result<crate::models::client::Completion, String>]) {
    let ok: Vec<_> = done.iter().flatten().collect();
    let made: Vec<_> = ok.iter().filter(|c| !c.cached).collect();
    let report = json!({
        "requests": done.len(), "cached": ok.len() - made.len(), "failed": done.len() - ok.len(),
        "prompt_tokens": made.iter().map(|c| c.tokens.0).sum::<u64>(), "completion_tokens": made.iter().map(|c| c.tokens.1).sum::<u64>(),
    });
    if let Some(dir) = ctx.log_dir() {
        let _ = crate::data::atomic::write_bytes(&dir.join("usage.json"), &ctx.env.scratch, report.to_string().as_bytes());
    }
}
