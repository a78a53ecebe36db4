//! JSON Lines: a streaming reader that validates each line against the element type (errors name
//! file, line and field) and an atomic writer with one canonical line per record.

use super::validate::conform;
use super::{DataError, Value, atomic};
use pipec_compiler::plan::DataTy;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

/// At most this many bad lines are listed in one error; the rest are counted.
pub const MAX_REPORTED: usize = 5;

/// Every bad line found (up to `MAX_REPORTED`) and how many there were in all.
#[derive(Debug)]
pub struct ReadErrors {
    pub errors: Vec<DataError>,
    pub total: usize,
}

/// Read `path` line by line; each non-blank line must be a JSON value of type `elem`.
/// `display` is the name used in messages.
pub fn read(path: &Path, display: &str, elem: &DataTy) -> Result<Vec<Value>, ReadErrors> {
    let file = std::fs::File::open(path).map_err(|e| one(display, 0, "", "a readable file", &e.to_string()))?;
    let mut rows = Vec::new();
    let mut bad = ReadErrors { errors: vec![], total: 0 };
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line_no = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => return Err(one(display, line_no, "", "UTF-8 text", &e.to_string())),
        };
        if line.trim().is_empty() {
            continue;
        }
        let err = match serde_json::from_str::<Value>(&line) {
            Ok(mut v) => match conform(&mut v, elem) {
                Ok(()) => {
                    rows.push(v);
                    continue;
                }
                Err(m) => DataError { file: display.into(), line: line_no, field: m.path, expected: m.expected, found: m.found },
            },
            Err(e) => DataError { file: display.into(), line: line_no, field: String::new(), expected: "one JSON value per line".into(), found: format!("invalid JSON ({e})") },
        };
        bad.total += 1;
        if bad.errors.len() < MAX_REPORTED {
            bad.errors.push(err);
        }
    }
    if bad.total > 0 { Err(bad) } else { Ok(rows) }
}

fn one(file: &str, line: usize, field: &str, expected: &str, found: &str) -> ReadErrors {
    ReadErrors { errors: vec![DataError { file: file.into(), line, field: field.into(), expected: expected.into(), found: found.into() }], total: 1 }
}

/// Write records as JSON Lines, atomically.
pub fn write(path: &Path, scratch: &Path, rows: &[Value]) -> io::Result<()> {
    atomic::write_atomic(path, scratch, |w| write_to(w, rows))
}

/// One compact JSON document per line, in record field order.
pub fn write_to(w: &mut impl Write, rows: &[Value]) -> io::Result<()> {
    for r in rows {
        serde_json::to_writer(&mut *w, r)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
