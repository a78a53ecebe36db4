//! Atomic file writes: write a temporary file in a scratch folder on the same file system, flush
//! it to disk, then rename it into place, so a reader (or a killed run) never sees a partial file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Write `path` through `body`; the bytes appear at `path` all at once or not at all. `scratch` must
/// be on the same file system as `path` and is where an interrupted write leaves its debris.
pub fn write_atomic(path: &Path, scratch: &Path, body: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>) -> io::Result<()> {
    std::fs::create_dir_all(scratch)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let name = path.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = scratch.join(format!("{name}.{}.{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| {
        let mut w = BufWriter::new(File::create(&tmp)?);
        body(&mut w)?;
        w.flush()?;
        w.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `write_atomic` for bytes already in memory.
pub fn write_bytes(path: &Path, scratch: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, scratch, |w| w.write_all(bytes))
}
