//! pipec's tensor hot path: each kernel is a folder with its WGSL shader, its multithreaded CPU
//! twin and the dispatch code that picks one by `Backend`. No Plan or record knowledge here.

pub mod backend;
pub mod kernels;

pub use backend::{Backend, Choice};
