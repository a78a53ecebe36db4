//! `pipec fmt [--check] FILE...`: canonical formatting, written atomically.

use std::io::Write;
use std::path::PathBuf;

pub fn run(files: &[PathBuf], check: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut code = 0;
    for path in files {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: cannot read {name}: {e}");
                code = 2;
                continue;
            }
        };
        let formatted = match pipec_compiler::fmt::format_source(&name, &text) {
            Ok(f) => f,
            Err((sources, diags)) => {
                let _ = write!(err, "{}", crate::render::diagnostics_to_text(&sources, &diags));
                code = 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if check {
            let _ = writeln!(out, "would reformat {name}");
            code = code.max(1);
        } else if let Err(e) = write_atomic(path, &formatted) {
            let _ = writeln!(err, "error: cannot write {name}: {e}");
            code = 2;
        } else {
            let _ = writeln!(out, "formatted {name}");
        }
    }
    code
}

fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("pipe.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
