//! The compute backend a run's kernels use (`--backend auto|gpu|cpu`), opened on first use so a
//! pipeline without kernels never touches the GPU; a fallback is said once, on stderr.

use pipec_compute::{Backend, Choice};
use std::sync::OnceLock;

#[derive(Debug)]
pub struct Compute {
    choice: Choice,
    backend: OnceLock<Result<Backend, String>>,
}

impl Compute {
    pub fn new(choice: Choice) -> Compute {
        Compute { choice, backend: OnceLock::new() }
    }

    /// The backend, opened (and any note printed) the first time it is asked for.
    pub fn backend(&self) -> Result<&Backend, String> {
        self.backend
            .get_or_init(|| {
                Backend::new(self.choice).map(|(backend, note)| {
                    if let Some(note) = note {
                        eprintln!("{note}");
                    }
                    backend
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}
