//! Semantic passes over the loaded program; each file is one pass (see docs/ARCHITECTURE.md).

pub mod modules;
pub mod scope;
pub mod ty;
pub mod check;
pub mod funnels;
pub mod rewards;
pub mod verifiers;
