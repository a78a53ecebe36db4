//! Records at run time: JSON values, checked against the Plan's `DataTy` wherever data enters
//! (files), read and written as JSON Lines or Parquet, always written atomically.

pub mod atomic;
pub mod jsonl;
pub mod parquet;
pub mod validate;

pub use serde_json::Value;

/// A bad record in an input file: which file, which line (or row), which field, what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    pub file: String,
    /// 1-based line (JSONL) or row (Parquet).
    pub line: usize,
    /// Dotted path inside the record (`answer`, `steps[2].score`); empty for the whole line.
    pub field: String,
    pub expected: String,
    pub found: String,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}
