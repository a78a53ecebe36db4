//! A tokio runtime owned by a blocking client (the sandbox and model clients), so executors on
//! worker threads can wait on async IO. Dropped without blocking: the last owner may itself be a
//! thread of another runtime.

pub struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    pub fn new() -> Result<OwnedRuntime, String> {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map(|rt| OwnedRuntime(Some(rt))).map_err(|e| format!("cannot start an async runtime: {e}"))
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.0.as_ref().unwrap_or_else(|| unreachable!("the runtime lives until drop")).block_on(f)
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}
