//! The pure builtins the evaluator calls directly: text helpers, counts, numeric reductions and
//! `tool` records.
//! Stage builtins (filter, dedup, ...) are executors in `stages/`, not here.

use super::{Result, fail, rules};
use crate::data::Value;
use pipec_compiler::source::Span;

const NAMES: &[&str] = &["len", "words", "lower", "contains", "count", "sum", "mean", "std", "max", "min", "discounted", "env", "exact", "regex", "math_equal", "extract_answer", "json_schema", "filter", "map", "completion_rate", "modification_rate", "resolution_rate", "tool"];

pub fn lookup(name: &str) -> Option<&'static str> {
    NAMES.iter().chain(super::metrics::NAMES).copied().find(|n| *n == name)
}

pub fn call(name: &str, args: Vec<Value>, span: Span) -> Result<Value> {
    let mut args = args.into_iter();
    let first = args.next().unwrap_or(Value::Null);
    let second = args.next();
    match name {
        "len" | "count" => match &first {
            Value::String(s) => Ok(Value::from(s.chars().count())),
            Value::Array(a) => Ok(Value::from(a.len())),
            other => fail(span, format!("`{name}` needs a string or a list, found {other}")),
        },
        "words" => Ok(Value::Array(str_arg(name, &first, span)?.split_whitespace().map(|w| Value::String(w.into())).collect())),
        "lower" => Ok(Value::String(str_arg(name, &first, span)?.to_lowercase())),
        "contains" => {
            let part = second.unwrap_or(Value::Null);
            Ok(Value::Bool(str_arg(name, &first, span)?.contains(str_arg(name, &part, span)?)))
        }
        "exact" | "regex" | "math_equal" | "extract_answer" | "json_schema" => {
            let (a, b) = (str_arg(name, &first, span)?, second.as_ref().map_or(Ok(""), |s| str_arg(name, s, span))?);
            let r = match name {
                "exact" => Ok(rules::exact(a, b)),
                "regex" => rules::regex(a, b),
                "math_equal" => Ok(rules::math_equal(a, b)),
                "extract_answer" => Ok(Value::String(rules::extract_answer(a))),
                _ => rules::json_schema(a, b),
            };
            r.or_else(|e| fail(span, e))
        }
        "completion_rate" | "modification_rate" => {
            let Value::Array(trajs) = &first else { return fail(span, format!("`{name}` needs a list of trajectories, found {first}")) };
            let hit = |t: &Value| if name == "completion_rate" { t.get("end").and_then(Value::as_str) == Some("submitted") } else { t.get("modified").and_then(Value::as_bool) == Some(true) };
            Ok(Value::from(if trajs.is_empty() { 0.0 } else { trajs.iter().filter(|t| hit(t)).count() as f64 / trajs.len() as f64 }))
        }
        "tool" => {
            let (command, description) = (second.unwrap_or(Value::Null), args.next().unwrap_or(Value::String(String::new())));
            Ok(serde_json::json!({"name": str_arg(name, &first, span)?, "command": str_arg(name, &command, span)?, "description": str_arg(name, &description, span)?}))
        }
        "env" => {
            let var = str_arg(name, &first, span)?;
            std::env::var(var).map(Value::String).or_else(|_| fail(span, format!("environment variable `{var}` is not set")))
        }
        _ => reduce(name, &numbers(name, &first, span)?, second.and_then(|g| g.as_f64()), span),
    }
}

fn str_arg<'v>(name: &str, v: &'v Value, span: Span) -> Result<&'v str> {
    v.as_str().map_or_else(|| fail(span, format!("`{name}` needs a string, found {v}")), Ok)
}

/// The numbers of a list; nulls (absent optional values) are skipped.
fn numbers(name: &str, v: &Value, span: Span) -> Result<Vec<f64>> {
    let Value::Array(items) = v else { return fail(span, format!("`{name}` needs a list of numbers, found {v}")) };
    items.iter().filter(|x| !x.is_null()).map(|x| x.as_f64().map_or_else(|| fail(span, format!("`{name}` needs numbers, found {x}")), Ok)).collect()
}

fn reduce(name: &str, xs: &[f64], gamma: Option<f64>, span: Span) -> Result<Value> {
    let n = xs.len() as f64;
    let mean = || xs.iter().sum::<f64>() / n;
    let value = match name {
        "sum" => xs.iter().sum(),
        "discounted" => {
            let g = gamma.unwrap_or(1.0);
            xs.iter().rev().fold(0.0, |acc, x| x + g * acc)
        }
        // As the registry documents: the mean of nothing is 0 (a report over an empty filter).
        "mean" if xs.is_empty() => 0.0,
        _ if xs.is_empty() => return fail(span, format!("`{name}` of an empty list")),
        "mean" => mean(),
        "std" => {
            let m = mean();
            (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt()
        }
        "max" => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "min" => xs.iter().copied().fold(f64::INFINITY, f64::min),
        other => return fail(span, format!("`{other}` is not a pure builtin")),
    };
    Ok(Value::from(value))
}

#[cfg(test)]
mod tests {
    //! Reductions at their edges.
    use super::call;
    use crate::data::Value;
    use pipec_compiler::source::{FileId, Span};

    #[test]
    fn mean_of_nothing_is_zero_and_max_of_nothing_is_an_error() {
        let span = Span::new(FileId(0), 0, 1);
        let empty = Value::Array(vec![]);
        assert_eq!(call("mean", vec![empty.clone()], span).unwrap(), Value::from(0.0));
        assert!(call("max", vec![empty], span).unwrap_err().message.contains("empty list"));
        assert_eq!(call("mean", vec![Value::from(vec![1.0, 2.0, 6.0])], span).unwrap(), Value::from(3.0));
    }
}
