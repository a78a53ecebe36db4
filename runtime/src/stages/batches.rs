//! `batches`: seeded training batches. With `homogeneous: r` and `by`, a fraction r of each batch
//! comes from one task (the task with the most records left) and the rest from the shuffled pool:
//! KaLM-Embedding's semi-homogeneous batching. Every record lands in exactly one batch.

use super::records::key_text;
use super::rng::Rng;
use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use serde_json::Map;
use std::collections::VecDeque;

pub fn batches(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let size = ctx.int("size", 32)?;
    let r = ctx.float("homogeneous", 0.0)?;
    if size < 1 || !(0.0..=1.0).contains(&r) {
        return Err(StageError::Message(format!("`size` must be at least 1 and `homogeneous` between 0 and 1 (found size: {size}, homogeneous: {r})")));
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    Rng::new(ctx.int("seed", 0)?).shuffle(&mut order);
    let keys = match ctx.function("by")? {
        Some(f) => rows.iter().map(|row| key_text(ctx, &f, row)).collect::<Result<Vec<_>, _>>()?,
        None => vec![String::new(); rows.len()],
    };
    let plan = plan_batches(&order, &keys, size as usize, r);
    let out = plan.into_iter().enumerate().map(|(i, (task, members))| {
        let mut m = Map::new();
        m.insert("index".into(), Value::from(i));
        m.insert("task".into(), Value::String(task));
        m.insert("items".into(), Value::Array(members.into_iter().map(|j| rows[j].clone()).collect()));
        Value::Object(m)
    });
    Ok(Value::Array(out.collect()))
}

/// Batches as (task, record indices), from a shuffled order and each record's task key.
pub fn plan_batches(order: &[usize], keys: &[String], size: usize, homogeneous: f64) -> Vec<(String, Vec<usize>)> {
    let mut tasks: Vec<(String, VecDeque<usize>)> = Vec::new();
    for &i in order {
        match tasks.iter_mut().find(|(k, _)| *k == keys[i]) {
            Some((_, q)) => q.push_back(i),
            None => tasks.push((keys[i].clone(), VecDeque::from([i]))),
        }
    }
    let single = (homogeneous * size as f64).round() as usize;
    let mut taken = vec![false; keys.len()];
    let mut pool = order.iter().copied().peekable();
    let mut left = order.len();
    let mut out = Vec::new();
    while left > 0 {
        let mut batch = Vec::with_capacity(size);
        let mut task = String::new();
        if single > 0
            && let Some((k, q)) = tasks.iter_mut().max_by_key(|(_, q)| q.len()).filter(|(_, q)| !q.is_empty())
        {
            task = k.clone();
            while batch.len() < single.min(size) {
                let Some(i) = q.pop_front() else { break };
                if !taken[i] {
                    taken[i] = true;
                    batch.push(i);
                }
            }
        }
        while batch.len() < size {
            let Some(i) = pool.next() else { break };
            if !taken[i] {
                taken[i] = true;
                batch.push(i);
            }
        }
        if batch.is_empty() {
            break;
        }
        tasks.iter_mut().for_each(|(_, q)| q.retain(|i| !taken[*i]));
        left -= batch.len();
        out.push((task, batch));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plan_batches;

    #[test]
    fn every_record_lands_once_and_the_homogeneous_share_is_single_task() {
        let keys: Vec<String> = (0..100).map(|i| ["a", "b", "c"][i % 3].to_string()).collect();
        let order: Vec<usize> = (0..100).rev().collect();
        let batches = plan_batches(&order, &keys, 10, 0.5);
        let mut all: Vec<usize> = batches.iter().flat_map(|(_, b)| b.clone()).collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for (task, b) in &batches[..batches.len() - 1] {
            assert_eq!(b.len(), 10);
            assert!(b[..5].iter().all(|i| keys[*i] == *task), "first half of {b:?} is task {task}");
        }
    }
}
