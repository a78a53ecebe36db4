//! Rule verifiers: checks that need no sandbox, each returning a Verdict record. `exact` (trimmed
//! equality), `regex`, `math_equal` (maths answers equal after normalisation: GSM8K `#### 42`, the
//! last `\boxed{}`, `\frac`, fractions, thousands separators, `$`, units and trailing words),
//! `extract_answer`, and `json_schema` (a subset: type, enum, const, properties, required,
//! additionalProperties, items, minimum/maximum, minLength/maxLength, minItems/maxItems).

use crate::data::Value;

/// A rule verifier's verdict (exit 0 or 1, no time), with what was compared in its log.
pub fn verdict(passed: bool, log: String) -> Value {
    super::verifier::verdict(passed, &crate::sandbox::Outcome { exit: i64::from(!passed), stdout: log, ..Default::default() }, false)
}

pub fn exact(text: &str, expected: &str) -> Value {
    verdict(text.trim() == expected.trim(), format!("{:?} vs {:?}", text.trim(), expected.trim()))
}

pub fn regex(text: &str, pattern: &str) -> Result<Value, String> {
    let re = regex::Regex::new(pattern).map_err(|e| format!("invalid regex: {e}"))?;
    Ok(verdict(re.is_match(text), format!("/{pattern}/")))
}

/// The final answer of a worked solution: after the last `####`, else the last `\boxed{...}`,
/// else the last number, else the whole text, trimmed.
pub fn extract_answer(text: &str) -> String {
    if let Some(i) = text.rfind("####") {
        return text[i + 4..].lines().next().unwrap_or("").trim().to_string();
    }
    if let Some(b) = last_boxed(text) {
        return b;
    }
    // Otherwise the last number ("The answer is: 4." -> "4"), or the whole text when there is none.
    static NUMBER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let number = NUMBER.get_or_init(|| regex::Regex::new(r"-?\d[\d,]*(\.\d+)?(/\d+)?").unwrap_or_else(|_| unreachable!("a valid pattern")));
    number.find_iter(text).last().map_or_else(|| text.trim().to_string(), |m| m.as_str().to_string())
}

fn last_boxed(text: &str) -> Option<String> {
    let start = text.rfind("\\boxed{")? + "\\boxed{".len();
    let mut depth = 1;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(text[start..start + i].trim().to_string());
                }
            }
            _ => {}
        }
    }
    None
}

pub fn math_equal(answer: &str, expected: &str) -> Value {
    let (a, e) = (normalise(&extract_answer(answer)), normalise(&extract_answer(expected)));
    let passed = match (number(&a), number(&e)) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-6 * y.abs().max(1.0),
        _ => a == e,
    };
    verdict(passed, format!("{a:?} vs {e:?}"))
}

/// Canonical text of an answer: no `$`, `\left`/`\right`, `\text{...}` wrappers, spaces, trailing
/// period, thousands separators or trailing unit words; `\frac{a}{b}` as `a/b`; lower case.
pub fn normalise(s: &str) -> String {
    let mut t = s.trim().trim_end_matches('.').replace(['$', ' '], "").replace("\\left", "").replace("\\right", "").replace("\\!", "").replace("\\,", "");
    for wrapper in ["\\text{", "\\mathrm{", "\\textbf{"] {
        while let Some(i) = t.find(wrapper) {
            let inner_start = i + wrapper.len();
            let Some(close) = t[inner_start..].find('}') else { break };
            t = format!("{}{}{}", &t[..i], &t[inner_start..inner_start + close], &t[inner_start + close + 1..]);
        }
    }
    t = t.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac");
    while let Some(i) = t.find("\\frac{") {
        let rest = &t[i + 6..];
        let Some(a_end) = rest.find('}') else { break };
        let after = &rest[a_end + 1..];
        let Some(b_end) = after.strip_prefix('{').and_then(|b| b.find('}')) else { break };
        let (num, den) = (&rest[..a_end], &after[1..1 + b_end]);
        t = format!("{}({num})/({den}){}", &t[..i], &after[b_end + 2..]);
    }
    // Units and words after a number: "18 dollars", "5cm", "30%".
    if let Some(end) = t.find(|c: char| c.is_alphabetic() || c == '%')
        && end > 0
        && t[..end].chars().all(|c| c.is_ascii_digit() || ",.-+/()".contains(c))
    {
        t.truncate(end);
    }
    if t.chars().all(|c| c.is_ascii_digit() || ",.-+".contains(c)) {
        t = t.replace(',', "");
    }
    t.to_lowercase()
}

/// A number, a fraction `a/b` or `(a)/(b)`, as f64.
fn number(s: &str) -> Option<f64> {
    let s = s.trim_start_matches('+');
    if let Ok(x) = s.parse::<f64>() {
        return Some(x);
    }
    let (a, b) = s.split_once('/')?;
    let strip = |x: &str| x.trim_start_matches('(').trim_end_matches(')').parse::<f64>().ok();
    let (a, b) = (strip(a)?, strip(b)?);
    (b != 0.0).then(|| a / b)
}

/// Whether `text` is JSON valid against `schema` (the subset in this file's header).
pub fn json_schema(text: &str, schema: &str) -> Result<Value, String> {
    let schema: Value = serde_json::from_str(schema).map_err(|e| format!("the schema is not JSON: {e}"))?;
    Ok(match serde_json::from_str::<Value>(text) {
        Err(e) => verdict(false, format!("not JSON: {e}")),
        Ok(v) => match check(&v, &schema, "$") {
            Ok(()) => verdict(true, String::new()),
            Err(e) => verdict(false, e),
        },
    })
}

fn check(v: &Value, s: &Value, at: &str) -> Result<(), String> {
    let fail = |what: String| Err(format!("{at}: {what}"));
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => true,
        };
        if !ok {
            return fail(format!("expected {t}"));
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        return fail(format!("{v} is not one of {}", Value::Array(options.clone())));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        return fail(format!("expected {c}"));
    }
    let bound = |k: &str| s.get(k).and_then(Value::as_f64);
    if let Some(x) = v.as_f64()
        && (bound("minimum").is_some_and(|m| x < m) || bound("maximum").is_some_and(|m| x > m))
    {
        return fail(format!("{x} is out of range"));
    }
    let len = v.as_str().map(|t| t.chars().count()).or(v.as_array().map(Vec::len));
    if let Some(n) = len.map(|n| n as f64) {
        let (lo, hi) = if v.is_string() { ("minLength", "maxLength") } else { ("minItems", "maxItems") };
        if bound(lo).is_some_and(|m| n < m) || bound(hi).is_some_and(|m| n > m) {
            return fail(format!("length {n} is out of range"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                return fail(format!("missing required property `{r}`"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(sub) => check(x, sub, &format!("{at}.{k}"))?,
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => return fail(format!("property `{k}` is not allowed")),
                None => {}
            }
        }
    }
    if let (Some(items), Some(sub)) = (v.as_array(), s.get("items")) {
        for (i, x) in items.iter().enumerate() {
            check(x, sub, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passed(v: Value) -> bool {
        v["passed"] == Value::Bool(true)
    }

    #[test]
    fn gsm8k_and_latex_answers_compare_after_normalisation() {
        let worked = "Natalia sold 48/2 = 24 clips in May.\nShe sold 48+24 = 72 clips.\n#### 72";
        assert_eq!(extract_answer(worked), "72");
        assert!(passed(math_equal(worked, "72")));
        assert!(passed(math_equal("The answer is \\boxed{\\frac{1}{2}}", "0.5")));
        assert!(passed(math_equal("\\boxed{1,234}", "#### 1234")));
        assert!(passed(math_equal("#### $18", "18 dollars")));
        assert!(passed(math_equal("\\boxed{\\dfrac{3}{4}}", "3/4")));
        assert!(passed(math_equal("#### 30%", "30")));
        assert!(passed(math_equal("\\boxed{\\text{(B)}}", "(b)")));
        assert!(passed(math_equal("#### 5.0", "5")));
        assert!(!passed(math_equal("#### 71", "72")));
        assert!(!passed(math_equal("\\boxed{\\frac{1}{3}}", "0.33")));
        assert!(!passed(math_equal("#### 1,234", "1.234")));
    }

    #[test]
    fn exact_regex_and_schema_checks() {
        assert!(passed(exact("  Paris\n", "Paris")));
        assert!(!passed(exact("paris", "Paris")));
        assert!(passed(regex("ANSWER: C", "^ANSWER: [A-D]$").unwrap()));
        assert!(regex("x", "(").is_err());
        let schema = r#"{"type": "object", "required": ["name", "args"], "properties": {"name": {"type": "string", "enum": ["get_balance", "transfer"]}, "args": {"type": "object", "properties": {"amount": {"type": "number", "minimum": 0}}}}, "additionalProperties": false}"#;
        assert!(passed(json_schema(r#"{"name": "transfer", "args": {"amount": 5}}"#, schema).unwrap()));
        let bad = json_schema(r#"{"name": "transfer", "args": {"amount": -5}}"#, schema).unwrap();
        assert!(!passed(bad.clone()) && bad["log"].as_str().unwrap().contains("$.args.amount"));
        assert!(!passed(json_schema(r#"{"name": "delete", "args": {}}"#, schema).unwrap()));
        assert!(!passed(json_schema(r#"{"name": "transfer"}"#, schema).unwrap()));
        assert!(!passed(json_schema("not json", schema).unwrap()));
    }
}
