//! Property: arbitrary input never panics the parser, the checker or the formatter.

use proptest::prelude::*;

const PIECES: &[&str] = &[
    "pipeline", "p", "{", "}", "(", ")", "[", "]", "let", "x", "=", "|>", "filter", "|", ".a", "report", "reward", "gate",
    "match", "if", "else", "verifier", "in", "on", "timeout", "=>", "fail", "\"s{x}\"", "1..=3", "for", "5m", "2GiB", ",",
    ":", "schema", "T", "[T]", "?", "dataset", "jsonl", "@eval", "\n", " ", "//c\n", "use", "std.rewards", ".{", "-", "0.5",
];

fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(src in program()) {
        let _ = pipec_compiler::compile(&[("fuzz.pipe".to_string(), src.clone())], &crate::RootLoader);
        if let Ok(out) = pipec_compiler::fmt::format_source("fuzz.pipe", &src) {
            let again = pipec_compiler::fmt::format_source("fuzz.pipe", &out);
            prop_assert!(again.is_ok(), "formatted output does not parse:\n{}", out);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(src in "\\PC{0,200}") {
        let _ = pipec_compiler::compile(&[("fuzz.pipe".to_string(), src)], &crate::RootLoader);
    }
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    let src = format!("const X: int = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let c = pipec_compiler::compile(&[("deep.pipe".to_string(), src)], &crate::RootLoader);
    assert_eq!(c.diagnostics[0].code.as_str(), "E0002");
}
