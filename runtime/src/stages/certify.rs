//! `certify`: run each task's check (its gold patch) k times; a task is kept only when every run
//! passed. Tasks that failed every run (broken) or only some (flaky) are quarantined: left out,
//! so the node's rows in -> out says how many.

use super::{Ctx, Output, StageError, items};
use crate::data::Value;

pub fn certify(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let check = ctx.required_function("check")?;
    let k = ctx.int("k", 3)?;
    if !(1..=100).contains(&k) {
        return Err(StageError::Message(format!("`k` must be between 1 and 100, found {k}")));
    }
    let mut out = Vec::new();
    for r in items(&rows) {
        let mut passed = 0;
        for _ in 0..k {
            let verdict = ctx.apply(&check, r)?;
            passed += i64::from(verdict.get("passed").and_then(Value::as_bool) == Some(true));
        }
        if passed == k {
            out.push(r.clone());
        }
    }
    Ok(Value::Array(out))
}
