//! The Docker backend through bollard: containers created with the spec's limits (memory, cpus,
//! pids, network off unless asked, the `pipec` label and our pid), files copied in as tar,
//! commands run with `exec` under a timeout. A warm container is reused for the next verification
//! of the same spec after a reset (every process but init killed, /work and /tmp emptied, copy
//! targets removed); one that timed out, was OOM-killed or fails its reset is removed instead.
//! `mount` targets are host folders (under the temp dir, one per container) bind-mounted `:ro`,
//! refilled from the host before each verification, so the engine must share this filesystem.
//! `reap` removes containers (and mount folders) left by pipec processes that no longer exist.

use super::{Infra, Kind, LABEL, Outcome, Spec, Step, unique};
use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptions, ListContainersOptions, RemoveContainerOptions, UploadToContainerOptions};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A container this process made, with the host folders bind-mounted read-only into it.
pub struct Container {
    id: String,
    /// The host folder holding this container's mount folders.
    host: Option<PathBuf>,
    /// Container path -> host folder.
    mounts: HashMap<String, PathBuf>,
}

/// Idle warm containers by spec.
#[derive(Default)]
pub struct Pool {
    idle: std::sync::Mutex<HashMap<String, Vec<Container>>>,
    /// `PIPEC_SANDBOX_POOL=0` turns reuse off (a fresh container per verification), for comparison.
    disabled: bool,
}

impl Pool {
    pub fn new() -> Pool {
        Pool { disabled: std::env::var("PIPEC_SANDBOX_POOL").is_ok_and(|v| v == "0"), ..Default::default() }
    }

    fn take(&self, key: &str) -> Option<Container> {
        self.idle.lock().ok()?.get_mut(key)?.pop()
    }

    fn put(&self, key: String, c: Container) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.entry(key).or_default().push(c);
        }
    }

    /// Remove every idle container (at the end of a run).
    pub async fn drain(&self, d: &Docker) {
        let all: Vec<Container> = self.idle.lock().map(|mut m| m.drain().flat_map(|(_, v)| v).collect()).unwrap_or_default();
        for c in all {
            remove(d, &c).await;
        }
    }
}

/// The read-only mount targets of `steps`: containers are made with them, so they key the pool.
fn mount_targets(steps: &[Step]) -> Vec<String> {
    let mut targets: Vec<String> = steps.iter().filter_map(|s| if let Step::Mount { at, .. } = s { Some(at.clone()) } else { None }).collect();
    targets.sort();
    targets.dedup();
    targets
}

fn pool_key(spec: &Spec, mounts: &[String]) -> String {
    format!("{:?}|{}|{mounts:?}", spec.kind, spec.memory_bytes)
}

/// Where containers' mount folders live on the host: `<temp>/pipec-mounts/<pid>-<n>/<i>`.
fn mounts_root() -> PathBuf {
    std::env::temp_dir().join("pipec-mounts")
}

pub async fn run(d: &Docker, pool: &Pool, spec: &Spec, steps: &[Step], env: &[(String, String)]) -> Result<Outcome, Infra> {
    let targets = mount_targets(steps);
    let key = pool_key(spec, &targets);
    let c = match pool.take(&key) {
        Some(c) => c,
        None => create(d, spec, &targets).await?,
    };
    let result = tokio::time::timeout(Duration::from_millis(spec.timeout_ms), run_steps(d, &c, steps, env)).await;
    let healthy = matches!(&result, Ok(Ok(o)) if !o.timed_out && o.exit != 137);
    if healthy && !pool.disabled && reset(d, &c.id, steps, env).await {
        pool.put(key, c);
    } else {
        remove(d, &c).await;
    }
    match result {
        Ok(r) => r,
        Err(_) => Ok(Outcome { exit: 137, timed_out: true, duration_ms: spec.timeout_ms, step: steps.len().saturating_sub(1), stderr: format!("the sandbox's timeout of {} ms passed", spec.timeout_ms), ..Outcome::default() }),
    }
}

pub(super) async fn create(d: &Docker, spec: &Spec, targets: &[String]) -> Result<Container, Infra> {
    let Kind::Docker { image, network, cpus, pids } = &spec.kind else { return Err(Infra("not a Docker sandbox".into())) };
    let mut c = Container { id: String::new(), host: None, mounts: HashMap::new() };
    if !targets.is_empty() {
        let host = mounts_root().join(format!("{}-{}", std::process::id(), unique()));
        for (i, target) in targets.iter().enumerate() {
            let dir = host.join(i.to_string());
            std::fs::create_dir_all(&dir).map_err(|e| Infra(format!("cannot make a mount folder {}: {e}", dir.display())))?;
            c.mounts.insert(target.clone(), dir);
        }
        c.host = Some(host);
    }
    let binds: Vec<String> = c.mounts.iter().map(|(target, dir)| format!("{}:{target}:ro", dir.display())).collect();
    let labels = HashMap::from([(LABEL.to_string(), "1".to_string()), (format!("{LABEL}.pid"), std::process::id().to_string())]);
    let host = HostConfig {
        memory: Some(spec.memory_bytes),
        memory_swap: Some(spec.memory_bytes),
        nano_cpus: Some((cpus * 1e9) as i64),
        pids_limit: Some(*pids),
        network_mode: Some(network.clone()),
        binds: (!binds.is_empty()).then_some(binds),
        // If pipec is killed, the container still ends when its keep-alive does, and goes away.
        auto_remove: Some(true),
        ..Default::default()
    };
    let keep_alive = (spec.timeout_ms / 1000 + 30).to_string();
    let body = ContainerCreateBody { image: Some(image.clone()), cmd: Some(vec!["sleep".into(), keep_alive]), labels: Some(labels), host_config: Some(host), ..Default::default() };
    let created = match d.create_container(None::<CreateContainerOptions>, body).await {
        Ok(created) => created,
        Err(e) => {
            remove(d, &c).await;
            return Err(Infra(format!("cannot create a container from `{image}`: {e}")));
        }
    };
    c.id = created.id;
    if let Err(e) = d.start_container(&c.id, None).await {
        remove(d, &c).await;
        return Err(Infra(format!("cannot start a container from `{image}`: {e}")));
    }
    Ok(c)
}

pub(super) async fn remove(d: &Docker, c: &Container) {
    if !c.id.is_empty() {
        remove_id(d, &c.id).await;
    }
    if let Some(host) = &c.host {
        let _ = std::fs::remove_dir_all(host);
    }
}

async fn remove_id(d: &Docker, id: &str) {
    let _ = d.remove_container(id, Some(RemoveContainerOptions { force: true, v: true, ..Default::default() })).await;
}

/// Remove containers labelled by pipec processes that are gone (killed runs leave them), and ours
/// too when `ours`; returns how many were removed.
pub async fn reap(d: &Docker, ours: bool) -> usize {
    let gone = |pid: Option<u32>| !pid.is_some_and(|p| if p == std::process::id() { !ours } else { std::path::Path::new(&format!("/proc/{p}")).exists() });
    let filters = HashMap::from([("label".to_string(), vec![LABEL.to_string()])]);
    let list = d.list_containers(Some(ListContainersOptions { all: true, filters: Some(filters), ..Default::default() })).await.unwrap_or_default();
    let mut removed = 0;
    for c in list {
        let pid = c.labels.as_ref().and_then(|l| l.get(&format!("{LABEL}.pid"))).and_then(|p| p.parse::<u32>().ok());
        if let (true, Some(id)) = (gone(pid), c.id) {
            remove_id(d, &id).await;
            removed += 1;
        }
    }
    // Mount folders are named `<pid>-<n>`.
    for entry in std::fs::read_dir(mounts_root()).into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().split('-').next().and_then(|p| p.parse::<u32>().ok());
        if gone(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    removed
}

/// Make a used container like new: kill every process but init, empty /work and /tmp, remove
/// what was copied in. Returns whether it worked.
async fn reset(d: &Docker, id: &str, steps: &[Step], env: &[(String, String)]) -> bool {
    let mut dirs = vec!["/work".to_string()];
    dirs.extend(steps.iter().filter_map(|s| match s {
        Step::Copy { to, .. } => Some(to.clone()),
        _ => None,
    }));
    let quoted: Vec<String> = dirs.iter().map(|d| format!("'{}'", d.replace('\'', ""))).collect();
    let cmd = format!("kill -9 -1 2>/dev/null; rm -rf {} /tmp/* /tmp/.[!.]* 2>/dev/null; mkdir -p /work", quoted.join(" "));
    matches!(exec_argv(d, id, vec!["sh".into(), "-c".into(), cmd], "/", 10_000, env).await, Ok(o) if o.exit == 0)
}

pub(super) async fn run_steps(d: &Docker, c: &Container, steps: &[Step], env: &[(String, String)]) -> Result<Outcome, Infra> {
    let id = c.id.as_str();
    let mut last = Outcome::default();
    for (i, step) in steps.iter().enumerate() {
        last = match step {
            Step::Mount { files, at } => {
                let dir = c.mounts.get(at).ok_or_else(|| Infra(format!("no mount at {at} in this container")))?;
                refill(dir, files).map_err(|e| Infra(format!("cannot fill the mount folder {}: {e}", dir.display())))?;
                continue;
            }
            Step::Copy { files, to } => {
                // Paths inside the archive carry the target folder, so no `mkdir` exec is needed.
                let prefix = to.trim_matches('/');
                let rooted: Vec<(String, Vec<u8>)> = files.iter().map(|(p, b)| (format!("{prefix}/{p}"), b.clone())).collect();
                upload(d, id, "/", &rooted).await?;
                continue;
            }
            Step::Apply { patch, at } => {
                upload(d, id, "/", &[("tmp/pipec.patch".into(), patch.as_bytes().to_vec())]).await?;
                let mut o = exec(d, id, "patch -p1 -i /tmp/pipec.patch", at, 60_000, env).await?;
                if o.exit != 0 {
                    o.failed_at = Some("apply");
                }
                o
            }
            Step::Run { cmd, at, timeout_ms } => exec(d, id, cmd, at, *timeout_ms, env).await?,
        };
        last.step = i;
        if last.exit != 0 || last.timed_out {
            last.failed_at = last.failed_at.or(Some("run"));
            break;
        }
    }
    Ok(last)
}

/// Replace what a host mount folder holds with `files`.
fn refill(dir: &std::path::Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() { std::fs::remove_dir_all(&path)? } else { std::fs::remove_file(&path)? }
    }
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
    }
    Ok(())
}

async fn upload(d: &Docker, id: &str, to: &str, files: &[(String, Vec<u8>)]) -> Result<(), Infra> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o755);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, path, bytes.as_slice()).map_err(|e| Infra(e.to_string()))?;
    }
    let tar = builder.into_inner().map_err(|e| Infra(e.to_string()))?;
    let opts = UploadToContainerOptions { path: to.to_string(), ..Default::default() };
    d.upload_to_container(id, Some(opts), bollard::body_full(bytes::Bytes::from(tar))).await.map_err(|e| Infra(format!("cannot copy files to {to}: {e}")))
}

/// Run one shell command with a hard timeout (`timeout -s KILL` inside, a deadline outside).
async fn exec(d: &Docker, id: &str, cmd: &str, at: &str, timeout_ms: u64, env: &[(String, String)]) -> Result<Outcome, Infra> {
    let secs = timeout_ms.div_ceil(1000).max(1).to_string();
    exec_argv(d, id, vec!["timeout".to_string(), "-s".into(), "KILL".into(), secs, "sh".into(), "-c".into(), cmd.to_string()], at, timeout_ms, env).await
}

async fn exec_argv(d: &Docker, id: &str, argv: Vec<String>, at: &str, timeout_ms: u64, env: &[(String, String)]) -> Result<Outcome, Infra> {
    let opts = CreateExecOptions {
        cmd: Some(argv),
        env: Some(env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        working_dir: Some(at.to_string()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let start = Instant::now();
    let created = d.create_exec(id, opts).await.map_err(|e| Infra(format!("cannot run in the container: {e}")))?;
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let StartExecResults::Attached { mut output, .. } = d.start_exec(&created.id, None).await.map_err(|e| Infra(format!("cannot run in the container: {e}")))? {
        let deadline = Duration::from_millis(timeout_ms + 5_000);
        let _ = tokio::time::timeout(deadline, async {
            while let Some(Ok(chunk)) = output.next().await {
                match chunk {
                    bollard::container::LogOutput::StdErr { message } => stderr.push_str(&String::from_utf8_lossy(&message)),
                    other => stdout.push_str(&String::from_utf8_lossy(&other.into_bytes())),
                }
            }
        })
        .await;
    }
    let elapsed = start.elapsed().as_millis() as u64;
    let inspect = d.inspect_exec(&created.id).await.map_err(|e| Infra(format!("lost the command's exit status: {e}")))?;
    let exit = inspect.exit_code.unwrap_or(137);
    let timed_out = elapsed + 50 >= timeout_ms && matches!(exit, 124 | 137);
    Ok(Outcome { exit, timed_out, stdout, stderr, duration_ms: elapsed, step: 0, failed_at: None })
}
