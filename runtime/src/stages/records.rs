//! Record transforms: filter, map, select, subsample, split, join, group, declassify. Each keeps
//! input order (or a seeded order) so the same inputs always give byte-identical outputs.

use super::rng::Rng;
use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use crate::eval::Val;
use serde_json::Map;
use std::collections::HashMap;

pub fn filter(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let f = ctx.required_function("where")?;
    let mut out = Vec::new();
    for r in items(&rows) {
        match ctx.apply(&f, r)? {
            Value::Bool(true) => out.push(r.clone()),
            Value::Bool(false) => {}
            other => return Err(StageError::Message(format!("the `where` predicate returned {other}, not true or false"))),
        }
    }
    Ok(Value::Array(out))
}

pub fn map(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let f = ctx.required_function("f")?;
    items(&rows).iter().map(|r| ctx.apply(&f, r)).collect::<Result<Vec<_>, _>>().map(Value::Array)
}

pub fn select(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let fields: Vec<String> = match ctx.value("fields")? {
        Some(Value::Array(fs)) => fs.iter().filter_map(|f| f.as_str().map(str::to_string)).collect(),
        _ => return Err(StageError::Message("argument `fields` should be a list of field names".into())),
    };
    let pick = |r: &Value| {
        let mut m = Map::new();
        for f in &fields {
            m.insert(f.clone(), r.get(f).cloned().unwrap_or(Value::Null));
        }
        Value::Object(m)
    };
    Ok(Value::Array(items(&rows).iter().map(pick).collect()))
}

/// A seeded uniform sample of `n` records, in input order.
pub fn subsample(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let n = ctx.int("n", 0)?.max(0) as usize;
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    Rng::new(ctx.int("seed", 0)?).shuffle(&mut idx);
    idx.truncate(n);
    idx.sort_unstable();
    Ok(Value::Array(idx.into_iter().map(|i| rows[i].clone()).collect()))
}

/// Seeded split: `fraction` of the records to `train`, the rest to `test`, each in input order.
pub fn split(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let fraction = ctx.float("fraction", 0.9)?;
    if !(0.0..=1.0).contains(&fraction) {
        return Err(StageError::Message(format!("`fraction` must be between 0 and 1, found {fraction}")));
    }
    let seed = ctx.int("seed", 0)?;
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    Rng::new(seed).shuffle(&mut idx);
    let cut = (fraction * rows.len() as f64).round() as usize;
    let mut in_train = vec![false; rows.len()];
    idx[..cut].iter().for_each(|i| in_train[*i] = true);
    let (train, test): (Vec<_>, Vec<_>) = rows.iter().zip(&in_train).partition(|(_, t)| **t);
    let strip = |v: Vec<(&Value, &bool)>| Value::Array(v.into_iter().map(|(r, _)| r.clone()).collect());
    let mut m = Map::new();
    m.insert("seed".into(), Value::from(seed));
    m.insert("train".into(), strip(train));
    m.insert("test".into(), strip(test));
    Ok(Value::Object(m))
}

/// The key of a record under `by`, as the text used for hashing and for `Group.key`.
pub fn key_text(ctx: &Ctx, f: &(Val, pipec_compiler::source::Span), row: &Value) -> Result<String, StageError> {
    Ok(match ctx.apply(f, row)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Inner join on equal keys; each output record has the left fields, then the right ones (the
/// right side wins on a name clash), in left order and then right order.
pub fn join(ctx: &Ctx) -> Output {
    let (left, right) = (ctx.rows("left")?, ctx.rows("right")?);
    let (on, right_on) = (ctx.required_function("on")?, ctx.required_function("right_on")?);
    let mut index: HashMap<String, Vec<&Value>> = HashMap::new();
    for r in items(&right) {
        index.entry(key_text(ctx, &right_on, r)?).or_default().push(r);
    }
    let mut out = Vec::new();
    for l in items(&left) {
        for r in index.get(&key_text(ctx, &on, l)?).into_iter().flatten() {
            let mut m = l.as_object().cloned().unwrap_or_default();
            if let Some(rm) = r.as_object() {
                m.extend(rm.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            out.push(Value::Object(m));
        }
    }
    Ok(Value::Array(out))
}

/// One `{key, items}` record per distinct key, in order of first appearance.
pub fn group(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let out = ctx.groups("by", rows)?.into_iter().map(|(k, members)| {
        let mut m = Map::new();
        m.insert("key".into(), Value::String(k));
        m.insert("items".into(), Value::Array(members.iter().map(|&i| rows[i].clone()).collect()));
        Value::Object(m)
    });
    Ok(Value::Array(out.collect()))
}

pub fn declassify(ctx: &Ctx) -> Output {
    Ok(ctx.rows("input")?.as_ref().clone())
}
