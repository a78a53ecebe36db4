//! The `pipec` command line as a user runs it: exit codes, JSON diagnostics, graphs accepted by dot.

use crate::{files_with_ext, root};

fn pipec(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("pipec").chain(args.iter().copied()).map(std::ffi::OsString::from);
    let code = pipec_runtime::cli::run(argv, &mut out, &mut err);
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

fn abs(rel: &str) -> String {
    root().join(rel).to_string_lossy().into_owned()
}

#[test]
fn check_passes_on_examples_and_stdlib() {
    let mut files: Vec<String> = files_with_ext("examples", ".pipe").iter().map(|f| abs(f)).collect();
    files.extend(files_with_ext("stdlib", ".pipe").iter().map(|f| abs(f)));
    let args: Vec<&str> = std::iter::once("check").chain(files.iter().map(String::as_str)).collect();
    let (code, _, err) = pipec(&args);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn check_json_reports_each_error_with_position() {
    let (code, out, _) = pipec(&["check", "--message-format", "json", &abs("tests/ui/three_mistakes.pipe")]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 3);
    for d in diags {
        for key in ["code", "severity", "file", "line", "column", "message"] {
            assert!(!d[key].is_null(), "missing {key} in {d}");
        }
    }
    assert_eq!(diags[0]["line"], 12);
    assert_eq!(diags[0]["column"], 10);
}

#[test]
fn graph_dot_is_accepted_by_graphviz() {
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    assert!(has_dot || std::env::var_os("PIPEC_REQUIRE_DOT").is_none(), "PIPEC_REQUIRE_DOT is set but `dot` is missing");
    for f in files_with_ext("examples", ".pipe") {
        let (code, out, err) = pipec(&["graph", &abs(&f), "--format", "dot"]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(out.starts_with("digraph pipec {") && out.trim_end().ends_with('}'));
        if has_dot {
            let mut child = std::process::Command::new("dot")
                .arg("-Tsvg")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(out.as_bytes()).unwrap();
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "{f}: dot rejected the graph: {}", String::from_utf8_lossy(&o.stderr));
        }
        let (code, out, _) = pipec(&["graph", &abs(&f), "--format", "json"]);
        assert_eq!(code, 0);
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
        let (code, out, _) = pipec(&["graph", &abs(&f), "--format", "mermaid"]);
        assert_eq!(code, 0);
        assert!(out.starts_with("flowchart LR"));
    }
}

#[test]
fn fmt_check_passes_on_examples() {
    let files: Vec<String> = files_with_ext("examples", ".pipe").iter().map(|f| abs(f)).collect();
    let args: Vec<&str> = ["fmt", "--check"].into_iter().chain(files.iter().map(String::as_str)).collect();
    let (code, out, _) = pipec(&args);
    assert_eq!(code, 0, "{out}");
}
