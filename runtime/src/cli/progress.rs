//! Progress for `pipec run`: on a terminal an indicatif bar (nodes done, rate) with one line per
//! finished node above it; elsewhere (CI, pipes) the same lines on stderr; nothing with `--quiet`.

use crate::report::manifest::{NodeRecord, Status};
use crate::scheduler::run::Observer;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pipec_compiler::plan::Node;
use std::io::IsTerminal;

pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    pub fn new(total: usize, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} nodes  {per_sec}  {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()));
            bar
        });
        Progress { bar, quiet }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `  ran      unique     dedup     4 → 3 rows   0.4 ms   9.1k rows/s`
pub fn line(r: &NodeRecord) -> String {
    let rows = r.rows_out.map_or(String::new(), |o| format!("{} → {o} rows", r.rows_in));
    let rate = if r.status == Status::Ran && r.duration_ms > 0.0 && r.rows_in > 0 { format!("  {}/s", human(r.rows_in as f64 * 1e3 / r.duration_ms)) } else { String::new() };
    let tail = match (&r.error, r.status) {
        (Some(e), _) => format!("  {e}"),
        (None, Status::Cancelled) => format!("  {}", r.reason),
        _ => String::new(),
    };
    format!("  {:<9} {:<24} {:<12} {:<18} {:>8.1} ms{rate}{tail}", r.status.word(), r.id, r.builtin, rows, r.duration_ms)
}

fn human(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{:.1}M rows", x / 1e6),
        x if x >= 1e3 => format!("{:.1}k rows", x / 1e3),
        x => format!("{x:.0} rows"),
    }
}

impl Observer for Progress {
    fn started(&self, node: &Node) {
        if let Some(b) = &self.bar {
            b.set_message(format!("running {}", node.id));
        }
    }

    fn finished(&self, record: &NodeRecord) {
        match &self.bar {
            Some(b) => {
                b.println(line(record));
                b.inc(1);
            }
            None if !self.quiet => eprintln!("{}", line(record)),
            None => {}
        }
    }
}
