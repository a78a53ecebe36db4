//! Command-line parsing and dispatch: one file per subcommand.

mod check;
mod explain;
mod fmt;
mod graph;
mod node;
mod progress;
mod run;
mod sandbox;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "pipec", version, about = "A declarative pipeline language for LLM post-training")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MessageFormat {
    Human,
    Json,
}

/// `--sandbox`: where `docker(...)` sandboxes run.
#[derive(Clone, Copy, ValueEnum)]
pub enum SandboxMode {
    /// Docker when an engine answers, else local subprocesses (said once).
    Auto,
    Docker,
    Local,
}

impl From<SandboxMode> for crate::sandbox::Mode {
    fn from(m: SandboxMode) -> Self {
        match m {
            SandboxMode::Auto => crate::sandbox::Mode::Auto,
            SandboxMode::Docker => crate::sandbox::Mode::Docker,
            SandboxMode::Local => crate::sandbox::Mode::Local,
        }
    }
}

/// `--backend`: where kernels run.
#[derive(Clone, Copy, ValueEnum)]
pub enum BackendChoice {
    /// A real GPU when wgpu finds one, else the CPU (a software adapter does not count).
    Auto,
    /// Any wgpu adapter, software ones included; fails when there is none.
    Gpu,
    Cpu,
}

impl From<BackendChoice> for pipec_compute::Choice {
    fn from(b: BackendChoice) -> Self {
        match b {
            BackendChoice::Auto => pipec_compute::Choice::Auto,
            BackendChoice::Gpu => pipec_compute::Choice::Gpu,
            BackendChoice::Cpu => pipec_compute::Choice::Cpu,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Type-check .pipe files and print diagnostics.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        message_format: MessageFormat,
    },
    /// Format .pipe files in place (or check that they are formatted).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Do not write; exit 1 when a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Print the pipeline DAG.
    Graph {
        file: PathBuf,
        #[arg(long)]
        pipeline: Option<String>,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Run a pipeline: reuse cached nodes, write a run folder with outputs, metrics and a report.
    Run {
        file: PathBuf,
        /// Which pipeline, when the file declares several.
        #[arg(long)]
        pipeline: Option<String>,
        /// Nodes run at once on the CPU (default: the number of cores).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Sandboxed nodes (verifiers, agent tools) at once (default: JOBS).
        #[arg(long)]
        sandboxes: Option<usize>,
        /// Model nodes at once (connections to endpoints, local model instances).
        #[arg(long, default_value_t = 4)]
        models: usize,
        /// Where `docker(...)` sandboxes run.
        #[arg(long, value_enum, default_value = "auto")]
        sandbox: SandboxMode,
        /// Where kernels (similarity, pooling, reward maths, soups) run.
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        /// Ignore the cache and run every node.
        #[arg(long)]
        fresh: bool,
        /// Print only errors and the summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Where run folders go.
        #[arg(long, default_value = "runs")]
        runs: PathBuf,
        /// The node cache (default: RUNS/.cache).
        #[arg(long, env = "PIPEC_CACHE")]
        cache: Option<PathBuf>,
    },
    /// Sandbox images: `pipec sandbox build busybox|python` builds one from Debian packages.
    Sandbox {
        #[command(subcommand)]
        action: SandboxAction,
    },
    /// Say, for each node of a run, why it ran or was reused.
    Explain { run_dir: PathBuf },
    /// A language server over stdio: diagnostics, hover, definitions, symbols, completion, formatting.
    Lsp,
    /// Serve local models over an OpenAI-compatible HTTP API (a GGUF file: chat and completions;
    /// a sentence-transformers folder: embeddings).
    Serve {
        #[arg(required = true)]
        models: Vec<PathBuf>,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// 0 picks a free port (the address is printed).
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Run one node of a serialised plan (a run folder's plan.json), inputs from the cache.
    Node {
        plan: PathBuf,
        #[arg(long)]
        node: String,
        #[arg(long)]
        pipeline: Option<String>,
        /// The cache shared by every process running this plan.
        #[arg(long)]
        cache: PathBuf,
        /// Where a sink node writes its files.
        #[arg(long, default_value = "outputs")]
        outputs: PathBuf,
        #[arg(long)]
        fresh: bool,
        /// Where `docker(...)` sandboxes run.
        #[arg(long, value_enum, default_value = "auto")]
        sandbox: SandboxMode,
        /// Where kernels run.
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
    },
}

#[derive(Subcommand)]
enum SandboxAction {
    /// Build pipec/NAME offline from Debian packages (apt-get download, dpkg-deb, docker import).
    Build { name: String },
    /// Remove containers left behind by pipec processes that were killed.
    Reap,
}

/// Run pipec with these arguments on the process's stdout and stderr; returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    run(args, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Run pipec with these arguments, writing to the given streams; returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let text = e.render().to_string();
            let _ = if e.use_stderr() { err.write_all(text.as_bytes()) } else { out.write_all(text.as_bytes()) };
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Check { files, message_format } => check::run(&files, message_format, out, err),
        Command::Fmt { files, check } => fmt::run(&files, check, out, err),
        Command::Graph { file, pipeline, format } => graph::run(&file, pipeline.as_deref(), format, out, err),
        Command::Run { file, pipeline, jobs, sandboxes, models, sandbox, backend, fresh, quiet, runs, cache } => {
            let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            let limits = crate::scheduler::walker::Limits { sandbox: sandboxes.unwrap_or(jobs).max(1), model: models.max(1), ..crate::scheduler::walker::Limits::with_jobs(jobs) };
            run::run(&run::Args { file, pipeline, limits, sandbox: sandbox.into(), backend: backend.into(), fresh, quiet, runs, cache }, out, err)
        }
        Command::Explain { run_dir } => explain::run(&run_dir, out, err),
        Command::Lsp => match crate::lsp::run() {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                1
            }
        },
        Command::Serve { models, host, port } => serve::run(&serve::Args { models, host, port }, out, err),
        Command::Sandbox { action: SandboxAction::Build { name } } => sandbox::build(&name, out, err),
        Command::Sandbox { action: SandboxAction::Reap } => sandbox::reap(out, err),
        Command::Node { plan, node, pipeline, cache, outputs, fresh, sandbox, backend } => node::run(&node::Args { plan, node, pipeline, cache, outputs, fresh, sandbox: sandbox.into(), backend: backend.into() }, out, err),
    }
}

/// Run the compiler on a big stack: deeply nested input must give diagnostics, not a crash.
pub fn compile_files(files: &[PathBuf]) -> Result<pipec_compiler::Compiled, String> {
    let entries = crate::loader::read_entries(files)?;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(s, || pipec_compiler::compile(&entries, &crate::loader::FsLoader))
            .map_err(|e| e.to_string())?
            .join()
            .map_err(|_| "the compiler crashed; please report this input".to_string())
    })
}
