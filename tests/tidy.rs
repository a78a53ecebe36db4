//! Tidy rules as tests: every diagnostic code has a docs page and a ui fixture that produces it;
//! every Rust file opens with a `//!` line; the compiler crate does no IO.

use crate::{compile_file, files_with_ext, root};
use pipec_compiler::diagnostics::Code;

#[test]
fn every_code_has_a_page_and_a_fixture() {
    let fixtures = files_with_ext("tests/ui", ".pipe");
    for code in Code::ALL {
        let c = code.as_str();
        let page = root().join(format!("docs/diagnostics/{c}.md"));
        assert!(page.exists(), "missing docs/diagnostics/{c}.md");
        if code.is_runtime() {
            // Produced by `pipec run`; runtime/tests/process.rs checks the fixture's transcript.
            let runs = files_with_ext("tests/run", ".pipe");
            assert!(runs.iter().any(|f| f.starts_with(&format!("tests/run/{c}_"))), "missing tests/run/{c}_*.pipe");
            continue;
        }
        let fixture = fixtures.iter().find(|f| f.starts_with(&format!("tests/ui/{c}_"))).unwrap_or_else(|| panic!("missing tests/ui/{c}_*.pipe"));
        let got = compile_file(fixture);
        assert!(got.diagnostics.iter().any(|d| d.code == *code), "{fixture} does not produce {c}");
    }
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_rust_file_says_what_it_does() {
    let mut files = Vec::new();
    for d in ["compiler/src", "runtime/src", "tests"] {
        rust_files(&root().join(d), &mut files);
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.starts_with("//!"), "{} must start with a `//!` line", f.display());
        let (ignore, should_panic) = (concat!("#[", "ignore]"), concat!("#[", "should_panic]"));
        assert!(!text.contains(ignore) && !text.contains(should_panic), "{}: no ignored or should-panic tests", f.display());
    }
}

#[test]
fn compiler_is_pure() {
    let mut files = Vec::new();
    rust_files(&root().join("compiler/src"), &mut files);
    let forbidden = ["std::fs", "std::env", "std::net", "std::process", "std::time", "println!", "eprintln!", "print!(", "tokio", "std::io::std"];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in forbidden {
            assert!(!text.contains(word), "{} uses `{word}`: the compiler does no IO", f.display());
        }
    }
}

/// The editors' TextMate grammar colours every keyword of grammar/pipe.pest (and nothing drifts
/// when a keyword is added).
#[test]
fn the_editor_grammar_knows_every_keyword() {
    let pest = std::fs::read_to_string(root().join("grammar/pipe.pest")).unwrap();
    let tm = std::fs::read_to_string(root().join("editors/vscode/syntaxes/pipe.tmLanguage.json")).unwrap();
    let grammar: serde_json::Value = serde_json::from_str(&tm).expect("the TextMate grammar is JSON");
    assert_eq!(grammar["scopeName"], "source.pipe");
    // Reserved words (`keyword = @{ ("use" | ...`) and contextual ones (`w_copy = @{ "copy" ...`).
    let reserved = pest.split("keyword = @{").nth(1).and_then(|s| s.split('}').next()).unwrap_or_default();
    let contextual = pest.lines().filter(|l| l.starts_with("w_")).filter_map(|l| l.split('"').nth(1));
    let words: Vec<&str> = reserved.split('"').skip(1).step_by(2).chain(contextual).collect();
    assert!(words.len() > 20, "{words:?}");
    for w in words {
        assert!(tm.contains(&format!("|{w}|")) || tm.contains(&format!("({w}|")) || tm.contains(&format!("|{w})")), "editors/vscode/syntaxes/pipe.tmLanguage.json does not colour `{w}`");
    }
}
