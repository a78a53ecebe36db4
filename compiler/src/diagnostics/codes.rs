//! The one registry of diagnostic codes. Codes are stable and never reused; each has a page in
//! `docs/diagnostics/<CODE>.md` and a fixture in `tests/ui/` (the tidy test checks both).

use super::Severity;
use serde::{Serialize, Serializer};

pub struct CodeInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $title:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
            pub fn info(self) -> CodeInfo {
                match self {
                    $(Code::$variant => CodeInfo { code: $code, severity: Severity::$sev, title: $title }),*
                }
            }
        }
    };
}

codes! {
    Syntax = "E0001", Error, "syntax error";
    TooDeep = "E0002", Error, "input nests too deeply";
    ModuleNotFound = "E0101", Error, "module not found";
    ImportCycle = "E0102", Error, "import cycle";
    NotExported = "E0103", Error, "imported name does not exist in the module";
    UnknownName = "E0201", Error, "unknown name";
    Duplicate = "E0202", Error, "name defined twice";
    WrongKind = "E0203", Error, "name refers to the wrong kind of item";
    TypeMismatch = "E0301", Error, "type mismatch";
    UnknownField = "E0302", Error, "unknown record field";
    UnknownArgument = "E0303", Error, "unknown named argument";
    MissingArgument = "E0304", Error, "missing required argument";
    TooManyArguments = "E0305", Error, "too many positional arguments";
    EmbeddingDim = "E0306", Error, "embedding dimensions disagree";
    NotCallable = "E0307", Error, "value is not callable";
    UnknownVariant = "E0308", Error, "unknown enum variant";
    NonExhaustiveMatch = "E0309", Error, "match does not cover every case";
    UnknownType = "E0310", Error, "unknown type";
    UngatedStepReward = "E0401", Error, "step reward accumulated without a gate";
    RewardLevel = "E0402", Error, "reward level misuse";
    MissingOnTimeout = "E0501", Error, "sandboxed verifier without `on timeout`";
    MissingOnInfraError = "E0502", Error, "sandboxed verifier without `on infra_error`";
    CommandOutlastsSandbox = "E0503", Error, "commands outlast the sandbox timeout";
    InvalidPolicy = "E0504", Error, "invalid verifier event or policy";
    FunnelTopGrows = "E0601", Error, "funnel stage keeps more candidates than the one before";
    FunnelUnitOrder = "E0602", Error, "funnel goes from fine to coarse units";
    EvalLeak = "E0701", Error, "evaluation data reaches a training sink";
    DependencyCycle = "E0801", Error, "pipeline dependency cycle";
    NonConstantLoop = "E0802", Error, "`for` range is not a compile-time constant";
    NoSink = "W0801", Warning, "pipeline has no sink";
    InvalidData = "E0901", Error, "input records do not match the declared schema";
    NodeFailed = "E0902", Error, "a node failed while running";
    NotRunnable = "E0903", Error, "a builtin this build cannot run";
    NodeTimedOut = "E0904", Error, "a node ran past its timeout";
    BadNodePolicy = "E0905", Error, "invalid `@timeout` or `@retry` on a statement";
}

impl Code {
    /// Codes reported by `pipec run` rather than `pipec check` (their fixtures live in `tests/run/`).
    pub fn is_runtime(self) -> bool {
        matches!(self, Code::InvalidData | Code::NodeFailed | Code::NotRunnable | Code::NodeTimedOut)
    }
}

impl Code {
    pub fn as_str(self) -> &'static str {
        self.info().code
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        seen.sort();
        let n = seen.len();
        seen.dedup();
        assert_eq!(n, seen.len());
    }
}
