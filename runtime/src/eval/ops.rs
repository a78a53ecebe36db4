//! Operators on runtime values: arithmetic (ints stay ints except `/`), comparison (numbers by
//! value, strings and lists in order), truthiness, field access (mapped over lists) and indexing.

use super::{EvalError, Result, fail};
use crate::data::Value;
use pipec_compiler::ast::{BinOp, UnOp};
use pipec_compiler::source::Span;
use std::cmp::Ordering;

/// `record.field`; on a list, the field of every element (`rows.score`); absent fields are null.
pub fn field(v: Value, name: &str) -> Value {
    match v {
        Value::Object(mut m) => m.remove(name).unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.into_iter().map(|x| field(x, name)).collect()),
        _ => Value::Null,
    }
}

/// `list[i]` (negative counts from the end) or `record["key"]`.
pub fn index(v: Value, i: &Value) -> Option<Value> {
    match (v, i) {
        (Value::Array(mut items), Value::Number(n)) => {
            let n = n.as_i64()?;
            let at = if n < 0 { items.len() as i64 + n } else { n };
            (0..items.len() as i64).contains(&at).then(|| items.swap_remove(at as usize))
        }
        (Value::Object(mut m), Value::String(k)) => m.remove(k),
        _ => None,
    }
}

pub fn truthy(v: &Value, span: Span) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => fail(span, format!("expected true or false, found {}", crate::data::validate::describe(other))),
    }
}

/// Text for string interpolation: strings as they are, everything else as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn equal(a: &Value, b: &Value) -> bool {
    compare(a, b) == Some(Ordering::Equal)
}

/// A total-enough order: numbers numerically, strings, booleans, lists lexicographically; records
/// and nulls only equal to themselves.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                match compare(p, q)? {
                    Ordering::Equal => continue,
                    other => return Some(other),
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        (x, y) => (x == y).then_some(Ordering::Equal),
    }
}

pub fn binary(op: BinOp, a: Value, b: Value, span: Span) -> Result<Value> {
    use BinOp::*;
    let cmp = || compare(&a, &b);
    Ok(match op {
        Eq => Value::Bool(equal(&a, &b)),
        Ne => Value::Bool(!equal(&a, &b)),
        Lt | Le | Gt | Ge => {
            let Some(o) = cmp() else { return fail(span, format!("cannot compare {a} with {b}")) };
            Value::Bool(match op {
                Lt => o.is_lt(),
                Le => o.is_le(),
                Gt => o.is_gt(),
                _ => o.is_ge(),
            })
        }
        Add if a.is_string() && b.is_string() => Value::String(format!("{}{}", text(&a), text(&b))),
        Add if a.is_array() && b.is_array() => {
            let (Value::Array(mut x), Value::Array(y)) = (a, b) else { unreachable!("checked above") };
            x.extend(y);
            Value::Array(x)
        }
        Add | Sub | Mul | Rem => arithmetic(op, &a, &b, span)?,
        Div => {
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else { return fail(span, format!("cannot divide {a} by {b}")) };
            if y == 0.0 {
                return fail(span, format!("division by zero ({a} / {b})"));
            }
            Value::from(x / y)
        }
        Range | RangeIncl => {
            let (Some(lo), Some(hi)) = (a.as_i64(), b.as_i64()) else { return fail(span, "a range needs integer bounds") };
            let hi = if op == RangeIncl { hi + 1 } else { hi };
            Value::Array((lo..hi).map(Value::from).collect())
        }
        And | Or | Pipe => unreachable!("handled by the evaluator"),
    })
}

fn arithmetic(op: BinOp, a: &Value, b: &Value, span: Span) -> Result<Value> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            _ if y == 0 => return fail(span, format!("remainder by zero ({x} % {y})")),
            _ => x.checked_rem(y),
        };
        return r.map(Value::from).ok_or_else(|| EvalError { message: format!("integer overflow in {x} {} {y}", op.symbol()), span });
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return fail(span, format!("`{}` needs numbers, found {a} and {b}", op.symbol()));
    };
    Ok(Value::from(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        _ => x % y,
    }))
}

pub fn unary(op: UnOp, v: Value, span: Span) -> Result<Value> {
    match op {
        UnOp::Not => Ok(Value::Bool(!truthy(&v, span)?)),
        UnOp::Neg => match (v.as_i64(), v.as_f64()) {
            (Some(i), _) => Ok(Value::from(-i)),
            (None, Some(f)) => Ok(Value::from(-f)),
            _ => fail(span, format!("cannot negate {v}")),
        },
    }
}
