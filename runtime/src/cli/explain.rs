//! `pipec explain RUN_DIR`: for each node of a run, whether it ran or was reused and why; for a run
//! killed before it finished, what its event log shows had finished.

use crate::report::manifest::{Manifest, NodeRecord};
use std::io::Write;
use std::path::Path;

pub fn run(dir: &Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match Manifest::load(dir) {
        Ok(m) => {
            let _ = writeln!(out, "run {} of pipeline `{}` ({}), plan {}", dir.display(), m.pipeline, m.status, &m.plan_hash[..12.min(m.plan_hash.len())]);
            print_nodes(&m.nodes, out);
            0
        }
        Err(e) => match events(dir) {
            Some(nodes) => {
                let _ = writeln!(out, "run {} did not finish (no manifest); {} node(s) finished before it stopped:", dir.display(), nodes.len());
                print_nodes(&nodes, out);
                0
            }
            None => {
                let _ = writeln!(err, "error: {e}");
                2
            }
        },
    }
}

/// The nodes a run folder's event log says finished; `None` when it is not a run folder.
fn events(dir: &Path) -> Option<Vec<NodeRecord>> {
    if !dir.is_dir() {
        return None;
    }
    let text = std::fs::read_to_string(dir.join("logs/events.jsonl")).unwrap_or_default();
    Some(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}

fn print_nodes(nodes: &[NodeRecord], out: &mut dyn Write) {
    let width = nodes.iter().map(|n| n.id.len()).max().unwrap_or(4);
    for n in nodes {
        let why = n.error.as_ref().map_or(n.reason.clone(), |e| format!("{}: {e}", n.reason));
        let _ = writeln!(out, "  {:<9} {:<width$}  {}  ({})", n.status.word(), n.id, why, n.location);
    }
}
