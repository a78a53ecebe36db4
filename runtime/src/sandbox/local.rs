//! The local backend: each verification in a fresh temporary folder (container paths are mapped
//! under it), the command under `sh -c` with a cleared environment, an address-space limit and a
//! timeout after which its whole process group is killed. It is not a security boundary: there is
//! no pids limit (root ignores RLIMIT_NPROC), no network isolation, and `mount` only sets file
//! mode 0444 (root and `patch` ignore it); use Docker for untrusted code.

use super::{Infra, Outcome, Spec, Step, unique};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::Command;

pub async fn run(spec: &Spec, steps: &[Step], env: &[(String, String)]) -> Result<Outcome, Infra> {
    let root = folder()?;
    let result = run_steps(&root, spec, steps, env).await;
    let _ = std::fs::remove_dir_all(&root);
    result
}

/// A fresh sandbox folder.
pub(super) fn folder() -> Result<PathBuf, Infra> {
    let root = std::env::temp_dir().join(format!("pipec-sandbox-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&root).map_err(|e| Infra(format!("cannot make a sandbox folder: {e}")))?;
    Ok(root)
}

/// A container path (`/repo`) inside the sandbox folder.
fn inside(root: &Path, p: &str) -> PathBuf {
    root.join(p.trim_start_matches('/'))
}

pub(super) async fn run_steps(root: &Path, spec: &Spec, steps: &[Step], env: &[(String, String)]) -> Result<Outcome, Infra> {
    let mut last = Outcome::default();
    let started = Instant::now();
    for (i, step) in steps.iter().enumerate() {
        let left = spec.timeout_ms.saturating_sub(started.elapsed().as_millis() as u64);
        last = match step {
            Step::Copy { files, to } => {
                place(&inside(root, to), files, false)?;
                continue;
            }
            Step::Mount { files, at } => {
                place(&inside(root, at), files, true)?;
                continue;
            }
            Step::Apply { patch, at } => {
                std::fs::write(root.join("pipec.patch"), patch).map_err(|e| Infra(e.to_string()))?;
                let mut o = exec(root, &format!("patch -p1 -i '{}'", root.join("pipec.patch").display()), at, left.min(60_000), spec, env).await?;
                if o.exit != 0 {
                    o.failed_at = Some("apply");
                }
                o
            }
            Step::Run { cmd, at, timeout_ms } => exec(root, cmd, at, (*timeout_ms).min(left), spec, env).await?,
        };
        last.step = i;
        if last.exit != 0 || last.timed_out {
            last.failed_at = last.failed_at.or(Some("run"));
            break;
        }
    }
    Ok(last)
}

/// Write `files` under `dir`; `readonly` files get mode 0444 (advisory: root and `patch` ignore it).
fn place(dir: &Path, files: &[(String, Vec<u8>)], readonly: bool) -> Result<(), Infra> {
    for (rel, bytes) in files {
        let path = dir.join(rel);
        path.parent().map(std::fs::create_dir_all);
        std::fs::write(&path, bytes).map_err(|e| Infra(format!("cannot place {} in the sandbox: {e}", path.display())))?;
        if readonly {
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o444)).map_err(|e| Infra(e.to_string()))?;
        }
    }
    Ok(())
}

async fn exec(root: &Path, cmd: &str, at: &str, timeout_ms: u64, spec: &Spec, env: &[(String, String)]) -> Result<Outcome, Infra> {
    let dir = inside(root, at);
    std::fs::create_dir_all(&dir).map_err(|e| Infra(e.to_string()))?;
    let kib = (spec.memory_bytes / 1024).max(1);
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!("ulimit -v {kib} 2>/dev/null; exec sh -c \"$0\"", )).arg(cmd).current_dir(&dir).env_clear().envs(env.iter().cloned()).env("SANDBOX", root).process_group(0).kill_on_drop(true);
    let start = Instant::now();
    let child = c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().map_err(|e| Infra(format!("cannot start `sh`: {e}")))?;
    let pid = child.id();
    match tokio::time::timeout(Duration::from_millis(timeout_ms), child.wait_with_output()).await {
        Ok(Ok(out)) => Ok(Outcome {
            exit: out.status.code().map_or(137, i64::from),
            timed_out: false,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            duration_ms: start.elapsed().as_millis() as u64,
            step: 0,
            failed_at: None,
        }),
        Ok(Err(e)) => Err(Infra(format!("lost the command: {e}"))),
        Err(_) => {
            // The whole process group. `--` matters: procps-ng reads `kill -KILL -12345` as
            // kill(-1, SIGKILL) — every process on the machine.
            if let Some(p) = pid.filter(|p| *p > 1) {
                let _ = std::process::Command::new("kill").args(["-s", "KILL", "--", &format!("-{p}")]).status();
            }
            Ok(Outcome { exit: 137, timed_out: true, duration_ms: timeout_ms, stderr: format!("killed after {timeout_ms} ms"), ..Outcome::default() })
        }
    }
}
