//! The kernels. Each folder holds its WGSL shader(s), its CPU twin, the dispatch code that picks
//! one by backend, and its tests: naga validation, hand-computed values (methods.md §11.2), and
//! GPU vs CPU parity on random inputs. `reduce.wgsl` holds the workgroup reductions the row,
//! pooling and mix shaders share (prepended to them).

pub mod histogram;
pub mod mix;
pub mod pooling;
pub mod rows;
pub mod segments;
pub mod soup;
pub mod topk;

#[cfg(test)]
pub(crate) mod testing;
