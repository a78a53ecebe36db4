//! Sandboxes: where a verifier's commands run. A `Spec` (from a `sandbox` declaration) + steps
//! (copy, apply a patch, run) -> an `Outcome` (exit code, output, timing) or an infrastructure
//! error, which is never a verdict by itself. Two backends: Docker through bollard, and a local
//! subprocess in a fresh temporary folder. Every run gets the same deterministic environment.

mod docker;
pub mod images;
mod local;

use std::sync::OnceLock;

/// Label on every container pipec creates, so leftovers can always be found and reaped.
pub const LABEL: &str = "pipec";

/// The environment every sandboxed command starts with (nothing else leaks in).
pub fn deterministic_env(seed: i64) -> Vec<(String, String)> {
    [("TZ", "UTC".to_string()), ("LC_ALL", "C".into()), ("LANG", "C".into()), ("PYTHONHASHSEED", "0".into()), ("PIPEC_SEED", seed.to_string()), ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()), ("HOME", "/tmp".into())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Docker { image: String, network: String, cpus: f64, pids: i64 },
    Local,
}

/// A sandbox as declared: `docker(image: ..., memory: 2GiB, timeout: 10m)` or `local(...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub kind: Kind,
    pub memory_bytes: i64,
    /// The longest the whole verification may take.
    pub timeout_ms: u64,
}

/// One thing a verifier does inside its sandbox.
#[derive(Debug, Clone)]
pub enum Step {
    /// Files (path relative to `to`, contents) placed under `to`.
    Copy { files: Vec<(String, Vec<u8>)>, to: String },
    /// Files (path relative to `at`) visible read-only under `at`: test files a patch must not
    /// change. Docker bind-mounts a host folder with `:ro`; the local backend only sets mode 0444.
    Mount { files: Vec<(String, Vec<u8>)>, at: String },
    /// A unified diff applied with `patch -p1` in `at`.
    Apply { patch: String, at: String },
    Run { cmd: String, at: String, timeout_ms: u64 },
}

/// What the sandbox saw. `step` is the index of the step that ended the run (the last one, or the
/// first that failed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub exit: i64,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: u64,
    pub step: usize,
    /// `apply` when a patch did not apply, `run` otherwise.
    pub failed_at: Option<&'static str>,
}

/// The sandbox could not do its job (no engine, no image, a dead container): not the code's fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Infra(pub String);

/// Which backend `docker(...)` sandboxes use (`--sandbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Docker when an engine answers; otherwise local subprocesses, said once.
    Auto,
    Docker,
    Local,
}

/// Runs steps in sandboxes; owns the Docker connection and an async runtime for it, so blocking
/// callers (executors on worker threads) can use it.
pub struct Client {
    runtime: crate::blocking::OwnedRuntime,
    docker: OnceLock<Result<bollard::Docker, String>>,
    mode: Mode,
    /// Set once `auto` has fallen back to local subprocesses.
    fell_back: std::sync::atomic::AtomicBool,
    pool: docker::Pool,
    /// Set by `abort`: no new sandbox starts.
    aborted: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sandbox::Client")
    }
}

impl Client {
    pub fn new(mode: Mode) -> Result<Client, String> {
        Ok(Client { runtime: crate::blocking::OwnedRuntime::new()?, docker: OnceLock::new(), mode, fell_back: Default::default(), pool: docker::Pool::new(), aborted: Default::default() })
    }

    /// Whether `docker(...)` sandboxes run as local subprocesses here.
    fn docker_as_local(&self) -> bool {
        match self.mode {
            Mode::Local => true,
            Mode::Docker => false,
            Mode::Auto => match self.docker() {
                Ok(_) => false,
                Err(Infra(why)) => {
                    if !self.fell_back.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        eprintln!("note: {why}; sandboxes run as local subprocesses, without pids or network isolation (--sandbox docker to require the engine)");
                    }
                    true
                }
            },
        }
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    fn docker(&self) -> Result<&bollard::Docker, Infra> {
        let d = self.docker.get_or_init(|| {
            let d = bollard::Docker::connect_with_local_defaults().map_err(|e| format!("cannot reach the Docker engine: {e}"))?;
            self.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(5), d.ping()).await })
                .map_err(|_| "the Docker engine did not answer within 5 s".to_string())?
                .map_err(|e| format!("the Docker engine did not answer: {e}"))?;
            self.block_on(docker::reap(&d, false));
            Ok(d)
        });
        d.as_ref().map_err(|e| Infra(e.clone()))
    }

    /// Run `steps` in a fresh sandbox of `spec` (blocking); the sandbox is always removed.
    pub fn run(&self, spec: &Spec, steps: &[Step], env: &[(String, String)]) -> Result<Outcome, Infra> {
        if self.aborted.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Infra("interrupted".into()));
        }
        match &spec.kind {
            Kind::Docker { .. } if !self.docker_as_local() => {
                let d = self.docker()?.clone();
                self.block_on(docker::run(&d, &self.pool, spec, steps, env))
            }
            _ => self.block_on(local::run(spec, steps, env)),
        }
    }

    /// A fresh sandbox of `spec` kept for a sequence of `Session::run` calls (an agent's episode),
    /// after `setup` ran in it; removed when the session is dropped. Never a pooled container.
    pub fn session(&self, spec: &Spec, setup: &[Step], env: &[(String, String)]) -> Result<Session<'_>, Infra> {
        if self.aborted.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Infra("interrupted".into()));
        }
        let inner = match &spec.kind {
            Kind::Docker { .. } if !self.docker_as_local() => {
                let d = self.docker()?.clone();
                let c = self.block_on(docker::create(&d, spec, &[]))?;
                Held::Docker(d, c)
            }
            _ => Held::Local(local::folder()?),
        };
        let session = Session { client: self, spec: spec.clone(), env: env.to_vec(), inner };
        let o = session.run(setup)?;
        if o.exit != 0 || o.timed_out {
            return Err(Infra(format!("the sandbox's setup failed at step {}: {}", o.step, tail(&format!("{}{}", o.stdout, o.stderr), 300))));
        }
        Ok(session)
    }

    /// Remove the warm containers this client keeps (call when the run is over).
    pub fn close(&self) {
        if let Some(Ok(d)) = self.docker.get() {
            let d = d.clone();
            self.block_on(async move { self.pool.drain(&d).await });
        }
    }

    /// Remove every container this process made, busy or idle, and refuse to make more (on
    /// Ctrl-C). A second sweep catches containers whose creation was already in flight.
    pub fn abort(&self) {
        self.aborted.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(Ok(d)) = self.docker.get() {
            let d = d.clone();
            self.block_on(async move {
                docker::reap(&d, true).await;
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                docker::reap(&d, true).await;
            });
        }
    }

    /// Remove containers left by pipec processes that no longer exist; returns how many.
    pub fn reap(&self) -> Result<usize, Infra> {
        let d = self.docker()?.clone();
        Ok(self.block_on(docker::reap(&d, false)))
    }

    /// The image's content id (`sha256:...`), for cache keys: a rebuilt image reruns its verifiers
/// (and switching to local subprocesses does too).
    pub fn image_id(&self, image: &str) -> Result<String, Infra> {
        if self.docker_as_local() {
            return Ok("local subprocess".into());
        }
        let d = self.docker()?.clone();
        self.block_on(async move {
            d.inspect_image(image).await.map(|i| i.id.unwrap_or_default()).map_err(|e| match image.strip_prefix("pipec/") {
                Some(name) if e.to_string().contains("404") => Infra(format!("image `{image}` is not on this Docker engine; build it with `pipec sandbox build {name}`")),
                _ => Infra(format!("image `{image}`: {e}")),
            })
        })
    }
}

/// A sandbox held across calls; see `Client::session`.
pub struct Session<'a> {
    client: &'a Client,
    spec: Spec,
    env: Vec<(String, String)>,
    inner: Held,
}

enum Held {
    Docker(bollard::Docker, docker::Container),
    Local(std::path::PathBuf),
}

impl Session<'_> {
    /// Run `steps` in this sandbox, after whatever ran in it before.
    pub fn run(&self, steps: &[Step]) -> Result<Outcome, Infra> {
        match &self.inner {
            Held::Docker(d, c) => self.client.block_on(docker::run_steps(d, c, steps, &self.env)),
            Held::Local(root) => self.client.block_on(local::run_steps(root, &self.spec, steps, &self.env)),
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        match &self.inner {
            Held::Docker(d, c) => self.client.block_on(docker::remove(d, c)),
            Held::Local(root) => {
                let _ = std::fs::remove_dir_all(root);
            }
        }
    }
}

/// A number unique within this process, for sandbox and mount folder names.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Last `n` characters of a log (where failures are).
pub fn tail(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n { s.to_string() } else { format!("...{}", s.chars().skip(count - n).collect::<String>()) }
}

/// The image a `sandbox NAME = docker(image: "...")` declaration names, when it is a literal.
pub fn declared_image(item: &pipec_compiler::ast::Item) -> Option<String> {
    use pipec_compiler::ast::{ExprKind, ItemKind, StrPart};
    let ItemKind::Sandbox(b) = &item.kind else { return None };
    let ExprKind::Call(callee, args) = &b.value.kind else { return None };
    if !matches!(&callee.kind, ExprKind::Name(n) if n.name == "docker") {
        return None;
    }
    let arg = args.iter().enumerate().find(|(i, a)| a.name.as_ref().map_or(*i == 0, |n| n.name == "image"))?.1;
    match &arg.value.kind {
        ExprKind::Str(parts) => match parts.as_slice() {
            [StrPart::Text(t)] => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}
