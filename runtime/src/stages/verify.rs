//! `verify`: run a verifier on every record and add its `verdict`; records whose verifier said
//! `drop` (for a timeout or an infrastructure error) are removed.

use super::{Ctx, Output, items};
use crate::data::Value;

pub fn verify(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let check = ctx.required_function("check")?;
    let mut out = Vec::new();
    for r in items(&rows) {
        let verdict = ctx.apply(&check, r)?;
        if verdict.get("dropped").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let mut record = r.clone();
        if let Some(m) = record.as_object_mut() {
            m.insert("verdict".into(), verdict);
        }
        out.push(record);
    }
    Ok(Value::Array(out))
}
