//! Preference data and its losses. `pairs` makes (chosen, rejected) pairs within groups from
//! scored candidates; `dpo_loss` and `slic_loss` add a per-pair loss from sequence log-probs
//! (DPO: -log σ(β((π_c - ref_c) - (π_r - ref_r))) through the log-sigmoid kernel; SLiC-HF:
//! max(0, δ - (π_c - π_r)) - λ π_c, the chosen answer as the regularisation target). SEER:
//! `cov_weights` weights experts by softmax(coefficient of variation / τ) across the records
//! (population std) and adds the weighted `score`; `lpo_pairs` ranks candidates per group and
//! weights each pair by λ = (s_w - s_l)(1/r_w - 1/r_l).

use super::{Ctx, Output, StageError, items, with_field};
use crate::data::Value;
use pipec_compute::kernels::rows;
use serde_json::json;

fn scores(ctx: &Ctx, rows: &[Value]) -> Result<Vec<f64>, StageError> {
    let f = ctx.required_function("score")?;
    rows.iter().enumerate().map(|(i, r)| ctx.apply(&f, r)?.as_f64().ok_or_else(|| StageError::Message(format!("record {i}: the score is not a number")))).collect()
}

/// The text a candidate stands for in a pair.
fn text(row: &Value) -> String {
    ["completion", "text", "evidence"].iter().find_map(|f| row.get(*f).and_then(Value::as_str)).map_or_else(|| row.to_string(), str::to_string)
}

fn pair(prompt: &str, chosen: &Value, rejected: &Value, scores: (f64, f64), weight: f64) -> Value {
    json!({
        "prompt": prompt, "chosen": text(chosen), "rejected": text(rejected),
        "chosen_score": scores.0, "rejected_score": scores.1, "weight": weight,
        "policy_chosen": chosen.get("logprob"), "policy_rejected": rejected.get("logprob"),
        "reference_chosen": Value::Null, "reference_rejected": Value::Null,
    })
}

pub fn pairs(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (s, margin) = (scores(ctx, rows)?, ctx.float("margin", 0.0)?);
    let mut out = Vec::new();
    for (_, members) in ctx.groups("group", rows)? {
        for &c in &members {
            for &r in &members {
                if s[c] - s[r] > margin {
                    let prompt = rows[c].get("prompt").and_then(Value::as_str).unwrap_or_default();
                    out.push(pair(prompt, &rows[c], &rows[r], (s[c], s[r]), 1.0));
                }
            }
        }
    }
    Ok(Value::Array(out))
}

pub fn lpo_pairs(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let s = scores(ctx, rows)?;
    let mut out = Vec::new();
    for (key, mut members) in ctx.groups("group", rows)? {
        // Rank 1 is the best; ties keep input order.
        members.sort_by(|a, b| s[*b].total_cmp(&s[*a]));
        for (wi, &w) in members.iter().enumerate() {
            for (li, &l) in members.iter().enumerate().skip(wi + 1) {
                let lambda = (s[w] - s[l]) * (1.0 / (wi + 1) as f64 - 1.0 / (li + 1) as f64);
                out.push(pair(&key, &rows[w], &rows[l], (s[w], s[l]), lambda));
            }
        }
    }
    Ok(Value::Array(out))
}

/// The four log-probs of pair `i`, or an error saying which is missing.
fn logprobs(i: usize, p: &Value, need: &[&str]) -> Result<Vec<f64>, StageError> {
    need.iter()
        .map(|f| p.get(*f).and_then(Value::as_f64).ok_or_else(|| StageError::Message(format!("pair {i} has no `{f}`: the loss needs policy (and, for DPO, reference) sequence log-probs on every pair"))))
        .collect()
}

fn with_loss(rows: &[Value], losses: &[f64]) -> Output {
    Ok(Value::Array(rows.iter().zip(losses).map(|(r, l)| with_field(r, "loss", Value::from(*l))).collect()))
}

pub fn dpo_loss(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let beta = ctx.float("beta", 0.1)?;
    let mut margins = Vec::with_capacity(rows.len());
    for (i, p) in rows.iter().enumerate() {
        let lp = logprobs(i, p, &["policy_chosen", "reference_chosen", "policy_rejected", "reference_rejected"])?;
        margins.push((beta * ((lp[0] - lp[1]) - (lp[2] - lp[3]))) as f32);
    }
    let backend = ctx.backend()?;
    let log_sig = rows::log_sigmoid(backend, &margins).map_err(StageError::Message)?;
    with_loss(rows, &log_sig.iter().map(|l| -(*l as f64)).collect::<Vec<_>>())
}

pub fn slic_loss(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (delta, lambda) = (ctx.float("delta", 1.0)?, ctx.float("lambda", 0.0)?);
    let mut losses = Vec::with_capacity(rows.len());
    for (i, p) in rows.iter().enumerate() {
        let lp = logprobs(i, p, &["policy_chosen", "policy_rejected"])?;
        losses.push((delta - (lp[0] - lp[1])).max(0.0) - lambda * lp[0]);
    }
    with_loss(rows, &losses)
}

pub fn cov_weights(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let f = ctx.required_function("scores")?;
    let tau = ctx.float("tau", 1.0)?;
    let mut table: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let v = ctx.apply(&f, row)?;
        let xs: Option<Vec<f64>> = v.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect());
        match xs {
            Some(xs) if table.first().is_none_or(|t| t.len() == xs.len()) && !xs.is_empty() => table.push(xs),
            _ => return Err(StageError::Message(format!("record {i}: scores gave {v}; every record needs the same number of expert scores"))),
        }
    }
    let experts = table.first().map_or(0, Vec::len);
    let n = rows.len() as f64;
    let cov: Vec<f32> = (0..experts)
        .map(|e| {
            let mean = table.iter().map(|t| t[e]).sum::<f64>() / n;
            let std = (table.iter().map(|t| (t[e] - mean).powi(2)).sum::<f64>() / n).sqrt();
            if mean == 0.0 { 0.0 } else { (std / mean) as f32 }
        })
        .collect();
    let backend = ctx.backend()?;
    let alpha = if experts == 0 { Vec::new() } else { rows::softmax(backend, &cov, experts, tau as f32, None, None).map_err(StageError::Message)?.probs };
    Ok(Value::Array(rows.iter().zip(&table).map(|(r, t)| with_field(r, "score", Value::from(t.iter().zip(&alpha).map(|(s, a)| s * *a as f64).sum::<f64>()))).collect()))
}
