//! Work on every record by a few threads at once, each with its own evaluator (verifications
//! and rewards may wait on sandboxes); results come back in input order.

use super::Ctx;
use crate::data::Value;
use crate::eval::Evaluator;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn per_record<T: Send>(ctx: &Ctx, rows: &[Value], workers: usize, f: impl Fn(&Evaluator, &Value) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<T>>> = Mutex::new((0..rows.len()).map(|_| None).collect());
    let workers = workers.clamp(1, rows.len().max(1));
    let evals: Vec<Evaluator> = (0..workers).map(|_| ctx.eval.fork()).collect();
    std::thread::scope(|s| {
        for eval in evals {
            let (next, done, f) = (&next, &done, &f);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= rows.len() {
                        break;
                    }
                    let r = f(&eval, &rows[i]);
                    if let Ok(mut all) = done.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    // Every index below rows.len() was taken by exactly one worker, which stored its result.
    done.into_inner().unwrap_or_default().into_iter().flatten().collect()
}
