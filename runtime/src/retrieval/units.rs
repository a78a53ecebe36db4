//! Retrieval units as records: the text each is scored on, FunnelRAG's clusters (documents packed
//! in order into groups of at most N tokens; a token is a whitespace-separated word here, so
//! no tokenizer is needed to build a corpus), documents inside clusters, late chunking into
//! N-word passages, local-to-global aggregation of passage scores to documents, and the final
//! `Passage` shape a funnel returns.

use crate::data::Value;
use crate::stages::group_by_key;
use serde_json::json;

fn text_of(u: &Value, field: &str) -> String {
    u.get(field).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The text a unit is scored on: a cluster's documents, a document's title and text, a
/// passage's text.
pub fn unit_text(u: &Value) -> String {
    if let Some(docs) = u.get("documents").and_then(Value::as_array) {
        return docs.iter().map(unit_text).collect::<Vec<_>>().join("\n\n");
    }
    match text_of(u, "title") {
        t if t.is_empty() => text_of(u, "text"),
        t => format!("{t}\n{}", text_of(u, "text")),
    }
}

/// `u` with its `score` set.
pub fn scored(u: &Value, score: f64) -> Value {
    crate::stages::with_field(u, "score", Value::from(score))
}

/// Documents packed in order into clusters of at most `max_tokens` words (a longer document is a
/// cluster of its own): `{id: "cluster-<i>", tokens, documents}`.
pub fn clusters(documents: &[Value], max_tokens: usize) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut members: Vec<Value> = Vec::new();
    let mut tokens = 0;
    let flush = |members: &mut Vec<Value>, tokens: &mut usize, out: &mut Vec<Value>| {
        if !members.is_empty() {
            out.push(json!({"id": format!("cluster-{}", out.len()), "tokens": *tokens, "documents": std::mem::take(members)}));
            *tokens = 0;
        }
    };
    for d in documents {
        let n = unit_text(d).split_whitespace().count();
        if tokens + n > max_tokens {
            flush(&mut members, &mut tokens, &mut out);
        }
        members.push(d.clone());
        tokens += n;
    }
    flush(&mut members, &mut tokens, &mut out);
    out
}

/// The documents inside `clusters`, in cluster order.
pub fn documents(clusters: &[Value]) -> Vec<Value> {
    clusters.iter().flat_map(|c| c.get("documents").and_then(Value::as_array).cloned().unwrap_or_default()).collect()
}

/// Each document split into passages of `words` words: `{id: "<doc id>#<i>", document, text, score: 0}`.
pub fn chunk(documents: &[Value], words: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for (r, doc) in documents.iter().enumerate() {
        let id = crate::stages::record_id(doc, r);
        let text = text_of(doc, "text");
        let all: Vec<&str> = text.split_whitespace().collect();
        for (i, part) in all.chunks(words.max(1)).enumerate() {
            out.push(json!({"id": format!("{id}#{i}"), "document": id, "text": part.join(" "), "score": 0.0}));
        }
    }
    out
}

/// Passages pooled into their documents, best first: alpha · max + (1 − alpha) · mean of each
/// document's passage scores (ties keep first appearance).
pub fn aggregate(passages: &[Value], alpha: f64) -> Result<Vec<Value>, String> {
    let mut documents = Vec::with_capacity(passages.len());
    let mut scores = Vec::with_capacity(passages.len());
    for (i, p) in passages.iter().enumerate() {
        documents.push(p.get("document").and_then(Value::as_str).ok_or_else(|| format!("passage {i} has no `document`"))?.to_string());
        scores.push(p.get("score").and_then(Value::as_f64).ok_or_else(|| format!("passage {i} has no numeric `score`"))?);
    }
    let mut pooled: Vec<(f64, Value)> = group_by_key(documents)
        .into_iter()
        .map(|(id, members)| {
            let max = members.iter().map(|&i| scores[i]).fold(f64::NEG_INFINITY, f64::max);
            let mean = members.iter().map(|&i| scores[i]).sum::<f64>() / members.len() as f64;
            let score = alpha * max + (1.0 - alpha) * mean;
            let text: Vec<String> = members.iter().map(|&i| text_of(&passages[i], "text")).collect();
            (score, json!({"id": id, "title": "", "text": text.join("\n"), "score": score}))
        })
        .collect();
    pooled.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(pooled.into_iter().map(|(_, d)| d).collect())
}

/// Any unit as the `Passage` a funnel returns: a passage as it is; a document or cluster as one
/// passage of its whole text, its own document.
pub fn to_passage(u: &Value) -> Value {
    if u.get("document").is_some() {
        return u.clone();
    }
    let id = text_of(u, "id");
    json!({"id": id, "document": id, "text": unit_text(u), "score": u.get("score").and_then(Value::as_f64).unwrap_or(0.0)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_pack_documents_in_order_under_the_budget() {
        let doc = |id: &str, words: usize| json!({"id": id, "title": "", "text": vec!["w"; words].join(" ")});
        let docs = [doc("a", 3), doc("b", 2), doc("c", 4), doc("d", 9), doc("e", 1)];
        let cs = clusters(&docs, 5);
        let ids: Vec<Vec<String>> = cs.iter().map(|c| documents(std::slice::from_ref(c)).iter().map(|d| text_of(d, "id")).collect()).collect();
        assert_eq!(ids, [vec!["a", "b"], vec!["c"], vec!["d"], vec!["e"]]);
        assert_eq!(cs[0]["tokens"], 5);
        assert_eq!(cs[2]["id"], "cluster-2");
        assert_eq!(documents(&cs).len(), 5);
    }

    #[test]
    fn units_become_passages() {
        let d = json!({"id": "d1", "title": "Gold", "text": "card", "score": 2.0});
        assert_eq!(to_passage(&d), json!({"id": "d1", "document": "d1", "text": "Gold\ncard", "score": 2.0}));
        let p = json!({"id": "d1#0", "document": "d1", "text": "x", "score": 1.0});
        assert_eq!(to_passage(&p), p);
    }
}
