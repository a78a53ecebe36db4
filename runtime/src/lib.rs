//! pipec-runtime: the `pipec` command line and everything that does IO. It calls the pure
//! compiler's public API (`compile`, `plan`, `diagnostics`) and renders results.

pub mod cli;
pub mod loader;
pub mod render;
pub mod data;
pub mod eval;
pub mod stages;
pub mod cache;
pub mod report;
pub mod scheduler;
pub mod sandbox;
pub mod compute;
pub mod models;
pub mod retrieval;
pub mod blocking;
pub mod lsp;
