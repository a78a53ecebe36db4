//! Retrieval metrics inside expressions (`report recall_at(hits, k: 10, relevant: .query.relevant)`):
//! each takes the `Retrieved` records, its cut-off where it has one, and a function giving each
//! record's relevant ids (or answer strings); the maths is `retrieval::metrics`.

use super::{Evaluator, Result, Val, fail};
use crate::data::Value;
use crate::retrieval::metrics::{Metric, answer_found, mean, per_query, ranked_documents};
use pipec_compiler::source::Span;

pub const NAMES: &[&str] = &["recall_at", "mrr", "ndcg", "answer_recall"];

impl Evaluator<'_> {
    /// `name(records, [k,] labels)` with the arguments as written (named ones in their place).
    pub(super) fn retrieval_metric(&self, name: &str, args: &[Val], span: Span) -> Result<Value> {
        let (Some(Val::Data(Value::Array(records))), Some(labels)) = (args.first(), args.iter().skip(1).find(|a| !matches!(a, Val::Data(_)))) else {
            return fail(span, format!("`{name}` takes the retrieved records and a function giving each one's labels (`relevant: .query.relevant`)"));
        };
        let k = args.iter().skip(1).find_map(|a| match a {
            Val::Data(v) => v.as_u64(),
            _ => None,
        });
        let k = match (name, k) {
            ("mrr", _) => 0,
            (_, Some(k)) if k >= 1 => k as usize,
            _ => return fail(span, format!("`{name}` needs a cut-off `k:` of at least 1")),
        };
        let mut values = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let wanted = match self.call(labels, vec![r.clone()], span)? {
                Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>(),
                Value::String(s) => vec![s],
                other => return fail(span, format!("record {i}: the labels are {other}, not a list of strings")),
            };
            values.push(match name {
                "answer_recall" => Some(answer_found(r, k, &wanted) as u8 as f64),
                "recall_at" => per_query(Metric::Recall(k), &ranked_documents(r), &wanted),
                "ndcg" => per_query(Metric::Ndcg(k), &ranked_documents(r), &wanted),
                _ => per_query(Metric::Mrr, &ranked_documents(r), &wanted),
            });
        }
        Ok(Value::from(mean(values)))
    }
}
