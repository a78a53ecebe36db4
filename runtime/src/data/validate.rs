//! A JSON value + the `DataTy` the Plan expects -> the value in canonical form (ints widened to
//! floats where a float is expected, absent optionals as null) or the first mismatch, with its path.

use super::Value;
use pipec_compiler::plan::DataTy;

#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub found: String,
}

/// Check `value` against `ty`, coercing in place where the language allows it.
pub fn conform(value: &mut Value, ty: &DataTy) -> Result<(), Mismatch> {
    conform_at(value, ty, &mut String::new())
}

fn conform_at(value: &mut Value, ty: &DataTy, path: &mut String) -> Result<(), Mismatch> {
    let ok = match (ty, &mut *value) {
        (DataTy::Any, _) => true,
        (DataTy::Optional { of }, v) => return if v.is_null() { Ok(()) } else { conform_at(v, of, path) },
        (DataTy::Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (DataTy::Float, Value::Number(n)) => {
            if !n.is_f64()
                && let Some(f) = n.as_f64()
            {
                *value = Value::from(f);
            }
            true
        }
        (DataTy::Bool, Value::Bool(_)) | (DataTy::Str, Value::String(_)) => true,
        (DataTy::Enum { variants, .. }, Value::String(s)) => variants.iter().any(|v| v == s),
        (DataTy::Embedding { dim }, Value::Array(items)) => {
            if let Some(d) = dim
                && items.len() as u64 != *d
            {
                return Err(mismatch(path, &format!("{d} numbers"), &format!("{} numbers", items.len())));
            }
            return conform_items(items, &DataTy::Float, path);
        }
        (DataTy::List { of }, Value::Array(items)) => return conform_items(items, of, path),
        (DataTy::Record { fields, .. }, Value::Object(map)) => {
            for f in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&f.name);
                match map.get_mut(&f.name) {
                    Some(v) => conform_at(v, &f.ty, path)?,
                    None if matches!(f.ty, DataTy::Optional { .. } | DataTy::Any) => {
                        map.insert(f.name.clone(), Value::Null);
                    }
                    None => return Err(mismatch(path, &expected(&f.ty), "nothing (the field is missing)")),
                }
                path.truncate(len);
            }
            true
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err(mismatch(path, &expected(ty), &describe(value))) }
}

fn conform_items(items: &mut [Value], of: &DataTy, path: &mut String) -> Result<(), Mismatch> {
    for (i, item) in items.iter_mut().enumerate() {
        let len = path.len();
        path.push_str(&format!("[{i}]"));
        conform_at(item, of, path)?;
        path.truncate(len);
    }
    Ok(())
}

fn mismatch(path: &str, expected: &str, found: &str) -> Mismatch {
    Mismatch { path: path.to_string(), expected: expected.to_string(), found: found.to_string() }
}

fn expected(ty: &DataTy) -> String {
    match ty {
        DataTy::Int => "an integer".into(),
        DataTy::Float => "a number".into(),
        DataTy::Bool => "true or false".into(),
        DataTy::Str => "a string".into(),
        DataTy::Enum { name, variants } => format!("one of {} ({name})", variants.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")),
        DataTy::Record { name, .. } => format!("an object ({name})"),
        other => other.display(),
    }
}

/// How a found value reads in a message: its kind and, when short, the value itself.
pub fn describe(v: &Value) -> String {
    let text = v.to_string();
    let shown = if text.chars().count() > 40 { format!("{}...", text.chars().take(37).collect::<String>()) } else { text };
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => format!("boolean {shown}"),
        Value::Number(_) => format!("number {shown}"),
        Value::String(_) => format!("string {shown}"),
        Value::Array(a) => format!("a list of {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}
