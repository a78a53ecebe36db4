//! Which device runs the kernels: `--backend auto|gpu|cpu`. `auto` takes a real GPU when wgpu
//! finds one and the CPU twins otherwise (a software adapter such as llvmpipe is for tests, not
//! speed); `gpu` takes any adapter, software included, and fails when there is none.

mod gpu;

pub use gpu::{Buf, Gpu, Kernel, by_rows, grid};
use std::sync::Arc;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    #[default]
    Auto,
    Gpu,
    Cpu,
}

impl std::str::FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Choice, String> {
        match s {
            "auto" => Ok(Choice::Auto),
            "gpu" => Ok(Choice::Gpu),
            "cpu" => Ok(Choice::Cpu),
            other => Err(format!("unknown backend `{other}`: expected auto, gpu or cpu")),
        }
    }
}

/// Where kernels run. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The multithreaded CPU twins.
    Cpu,
    Gpu(Arc<Gpu>),
}

impl Backend {
    /// The backend for `choice`, and a one-line note when `auto` fell back to the CPU or `gpu`
    /// got a software adapter. `gpu` with no adapter at all is an error.
    pub fn new(choice: Choice) -> Result<(Backend, Option<String>), String> {
        match choice {
            Choice::Cpu => Ok((Backend::Cpu, None)),
            Choice::Gpu => {
                let gpu = Gpu::new()?;
                let note = gpu.is_software().then(|| format!("note: the GPU backend runs on a software adapter ({}); expect CPU-like speed", gpu.name()));
                Ok((Backend::Gpu(Arc::new(gpu)), note))
            }
            Choice::Auto => match Gpu::new() {
                Ok(gpu) if !gpu.is_software() => Ok((Backend::Gpu(Arc::new(gpu)), None)),
                Ok(gpu) => Ok((Backend::Cpu, Some(format!("note: only a software GPU adapter ({}) is here; kernels run on the CPU (--backend gpu to use it anyway)", gpu.name())))),
                Err(why) => Ok((Backend::Cpu, Some(format!("note: {why}; kernels run on the CPU")))),
            },
        }
    }

    /// `cpu`, or the adapter's name.
    pub fn describe(&self) -> String {
        match self {
            Backend::Cpu => format!("cpu ({} threads)", rayon::current_num_threads()),
            Backend::Gpu(g) => format!("gpu ({})", g.name()),
        }
    }
}
