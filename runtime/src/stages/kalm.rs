//! KaLM-Embedding data stages over retrieval `Hits`. Positions in a hit list count from 0, as in
//! methods.md §5. `rank_consistent(k, positives)` keeps a query when its best-scoring positive in
//! the list scores at least the score at position k (a query with no positive in its list is
//! dropped). `hard_negatives(ranks, n, positives, seed)` draws n negatives without replacement
//! from the hits at positions in `ranks`, never a positive and never the query itself; when fewer
//! than n qualify the draw is padded by repeating them, and a query with none is dropped; the
//! triple's positive is the best-scoring positive in the list (the first positive when none is
//! there), and it keeps the retrieval scores of that positive and of the negatives.
//! `focal_weights` turns those into focal InfoNCE weights.
//! `mix_negatives(index, n, alpha, seed)` adds `mixed`: n synthetic
//! negatives per triple, each `normalise(λ a + (1 - λ) b)` of two distinct hard negatives'
//! embeddings (found by id in `index`), λ ~ Beta(alpha, alpha) drawn on the host (a triple whose
//! negatives are all one id mixes it with itself); when the query carries an `embedding`, the
//! mixed negatives' inner products with it are appended to `scores`, so a later `focal_weights`
//! counts them, as in methods.md §11.2 #9.

use super::rng::Rng;
use super::{Ctx, Output, StageError, items, record_id, with_field};
use crate::data::Value;
use serde_json::json;
use std::collections::HashMap;

/// The hit list of a `Hits` record as (id, score), best first.
fn hit_list(row: &Value) -> Vec<(String, f64)> {
    items(row.get("hits").unwrap_or(&Value::Null)).iter().map(|h| (h.get("id").and_then(Value::as_str).unwrap_or_default().to_string(), h.get("score").and_then(Value::as_f64).unwrap_or(f64::NEG_INFINITY))).collect()
}

/// The positive ids of a `Hits` record's query.
fn positives(ctx: &Ctx, row: &Value) -> Result<Vec<String>, StageError> {
    let Some(f) = ctx.function("positives")? else { return Ok(Vec::new()) };
    let v = ctx.apply(&f, row.get("query").unwrap_or(&Value::Null))?;
    Ok(items(&v).iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
}

pub fn rank_consistent(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let k = ctx.int("k", 50)?;
    if k < 0 {
        return Err(StageError::Message(format!("k = {k}: a position counts from 0")));
    }
    let mut out = Vec::new();
    for row in items(&rows) {
        let (hits, pos) = (hit_list(row), positives(ctx, row)?);
        let threshold = hits.get(k as usize).map_or(f64::NEG_INFINITY, |h| h.1);
        let best = hits.iter().filter(|(id, _)| pos.contains(id)).map(|h| h.1).fold(f64::NEG_INFINITY, f64::max);
        if best > f64::NEG_INFINITY && best >= threshold {
            out.push(row.clone());
        }
    }
    Ok(Value::Array(out))
}

pub fn hard_negatives(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let n = ctx.int("n", 7)?;
    let seed = ctx.int("seed", 0)?;
    let ranks: Vec<usize> = match ctx.value("ranks")? {
        Some(Value::Array(r)) => r.iter().filter_map(Value::as_u64).map(|x| x as usize).collect(),
        None => (50..100).collect(),
        Some(other) => return Err(StageError::Message(format!("ranks should be a range such as 50..100, found {other}"))),
    };
    if n < 1 {
        return Err(StageError::Message(format!("n = {n}: draw at least one negative")));
    }
    let mut out = Vec::new();
    for (i, row) in items(&rows).iter().enumerate() {
        let (hits, pos) = (hit_list(row), positives(ctx, row)?);
        let query = row.get("query").cloned().unwrap_or(Value::Null);
        let own = query.get("id").and_then(Value::as_str).unwrap_or_default();
        let mut candidates: Vec<&str> = ranks.iter().filter_map(|&r| hits.get(r)).map(|h| h.0.as_str()).filter(|id| !pos.iter().any(|p| p == id) && *id != own).collect();
        if candidates.is_empty() {
            continue;
        }
        Rng::new(seed.wrapping_add(i as i64)).shuffle(&mut candidates);
        let negatives: Vec<&str> = candidates.iter().cycle().take(n as usize).copied().collect();
        let score = |id: &str| hits.iter().find(|h| h.0 == id).map(|h| h.1);
        // The triple's positive: the best-scoring positive in the list (the first when none was
        // retrieved), so its retrieval score is known whenever any positive's is.
        let positive = pos.iter().filter_map(|p| score(p).map(|s| (p, s))).max_by(|a, b| a.1.total_cmp(&b.1)).map(|(p, _)| p.clone()).or_else(|| pos.first().cloned()).unwrap_or_default();
        let scores: Vec<Option<f64>> = std::iter::once(score(&positive)).chain(negatives.iter().map(|id| score(id))).collect();
        out.push(json!({"positive": positive, "negatives": negatives, "weight": 1.0, "scores": scores, "query": query}));
    }
    Ok(Value::Array(out))
}

/// `focal_weights(gamma, tau)`: weight = (1 - p_pos)^gamma, where p_pos is the positive's share of
/// softmax(scores / tau) over the positive and its negatives (the rows kernel).
pub fn focal_weights(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (gamma, tau) = (ctx.float("gamma", 0.5)?, ctx.float("tau", 0.02)?);
    let width = rows.first().map_or(0, |r| items(r.get("scores").unwrap_or(&Value::Null)).len());
    let mut flat = Vec::with_capacity(rows.len() * width);
    for (i, r) in rows.iter().enumerate() {
        let s: Option<Vec<f32>> = items(r.get("scores").unwrap_or(&Value::Null)).iter().map(|x| x.as_f64().map(|x| x as f32)).collect();
        match s {
            Some(s) if s.len() == width && width > 1 => flat.extend(s),
            _ => return Err(StageError::Message(format!("triple {i} needs a score for its positive and each of its {} negatives (from `hard_negatives` over hits that retrieved the positive)", width.saturating_sub(1)))),
        }
    }
    if rows.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let backend = ctx.backend()?;
    let p = pipec_compute::kernels::rows::softmax(backend, &flat, width, tau as f32, None, None).map_err(StageError::Message)?.probs;
    Ok(Value::Array(rows.iter().enumerate().map(|(i, r)| with_field(r, "weight", Value::from((1.0 - p[i * width] as f64).max(0.0).powf(gamma)))).collect()))
}

pub fn mix_negatives(ctx: &Ctx) -> Output {
    let (rows, index) = (ctx.rows("input")?, ctx.rows("index")?);
    let (rows, index) = (items(&rows), items(&index));
    let (n, alpha, seed) = (ctx.int("n", 1)?, ctx.float("alpha", 2.0)?, ctx.int("seed", 0)?);
    if n < 1 || alpha <= 0.0 {
        return Err(StageError::Message(format!("n = {n}, alpha = {alpha}: mix at least one negative, with alpha > 0")));
    }
    let (flat, dim) = super::retrieval::matrix(index, "index")?;
    let rows_by_id: HashMap<String, usize> = index.iter().enumerate().map(|(i, r)| (record_id(r, i), i)).collect();
    let (mut a, mut b, mut lambda) = (Vec::new(), Vec::new(), Vec::new());
    for (i, row) in rows.iter().enumerate() {
        let mut ids: Vec<&str> = items(row.get("negatives").unwrap_or(&Value::Null)).iter().filter_map(Value::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut found = Vec::with_capacity(ids.len());
        for id in &ids {
            let r = rows_by_id.get(*id).ok_or_else(|| StageError::Message(format!("triple {i}: negative `{id}` is not in the index (give the index the negatives were mined from)")))?;
            found.push(&flat[r * dim..(r + 1) * dim]);
        }
        if found.is_empty() {
            return Err(StageError::Message(format!("triple {i} has no negatives to mix")));
        }
        let mut rng = Rng::new(seed.wrapping_add(i as i64));
        for _ in 0..n {
            let first = rng.below(found.len());
            let second = if found.len() > 1 { (first + 1 + rng.below(found.len() - 1)) % found.len() } else { first };
            a.extend_from_slice(found[first]);
            b.extend_from_slice(found[second]);
            lambda.push(rng.beta(alpha, alpha) as f32);
        }
    }
    if rows.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let mixed = pipec_compute::kernels::mix::mix(ctx.backend()?, &a, &b, &lambda, dim).map_err(StageError::Message)?;
    let per = n as usize * dim;
    Ok(Value::Array(rows.iter().zip(mixed.chunks(per)).map(|(row, m)| {
        let synthetic: Vec<&[f32]> = m.chunks(dim).collect();
        let mut out = with_field(row, "mixed", Value::from(synthetic.iter().map(|v| v.iter().map(|x| *x as f64).collect::<Vec<f64>>()).collect::<Vec<_>>()));
        let query: Option<Vec<f64>> = row.get("query").and_then(|q| q.get("embedding")).and_then(Value::as_array).and_then(|e| e.iter().map(Value::as_f64).collect()).filter(|q: &Vec<f64>| q.len() == dim);
        if let (Some(q), Some(Value::Array(scores))) = (query, out.get("scores").cloned()) {
            let extra = synthetic.iter().map(|v| Value::from(v.iter().zip(&q).map(|(x, y)| *x as f64 * y).sum::<f64>()));
            out = with_field(&out, "scores", Value::Array(scores.into_iter().chain(extra).collect()));
        }
        out
    }).collect()))
}

#[cfg(test)]
mod tests {
    //! methods.md §11.2 #18: ranked ids 0..99, positives at ranks 55 and 60, k = 7: every draw
    //! comes from ranks 50-99 minus the positives (48 ids) and has 7 distinct ids.
    use super::Rng;

    #[test]
    fn the_draw_stays_in_the_candidate_set() {
        let ids: Vec<String> = (0..100).map(|i| format!("d{i}")).collect();
        let positives = ["d55", "d60"];
        let candidates: Vec<&str> = (50..100).map(|r| ids[r].as_str()).filter(|id| !positives.contains(id)).collect();
        assert_eq!(candidates.len(), 48);
        for seed in 0..200 {
            let mut c = candidates.clone();
            Rng::new(seed).shuffle(&mut c);
            let draw: std::collections::BTreeSet<&str> = c.iter().take(7).copied().collect();
            assert_eq!(draw.len(), 7);
            assert!(draw.iter().all(|d| candidates.contains(d)));
        }
    }
}
