//! `pipec check FILE...`: diagnostics for people or editors; exit 1 on errors.

use super::MessageFormat;
use std::io::Write;
use std::path::PathBuf;

pub fn run(files: &[PathBuf], format: MessageFormat, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let compiled = match super::compile_files(files) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    match format {
        MessageFormat::Json => {
            let v = crate::render::diagnostics_to_json(&compiled.sources, &compiled.diagnostics);
            let _ = writeln!(out, "{v}");
        }
        MessageFormat::Human => {
            let _ = write!(err, "{}", crate::render::diagnostics_to_text(&compiled.sources, &compiled.diagnostics));
            if !compiled.has_errors() {
                let n = compiled.plan.as_ref().map_or(0, |p| p.pipelines.len());
                let _ = writeln!(err, "ok: {} file{} checked, {n} pipeline{}", files.len(), if files.len() == 1 { "" } else { "s" }, if n == 1 { "" } else { "s" });
            }
        }
    }
    i32::from(compiled.has_errors())
}
