//! The one integration test binary: ui fixtures, Plan snapshots, formatter round-trips, the CLI,
//! a no-panic property test, and tidy rules tying codes, pages and fixtures together.
//! Set `PIPEC_BLESS=1` to rewrite expected files after an intended change.

mod cli;
mod fmt;
mod fuzz;
mod plan;
mod tidy;
mod ui;

use pipec_compiler::source::SourceLoader;
use std::path::{Path, PathBuf};

/// The workspace root: fixtures are named relative to it so expected output is stable.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// Reads imports relative to the workspace root.
pub struct RootLoader;

impl SourceLoader for RootLoader {
    fn load(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(root().join(path)).map_err(|e| e.to_string())
    }
}

pub fn compile_file(rel: &str) -> pipec_compiler::Compiled {
    let text = std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    pipec_compiler::compile(&[(rel.to_string(), text)], &RootLoader)
}

/// Compare `actual` with the expected file, or rewrite it under `PIPEC_BLESS=1`.
pub fn expect_file(rel: &str, actual: &str) {
    let path = root().join(rel);
    if std::env::var_os("PIPEC_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{rel}: {e}"));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(expected == actual, "{rel} differs (rerun with PIPEC_BLESS=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}");
}

pub fn files_with_ext(dir: &str, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(ext))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    v.sort();
    v
}
