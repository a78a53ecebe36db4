//! SEER's three experts (methods.md §8) over local models or endpoints, for evidence candidates
//! `e` (each `Sample`'s completion) of a question `q` with passage `P` and gold answer `a`:
//! faithfulness σ(log P(" yes") − log P(" no")) from the judge asked whether P supports e (no
//! AlignScore model ships in a registry package, so the judge LM's yes/no stands in for it);
//! helpfulness σ(log p(a | q ⊕ e) − log p(a | q)) under the judge (the generator's
//! log-likelihood gain); conciseness the encoder's cosine between the answer and e. Adds
//! `seer: {faithful, helpful, concise}`.

use super::alignment::sigmoid;
use super::generate::usage;
use super::{Ctx, Output, StageError, items, with_field};
use crate::data::Value;
use serde_json::json;

/// The text a function argument gives for record `i`.
fn text_of(ctx: &Ctx, arg: &str, row: &Value, i: usize) -> Result<String, StageError> {
    let f = ctx.function(arg)?.ok_or_else(|| StageError::Message(format!("`evidence_scores` needs `{arg}:`, such as `{arg}: .input.{arg}`")))?;
    match ctx.apply(&f, row)? {
        Value::String(s) => Ok(s),
        other => Err(StageError::Message(format!("sample {i}: `{arg}` gave {other}, not a string"))),
    }
}

/// σ(with − without): SEER's helpfulness from the answer's log-likelihood with and without the
/// evidence (methods.md §11.2 #15).
fn helpfulness(with: f64, without: f64) -> f64 {
    sigmoid(with - without)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| (*x as f64) * (*y as f64)).sum();
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let n = norm(a) * norm(b);
    if n > 0.0 { dot / n } else { 0.0 }
}

pub fn evidence_scores(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, judge) = ctx.model_arg("judge")?;
    let (_, encoder) = ctx.model_arg("encoder")?;
    let mut asks = Vec::with_capacity(rows.len() * 4);
    let mut pairs = Vec::with_capacity(rows.len() * 2);
    for (i, row) in rows.iter().enumerate() {
        let e = row.get("completion").and_then(Value::as_str).ok_or_else(|| StageError::Message(format!("sample {i} has no `completion` (the evidence candidate)")))?.trim().to_string();
        let (q, p, a) = (text_of(ctx, "question", row, i)?, text_of(ctx, "passage", row, i)?, text_of(ctx, "answer", row, i)?);
        let judge_prompt = format!("Passage: {p}\nStatement: {e}\nIs the statement supported by the passage? Answer yes or no.\nAnswer:");
        asks.push((judge_prompt.clone(), " yes".to_string()));
        asks.push((judge_prompt, " no".to_string()));
        asks.push((format!("Question: {q}\nEvidence: {e}\nAnswer:"), format!(" {a}")));
        asks.push((format!("Question: {q}\nAnswer:"), format!(" {a}")));
        pairs.push(a);
        pairs.push(e);
    }
    if rows.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let client = ctx.client()?;
    let scored = client.score(&judge, &asks);
    usage(ctx, &scored);
    let vectors = client.embeddings(&encoder, &pairs).map_err(StageError::Message)?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, (row, lp)) in rows.iter().zip(scored.chunks(4)).enumerate() {
        let get = |k: usize| -> Result<f64, StageError> {
            lp[k].clone().map_err(|e| StageError::Message(format!("sample {i}: {e}")))?.logprob.ok_or_else(|| StageError::Message(format!("sample {i}: the judge gave no log-probs")))
        };
        let faithful = sigmoid(get(0)? - get(1)?);
        let helpful = helpfulness(get(2)?, get(3)?);
        let concise = cosine(&vectors[2 * i], &vectors[2 * i + 1]);
        out.push(with_field(row, "seer", json!({"faithful": faithful, "helpful": helpful, "concise": concise})));
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    //! methods.md §11.2 #15: log-likelihood −0.5 with the evidence, −2.0 without: σ(1.5).
    #[test]
    fn helpfulness_is_the_sigmoid_of_the_log_likelihood_gain() {
        let h = super::helpfulness(-0.5, -2.0);
        assert!((h - 0.817574).abs() / 0.817574 < 1e-6, "{h}");
        assert!((super::cosine(&[1.0, 0.0], &[0.6, 0.8]) - 0.6).abs() < 1e-6);
    }
}
