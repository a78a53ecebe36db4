//! Why a node ran: compare its key parts with the same node in the previous run's manifest and
//! name what changed (definition, an input, a file), so `pipec explain` can say it in words.

use crate::cache::KeyParts;
use crate::report::manifest::Manifest;

pub fn why_ran(fresh: bool, previous: Option<(&str, &Manifest)>, id: &str, parts: &KeyParts) -> String {
    if fresh {
        return "ran: --fresh ignores the cache".into();
    }
    let Some((run, prev)) = previous else { return "ran: first run of this pipeline (nothing cached)".into() };
    let Some(old) = prev.node(id).and_then(|n| n.parts.as_ref()) else { return format!("ran: new node since run {run}") };
    let mut changed = Vec::new();
    if old.definition != parts.definition {
        changed.push("its definition".to_string());
    }
    let inputs: Vec<String> = parts.inputs.iter().filter(|(k, v)| old.inputs.get(*k) != Some(v)).map(|(k, _)| format!("input `{k}`")).collect();
    changed.extend(inputs);
    changed.extend(parts.files.iter().filter(|(k, v)| old.files.get(*k) != Some(v)).map(|(k, _)| if k.starts_with("image ") { k.clone() } else { format!("file {k}") }));
    if changed.is_empty() {
        format!("ran: same key as in run {run} but no cache entry (that run did not finish this node, or the cache was cleared)")
    } else {
        format!("ran: {} changed since run {run}", changed.join(", "))
    }
}
