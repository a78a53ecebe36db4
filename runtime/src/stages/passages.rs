//! FunnelRAG's unit stages as pipeline nodes: `corpus(docs, cluster_tokens: N)` packs documents
//! into clusters (the coarse unit), `documents(clusters)` opens them, `chunk(words: N)` splits
//! documents into passages (`<doc id>#<i>`, score 0) and `aggregate(alpha)` pools scored passages
//! into documents, local-to-global (methods.md §7). The same functions run inside funnels.

use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use crate::retrieval::units;
use serde_json::json;

pub fn corpus(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let budget = ctx.int("cluster_tokens", 4096)?;
    if budget < 1 {
        return Err(StageError::Message(format!("cluster_tokens = {budget}: a cluster holds at least one token")));
    }
    Ok(json!({"clusters": units::clusters(items(&rows), budget as usize), "documents": items(&rows)}))
}

pub fn documents(ctx: &Ctx) -> Output {
    let rows = ctx.rows("units")?;
    Ok(Value::Array(units::documents(items(&rows))))
}

/// The `words:` of a chunk call; counting tokens is refused (no tokenizer is bound to a corpus).
pub fn chunk_words(words: i64, tokens: Option<&Value>) -> Result<usize, StageError> {
    if tokens.is_some_and(|t| !t.is_null()) {
        return Err(StageError::Message("`chunk(tokens: N)` needs the tokenizer of a model, which a corpus does not name; chunk by `words: N`".into()));
    }
    if words < 1 {
        return Err(StageError::Message(format!("words = {words}: a passage needs at least one word")));
    }
    Ok(words as usize)
}

pub fn chunk(ctx: &Ctx) -> Output {
    let rows = ctx.rows("units")?;
    let words = chunk_words(ctx.int("words", 100)?, ctx.value("tokens")?.as_ref())?;
    Ok(Value::Array(units::chunk(items(&rows), words)))
}

/// Check `alpha` of an aggregate call.
pub fn alpha(alpha: f64) -> Result<f64, StageError> {
    if (0.0..=1.0).contains(&alpha) { Ok(alpha) } else { Err(StageError::Message(format!("alpha = {alpha} must lie in [0, 1]"))) }
}

pub fn aggregate(ctx: &Ctx) -> Output {
    let rows = ctx.rows("units")?;
    let alpha = alpha(ctx.float("alpha", 0.5)?)?;
    units::aggregate(items(&rows), alpha).map(Value::Array).map_err(StageError::Message)
}
