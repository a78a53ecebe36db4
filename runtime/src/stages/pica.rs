//! `pica(model, query, demos, dummies, system, prior_tokens, layers, max_tokens)`: PICA answers
//! (`pipec_inference::pica`) from a local LM, greedy, as `PicaAnswer` records (`id` is the
//! record's id, then `/0`). With dummy queries one ICL vector serves every record; without, each
//! query's own few-shot prompt gives its vector. `prior_tokens: max_tokens` is plain few-shot
//! decoding and `prior_tokens: 0, layers: 0` plain zero-shot, so baselines use the same stage.

use super::{Ctx, Output, StageError, items, record_id};
use crate::data::Value;
use pipec_inference::pica::Pica;
use serde_json::json;

/// The system text when none is given: URIAL's, as PICA's released prompt uses it.
const SYSTEM: &str = "# Instruction\n\nBelow is a list of conversations between a human and an AI assistant (you). Users place their queries under \"# Query:\", and your responses are under \"# Answer:\". You are a helpful, respectful, and honest assistant. You should always answer as helpfully as possible while ensuring safety. Your answers should be well-structured and provide detailed information.";

pub fn pica(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, endpoint) = ctx.endpoint()?;
    let query = ctx.required_function("query")?;
    let field = |d: &Value, k: &str| d.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(|| StageError::Message(format!("every demo needs a string `{k}`")));
    let demos = ctx.rows("demos")?;
    let demos = items(&demos).iter().map(|d| Ok((field(d, "query")?, field(d, "answer")?))).collect::<Result<Vec<_>, StageError>>()?;
    let dummies: Vec<String> = match ctx.value("dummies")? {
        Some(Value::Array(a)) => a.iter().map(|d| d.as_str().map(str::to_string).ok_or_else(|| StageError::Message("`dummies` should be a list of strings".into()))).collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    let system = match ctx.value("system")? {
        Some(Value::String(s)) => s,
        _ => SYSTEM.to_string(),
    };
    let (prior, layers, max_tokens) = (ctx.int("prior_tokens", 10)?, ctx.int("layers", 9)?, ctx.int("max_tokens", 256)?);
    if prior < 0 || layers < 0 || max_tokens < 1 {
        return Err(StageError::Message(format!("prior_tokens = {prior} and layers = {layers} must be at least 0, max_tokens = {max_tokens} at least 1")));
    }
    let p = Pica { system, demos, prior_tokens: prior as usize, layers: layers as usize, max_tokens: max_tokens as usize };
    let queries = rows.iter().enumerate().map(|(r, row)| match ctx.apply(&query, row)? {
        Value::String(q) => Ok(q),
        other => Err(StageError::Message(format!("record {r}: `query` gave {other}, not a string"))),
    });
    let queries: Vec<String> = queries.collect::<Result<_, _>>()?;
    let answers = ctx.client()?.with_local_lm(&endpoint, |lm| {
        if p.layers > lm.model.config.layers {
            return Err(format!("layers = {}: the model has {}", p.layers, lm.model.config.layers));
        }
        let shared = if dummies.is_empty() { None } else { Some(lm.icl_vector(&p, &dummies)?) };
        queries
            .iter()
            .enumerate()
            .map(|(r, q)| {
                let own;
                let vector = match &shared {
                    Some(v) => v,
                    None => {
                        own = lm.icl_vector(&p, std::slice::from_ref(q))?;
                        &own
                    }
                };
                lm.pica(&p, vector, q).map_err(|e| format!("record {r}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
    });
    let answers = answers.map_err(StageError::Message)?;
    let out = rows.iter().zip(queries).zip(answers).enumerate().map(|(r, ((row, q), a))| {
        json!({"id": format!("{}/0", record_id(row, r)), "prompt": q, "completion": a.text, "prior_tokens": a.tokens.0, "steered_tokens": a.tokens.1, "prompt_tokens": a.prompt_tokens.0 + a.prompt_tokens.1, "input": row})
    });
    Ok(Value::Array(out.collect()))
}
