//! pipec-compiler: the pure front end. Source -> AST -> checked model -> Plan, plus diagnostics.
//! No file system, environment, clock, network, async or printing: IO comes in through
//! [`source::SourceLoader`], and results go out as values.

pub mod ast;
pub mod diagnostics;
pub mod source;
pub mod syntax;
pub mod builtins;
pub mod sema;
pub mod stdlib;
pub mod fmt;
