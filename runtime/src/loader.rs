//! The file-system `SourceLoader` and reading of entry files.

use pipec_compiler::source::SourceLoader;

pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn load(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// Read the files named on the command line as `(display name, text)`.
pub fn read_entries(paths: &[std::path::PathBuf]) -> Result<Vec<(String, String)>, String> {
    paths
        .iter()
        .map(|p| {
            let name = p.to_string_lossy().replace('\\', "/");
            std::fs::read_to_string(p).map(|t| (name.clone(), t)).map_err(|e| format!("cannot read {name}: {e}"))
        })
        .collect()
}
