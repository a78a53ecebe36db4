//! Reward stages. `score(reward)` evaluates a reward on every record (a step reward scored on
//! its own is summed over the trajectory) and adds a float field named after it, plus
//! `<reward>_terms` with each reward it named (its metrics are their means); records are
//! scored by up to `sandbox_slots` workers, since an outcome reward may run a verifier.
//! `advantages(group, reward, method)` normalises rewards within groups on the compute backend's
//! segment kernels: GRPO `(r - mean) / (std + eps)` (population std) or RLOO `r - mean of the
//! others` (0 in a group of one); adds `advantage`.

use super::per_record::per_record;
use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use pipec_compiler::ast::ExprKind;
use pipec_compute::kernels::segments::{self, Op};

pub fn score(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let expr = ctx.expr("reward").ok_or_else(|| StageError::Message("`score` needs a reward".into()))?;
    let ExprKind::Name(name) = &expr.kind else { return Err(StageError::Message("`score` takes a reward by name: declare `reward NAME = ...` and score NAME".into())) };
    let qualified = ctx.eval.reward_named(&name.name).ok_or_else(|| StageError::Message(format!("`{}` is not a reward", name.name)))?;
    let scored = per_record(ctx, items(&rows), ctx.env.sandbox_slots, |eval, row| eval.score(&qualified, row, expr.span));
    let mut out = Vec::with_capacity(scored.len());
    for (row, result) in items(&rows).iter().zip(scored) {
        let (value, terms) = result?;
        if !value.is_number() {
            return Err(StageError::Message(format!("reward `{}` gave {value}, not a number", name.name)));
        }
        let mut record = row.clone();
        if let Some(m) = record.as_object_mut() {
            m.insert(name.name.clone(), value);
            if !terms.is_empty() {
                m.insert(format!("{}_terms", name.name), Value::Object(terms.into_iter().collect()));
            }
        }
        out.push(record);
    }
    Ok(Value::Array(out))
}

pub fn advantages(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let reward = ctx.function("reward")?;
    let eps = ctx.float("eps", 1e-6)? as f32;
    let method = ctx.symbol("method", "grpo");
    // `order[k]` is the k-th record of the grouped layout the segment kernels see.
    let members: Vec<Vec<usize>> = ctx.groups("group", rows)?.into_iter().map(|(_, m)| m).collect();
    let mut values = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let r = match &reward {
            Some(f) => ctx.apply(f, row)?,
            None => row.get("reward").cloned().unwrap_or(Value::Null),
        };
        values.push(r.as_f64().ok_or_else(|| StageError::Message(format!("record {i}: the reward is {r}, not a number")))? as f32);
    }
    let order: Vec<usize> = members.iter().flatten().copied().collect();
    let mut offsets = vec![0u32];
    offsets.extend(members.iter().scan(0u32, |at, m| {
        *at += m.len() as u32;
        Some(*at)
    }));
    let grouped: Vec<f32> = order.iter().map(|&i| values[i]).collect();
    let backend = ctx.backend()?;
    let kernel = |op: Op, input: &[f32]| segments::run(backend, op, &offsets, input).map_err(StageError::Message);
    let adv: Vec<f32> = match method.as_str() {
        "rloo" => {
            let sums = kernel(Op::Broadcast, &kernel(Op::Sum, &grouped)?)?;
            let sizes: Vec<f32> = offsets.windows(2).map(|w| (w[1] - w[0]) as f32).collect();
            let sizes = kernel(Op::Broadcast, &sizes)?;
            grouped.iter().zip(&sums).zip(&sizes).map(|((r, s), n)| if *n > 1.0 { r - (s - r) / (n - 1.0) } else { 0.0 }).collect()
        }
        _ => {
            let mean = kernel(Op::Broadcast, &kernel(Op::Mean, &grouped)?)?;
            let std = kernel(Op::Broadcast, &kernel(Op::Std, &grouped)?)?;
            grouped.iter().zip(&mean).zip(&std).map(|((r, m), s)| (r - m) / (s + eps)).collect()
        }
    };
    let mut out: Vec<Value> = rows.to_vec();
    for (k, &i) in order.iter().enumerate() {
        if let Some(m) = out[i].as_object_mut() {
            m.insert("advantage".into(), Value::from(adv[k] as f64));
        }
    }
    Ok(Value::Array(out))
}
