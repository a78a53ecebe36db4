//! `pipec sandbox build NAME`: build a base image from Debian packages (no registry needed);
//! `pipec sandbox reap`: remove containers left by killed pipec processes.

use std::io::Write;

pub fn build(name: &str, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match crate::sandbox::images::build(name) {
        Ok(text) => {
            let _ = write!(out, "{text}");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

pub fn reap(out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match crate::sandbox::Client::new(crate::sandbox::Mode::Docker).map_err(crate::sandbox::Infra).and_then(|c| c.reap()) {
        Ok(n) => {
            let _ = writeln!(out, "removed {n} leftover container(s)");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {}", e.0);
            1
        }
    }
}
