//! Statement attributes -> the scheduler's policy for the nodes a statement creates:
//! `@timeout(30s)` bounds each attempt, `@retry(2)` allows two more attempts after a failure.

use super::NodePolicy;
use crate::ast::Attribute;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::parse_duration_ms;

/// Most retries a statement may ask for.
pub const MAX_RETRIES: u32 = 100;

/// The policy the attributes ask for, and a diagnostic for each malformed one.
pub fn attrs_to_policy(attrs: &[Attribute]) -> (NodePolicy, Vec<Diagnostic>) {
    let mut policy = NodePolicy::default();
    let mut errors = Vec::new();
    for a in attrs {
        let arg = match a.args.as_slice() {
            [one] => Some(one.name.as_str()),
            _ => None,
        };
        match a.name.name.as_str() {
            "timeout" => match arg.filter(|t| t.ends_with(|c: char| c.is_ascii_alphabetic()) && t.starts_with(|c: char| c.is_ascii_digit())) {
                Some(t) if parse_duration_ms(t) > 0 => policy.timeout_ms = Some(parse_duration_ms(t)),
                _ => errors.push(bad(a, "`@timeout` takes one positive duration", "write it like `@timeout(30s)` or `@timeout(500ms)`")),
            },
            "retry" => match arg.and_then(|t| t.parse::<u32>().ok()).filter(|n| *n <= MAX_RETRIES) {
                Some(n) => policy.retries = n,
                None => errors.push(bad(a, "`@retry` takes one whole number of retries", "write it like `@retry(2)` (at most 100)")),
            },
            _ => {}
        }
    }
    (policy, errors)
}

fn bad(a: &Attribute, message: &str, help: &str) -> Diagnostic {
    Diagnostic::new(Code::BadNodePolicy, a.span, message).primary("this attribute").help(help)
}
