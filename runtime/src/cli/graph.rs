//! `pipec graph FILE [--pipeline NAME] --format dot|mermaid|json`: the Plan's DAG.

use super::GraphFormat;
use pipec_compiler::plan::render;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(file: &Path, pipeline: Option<&str>, format: GraphFormat, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let compiled = match super::compile_files(&[PathBuf::from(file)]) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let _ = write!(err, "{}", crate::render::diagnostics_to_text(&compiled.sources, &compiled.diagnostics));
    let Some(plan) = compiled.plan else { return 1 };
    let chosen: Vec<_> = plan.pipelines.iter().filter(|p| pipeline.is_none_or(|n| p.name == n)).collect();
    if chosen.is_empty() {
        let names: Vec<&str> = plan.pipelines.iter().map(|p| p.name.as_str()).collect();
        let _ = writeln!(err, "error: no pipeline `{}` in {}; pipelines: {}", pipeline.unwrap_or(""), file.display(), names.join(", "));
        return 1;
    }
    let text = match format {
        GraphFormat::Dot => render::plans_to_dot(&chosen),
        GraphFormat::Mermaid => render::plans_to_mermaid(&chosen),
        GraphFormat::Json => {
            let mut p = plan.clone();
            p.pipelines.retain(|x| chosen.iter().any(|c| c.name == x.name));
            p.to_json() + "\n"
        }
    };
    let _ = write!(out, "{text}");
    0
}
