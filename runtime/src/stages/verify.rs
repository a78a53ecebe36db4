//! `verify`: run a verifier on every record and add its `verdict`; records whose verifier said
//! `drop` (for a timeout or an infrastructure error) are removed. Records are verified by up to
//! `sandbox_slots` workers at once, each with its own evaluator; output order is input order. The
//! full output of record i's sandboxed runs goes to `logs/<node>/<i>.log` in the run folder.

use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One record's verification: its verdict (or error) and the full output of its sandbox runs.
type Done = (Result<Value, StageError>, Vec<String>);

pub fn verify(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, span) = ctx.required_function("check")?;
    let check_expr = ctx.node.args.get("check");
    let next = AtomicUsize::new(0);
    let verdicts: Mutex<Vec<Option<Done>>> = Mutex::new((0..rows.len()).map(|_| None).collect());
    let workers = ctx.env.sandbox_slots.clamp(1, rows.len().max(1));
    let evals: Vec<_> = (0..workers).map(|_| ctx.eval.fork()).collect();
    std::thread::scope(|s| {
        for eval in evals {
            let (next, verdicts) = (&next, &verdicts);
            s.spawn(move || {
                let check = match check_expr {
                    Some(pipec_compiler::plan::ArgValue::Expr { ast, .. }) => eval.function(ast),
                    _ => return,
                };
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= rows.len() {
                        break;
                    }
                    let v = match &check {
                        Ok(f) => eval.call(f, vec![rows[i].clone()], span).map_err(StageError::Eval),
                        Err(e) => Err(StageError::Eval(e.clone())),
                    };
                    if let Ok(mut all) = verdicts.lock() {
                        all[i] = Some((v, eval.take_logs()));
                    }
                }
            });
        }
    });
    let mut out = Vec::new();
    let log_dir = ctx.env.outputs.parent().map(|run| run.join("logs").join(ctx.node.id.replace(['#', '/', '[', ']', ','], "_")));
    for (i, (row, done)) in rows.iter().zip(verdicts.into_inner().unwrap_or_default()).enumerate() {
        let (verdict, logs) = done.ok_or_else(|| StageError::Message("a verification did not finish".into()))?;
        if let (Some(dir), false) = (&log_dir, logs.is_empty()) {
            let _ = crate::data::atomic::write_bytes(&dir.join(format!("{i}.log")), &ctx.env.scratch, logs.join("\n--- retry ---\n").as_bytes());
        }
        let verdict = verdict?;
        if verdict.get("dropped").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let mut record = row.clone();
        if let Some(m) = record.as_object_mut() {
            m.insert("verdict".into(), verdict);
        }
        out.push(record);
    }
    Ok(Value::Array(out))
}
