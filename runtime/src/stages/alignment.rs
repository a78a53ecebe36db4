//! The alignment-stage boundary (methods.md §2). `pair_logprobs(policy, reference)` fills each
//! preference pair's sequence log-probs (what `dpo_loss` and `slic_loss` read); `boundary` measures
//! how far the policy's implicit DPO preference σ(β[(π−π_ref)(y_w) − (π−π_ref)(y_l)]) agrees with
//! the pairs' labelled preference σ(s_w − s_l) (consistency = 1 − mean |p_θ − p_G|) and names the
//! stage: `injection` below κ, `fine_tuning` at or above it; `choose` picks that stage's candidates.

use super::generate::usage;
use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use serde_json::json;

/// `rows` with `{who}_chosen` and `{who}_rejected` set from the model in argument `arg`.
fn fill(ctx: &Ctx, rows: Vec<Value>, arg: &str, who: &str) -> Result<Vec<Value>, StageError> {
    let (_, endpoint) = ctx.model_arg(arg)?;
    let field = |r: &Value, f: &str| r.get(f).and_then(Value::as_str).map(str::to_string);
    let mut asks = Vec::with_capacity(rows.len() * 2);
    for (i, r) in rows.iter().enumerate() {
        let (Some(p), Some(w), Some(l)) = (field(r, "prompt"), field(r, "chosen"), field(r, "rejected")) else {
            return Err(StageError::Message(format!("pair {i} needs `prompt`, `chosen` and `rejected` strings")));
        };
        asks.push((p.clone(), w));
        asks.push((p, l));
    }
    let done = ctx.client()?.score(&endpoint, &asks);
    usage(ctx, &done);
    let mut out = rows;
    for (i, (r, lp)) in out.iter_mut().zip(done.chunks(2)).enumerate() {
        let get = |k: usize| lp[k].as_ref().map(|c| c.logprob.unwrap_or(0.0)).map_err(|e| StageError::Message(format!("pair {i}: {e}")));
        let (w, l) = (get(0)?, get(1)?);
        if let Some(m) = r.as_object_mut() {
            m.insert(format!("{who}_chosen"), Value::from(w));
            m.insert(format!("{who}_rejected"), Value::from(l));
        }
    }
    Ok(out)
}

/// Pairs with policy and (when given) reference log-probs of both texts.
fn scored_pairs(ctx: &Ctx) -> Result<Vec<Value>, StageError> {
    let rows = ctx.rows("input")?;
    let pairs = fill(ctx, items(&rows).to_vec(), "policy", "policy")?;
    if ctx.expr("reference").is_none() {
        return Ok(pairs);
    }
    fill(ctx, pairs, "reference", "reference")
}

pub fn pair_logprobs(ctx: &Ctx) -> Output {
    Ok(Value::Array(scored_pairs(ctx)?))
}

pub(super) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// 1 − mean over pairs of |σ(β[(π−π_ref)(y_w) − (π−π_ref)(y_l)]) − σ(s_w − s_l)|.
fn consistency(pairs: &[Value], beta: f64) -> f64 {
    let num = |p: &Value, k: &str| p.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let gap = |p: &Value| {
        let implicit = beta * ((num(p, "policy_chosen") - num(p, "reference_chosen")) - (num(p, "policy_rejected") - num(p, "reference_rejected")));
        (sigmoid(implicit) - sigmoid(num(p, "chosen_score") - num(p, "rejected_score"))).abs()
    };
    1.0 - pairs.iter().map(gap).sum::<f64>() / pairs.len() as f64
}

pub fn boundary(ctx: &Ctx) -> Output {
    let (beta, kappa) = (ctx.float("beta", 0.1)?, ctx.float("kappa", 0.6)?);
    let pairs = scored_pairs(ctx)?;
    if pairs.is_empty() {
        return Err(StageError::Message("the probe set is empty: the boundary needs at least one pair".into()));
    }
    let consistency = consistency(&pairs, beta);
    let stage = if consistency < kappa { "injection" } else { "fine_tuning" };
    if let Some(dir) = ctx.log_dir() {
        let report = json!({"stage": stage, "consistency": consistency, "kappa": kappa, "beta": beta, "pairs": pairs.len()});
        let _ = crate::data::atomic::write_bytes(&dir.join("boundary.json"), &ctx.env.scratch, report.to_string().as_bytes());
    }
    Ok(Value::String(stage.into()))
}

pub fn choose(ctx: &Ctx) -> Output {
    let stage = ctx.value("stage")?.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    match stage.as_str() {
        "injection" | "fine_tuning" => Ok(ctx.rows(&stage)?.as_ref().clone()),
        other => Err(StageError::Message(format!("stage is `{other}`; expected injection or fine_tuning (from `boundary`)"))),
    }
}

#[cfg(test)]
mod tests {
    //! The consistency measure on hand-computed pairs.
    use super::consistency;
    use serde_json::json;

    #[test]
    fn consistency_matches_hand_computed_values() {
        // Pair 1: implicit margin 0.1·((-10 - -12) - (-15 - -14)) = 0.3, σ = 0.574443;
        //         labelled σ(1 - 0) = 0.731059; gap 0.156616.
        // Pair 2: implicit 0.1·((-8 - -8) - (-9 - -7)) = 0.2, σ = 0.549834; labelled σ(-2) = 0.119203; gap 0.430631.
        let pairs = [
            json!({"policy_chosen": -10.0, "reference_chosen": -12.0, "policy_rejected": -15.0, "reference_rejected": -14.0, "chosen_score": 1.0, "rejected_score": 0.0}),
            json!({"policy_chosen": -8.0, "reference_chosen": -8.0, "policy_rejected": -9.0, "reference_rejected": -7.0, "chosen_score": 0.0, "rejected_score": 2.0}),
        ];
        let c = consistency(&pairs, 0.1);
        assert!((c - (1.0 - (0.156616 + 0.430631) / 2.0)).abs() < 1e-6, "{c}");
        // A policy equal to its reference prefers nothing: p_theta = 0.5 for every pair.
        let same = [json!({"policy_chosen": -3.0, "reference_chosen": -3.0, "policy_rejected": -4.0, "reference_rejected": -4.0, "chosen_score": 0.0, "rejected_score": 0.0})];
        assert_eq!(consistency(&same, 0.1), 1.0);
    }
}
