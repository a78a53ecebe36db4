//! The run folder: `runs/<pipeline>-<timestamp>/` with the plan, a manifest (what ran, why, how
//! long), `metrics.jsonl`, `outputs/`, `logs/` and a self-contained HTML report.

pub mod clock;
pub mod html;
pub mod manifest;

use std::path::{Path, PathBuf};

/// Reserve a fresh run folder (`create_dir` is the lock: two runs never share one).
pub fn create_run_dir(runs: &Path, pipeline: &str, stamp: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(runs)?;
    for n in 1.. {
        let name = if n == 1 { format!("{pipeline}-{stamp}") } else { format!("{pipeline}-{stamp}-{n}") };
        let dir = runs.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop only ends by returning")
}

/// The newest earlier run of `pipeline` that finished writing its manifest.
pub fn previous_run(runs: &Path, pipeline: &str, except: &Path) -> Option<PathBuf> {
    let prefix = format!("{pipeline}-");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(runs)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != except && p.join("manifest.json").is_file())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n[prefix.len()..].starts_with(|c: char| c.is_ascii_digit())))
        .collect();
    dirs.sort_by_key(|p| std::fs::metadata(p.join("manifest.json")).and_then(|m| m.modified()).ok());
    dirs.pop()
}
