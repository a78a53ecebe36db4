//! The kernels. Each folder holds `shader.wgsl`, its CPU twin (`cpu.rs`), the dispatch code that
//! picks one by backend (`mod.rs`) and its tests: naga validation, hand-computed values, and GPU
//! vs CPU parity on random inputs.

pub mod segments;
pub mod soup;
pub mod topk;

#[cfg(test)]
pub(crate) mod testing;
