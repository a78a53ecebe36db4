//! `verify`: run a verifier on every record and add its `verdict`; records whose verifier said
//! `drop` (for a timeout or an infrastructure error) are removed. Records are verified by up to
//! `sandbox_slots` workers at once (`per_record`); output order is input order. The
//! full output of record i's sandboxed runs goes to `logs/<node>/<i>.log` in the run folder.

use super::per_record::per_record;
use super::{Ctx, Output, StageError, items, with_field};
use crate::data::Value;

/// One record's verification: its verdict (or error) and the full output of its sandbox runs.
type Done = (Result<Value, StageError>, Vec<String>);

pub fn verify(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, span) = ctx.required_function("check")?;
    let check_expr = ctx.expr("check");
    let verdicts: Vec<Done> = per_record(ctx, rows, ctx.env.sandbox_slots, |eval, row| {
        let verdict = match check_expr.map(|e| eval.function(e)) {
            Some(Ok(f)) => eval.call(&f, vec![row.clone()], span).map_err(StageError::Eval),
            Some(Err(e)) => Err(StageError::Eval(e)),
            None => Err(StageError::Message("argument `check` is missing".into())),
        };
        (verdict, eval.take_logs())
    });
    let mut out = Vec::new();
    let log_dir = ctx.log_dir();
    for (i, (row, (verdict, logs))) in rows.iter().zip(verdicts).enumerate() {
        if let (Some(dir), false) = (&log_dir, logs.is_empty()) {
            let _ = crate::data::atomic::write_bytes(&dir.join(format!("{i}.log")), &ctx.env.scratch, logs.join("\n--- retry ---\n").as_bytes());
        }
        let verdict = verdict?;
        if verdict.get("dropped").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        out.push(with_field(row, "verdict", verdict));
    }
    Ok(Value::Array(out))
}
