//! Retrieval quality over `Retrieved` records, averaged over queries. A query's ranking is the
//! distinct documents of its `passages` in order (a passage counts as its `document`; a document
//! or cluster as its `id`), so passage and document funnels are compared on the same footing.
//! recall@k = |relevant ∩ top k| / |relevant|; MRR = 1 / rank of the first relevant document
//! (0 when none); nDCG@k with binary gains, DCG = Σ 1 / log2(rank + 1) over relevant hits,
//! ideal DCG over min(k, |relevant|) hits; answer recall@k = an answer string (case-insensitive)
//! occurs in the text of one of the first k passages. Queries without relevant ids are skipped.

use crate::data::Value;

/// The distinct document ids of one `Retrieved` record, best first.
pub fn ranked_documents(retrieved: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in retrieved.get("passages").and_then(Value::as_array).into_iter().flatten() {
        let id = p.get("document").or_else(|| p.get("id")).and_then(Value::as_str).unwrap_or_default();
        if !out.iter().any(|d| d == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// Which metric, with its cut-off where it has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    Recall(usize),
    Mrr,
    Ndcg(usize),
}

/// One query's value of `metric`, or None when it has no relevant ids.
pub fn per_query(metric: Metric, ranking: &[String], relevant: &[String]) -> Option<f64> {
    if relevant.is_empty() {
        return None;
    }
    let hit = |d: &String| relevant.contains(d);
    Some(match metric {
        Metric::Recall(k) => ranking.iter().take(k).filter(|d| hit(d)).count() as f64 / relevant.len() as f64,
        Metric::Mrr => ranking.iter().position(hit).map_or(0.0, |r| 1.0 / (r + 1) as f64),
        Metric::Ndcg(k) => {
            let dcg: f64 = ranking.iter().take(k).enumerate().filter(|(_, d)| hit(d)).map(|(r, _)| 1.0 / ((r + 2) as f64).log2()).sum();
            let ideal: f64 = (0..k.min(relevant.len())).map(|r| 1.0 / ((r + 2) as f64).log2()).sum();
            dcg / ideal
        }
    })
}

/// The mean over queries that have relevant ids (0 when none has).
pub fn mean(values: impl IntoIterator<Item = Option<f64>>) -> f64 {
    let (sum, n) = values.into_iter().flatten().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// Whether one of the first `k` passages of `retrieved` contains one of `answers`.
pub fn answer_found(retrieved: &Value, k: usize, answers: &[String]) -> bool {
    let answers: Vec<String> = answers.iter().map(|a| a.to_lowercase()).filter(|a| !a.is_empty()).collect();
    retrieved.get("passages").and_then(Value::as_array).into_iter().flatten().take(k).any(|p| {
        let text = p.get("text").and_then(Value::as_str).unwrap_or_default().to_lowercase();
        answers.iter().any(|a| text.contains(a.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn passages_rank_their_documents_once() {
        let r = json!({"passages": [{"id": "a#0", "document": "a"}, {"id": "b#3", "document": "b"}, {"id": "a#1", "document": "a"}, {"id": "c"}]});
        assert_eq!(ranked_documents(&r), ids(&["a", "b", "c"]));
    }

    /// Ranking [x, r1, y, r2], relevant {r1, r2, r3}, by hand:
    /// recall@2 = 1/3, recall@4 = 2/3; MRR = 1/2;
    /// nDCG@4 = (1/log2 3 + 1/log2 5) / (1 + 1/log2 3 + 1/2) = 1.061606 / 2.130930 = 0.498189.
    #[test]
    fn metrics_match_hand_computed_values() {
        let ranking = ids(&["x", "r1", "y", "r2"]);
        let relevant = ids(&["r1", "r2", "r3"]);
        let close = |a: Option<f64>, b: f64| assert!((a.unwrap() - b).abs() < 1e-6, "{a:?} vs {b}");
        close(per_query(Metric::Recall(2), &ranking, &relevant), 1.0 / 3.0);
        close(per_query(Metric::Recall(4), &ranking, &relevant), 2.0 / 3.0);
        close(per_query(Metric::Mrr, &ranking, &relevant), 0.5);
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let ideal = 1.0 + 1.0 / 3f64.log2() + 0.5;
        close(per_query(Metric::Ndcg(4), &ranking, &relevant), dcg / ideal);
        assert!((dcg / ideal - 0.498189).abs() < 1e-6);
        assert_eq!(per_query(Metric::Mrr, &ranking, &[]), None);
        assert_eq!(mean([Some(1.0), None, Some(0.0)]), 0.5);
    }

    #[test]
    fn answers_are_found_case_insensitively_in_the_first_k() {
        let r = json!({"passages": [{"text": "nothing here"}, {"text": "The GOLD card"}]});
        assert!(!answer_found(&r, 1, &ids(&["gold"])));
        assert!(answer_found(&r, 2, &ids(&["gold"])));
    }
}
