//! Running a pipeline: `walker` decides when each node may run; `run` decides what running one
//! means here (key, cache lookup, executor, sinks, records) and writes the run folder.

pub mod node;
pub mod reason;
pub mod run;
pub mod walker;
