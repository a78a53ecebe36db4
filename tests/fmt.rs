//! Formatter: every example and stdlib module is already canonical, formatting is idempotent,
//! and no comment is lost.

use crate::{files_with_ext, root};
use pipec_compiler::fmt::format_source;

#[test]
fn examples_and_stdlib_are_formatted_and_idempotent() {
    let mut files = files_with_ext("examples", ".pipe");
    files.extend(files_with_ext("stdlib", ".pipe"));
    files.extend(files_with_ext("tests/ui", ".pipe").into_iter().filter(|f| !f.contains("E0001") && !f.contains("E0002")));
    for f in files {
        let text = std::fs::read_to_string(root().join(&f)).unwrap();
        let once = format_source(&f, &text).unwrap_or_else(|_| panic!("{f} does not parse"));
        let twice = format_source(&f, &once).unwrap();
        assert_eq!(once, twice, "{f}: formatting is not idempotent");
        let comments = |s: &str| s.lines().filter_map(|l| l.find("//").map(|i| l[i..].trim().to_string())).collect::<Vec<_>>();
        assert_eq!(comments(&text), comments(&once), "{f}: comments changed");
        if f.starts_with("examples") || f.starts_with("stdlib") {
            assert_eq!(text, once, "{f} is not formatted; run `pipec fmt {f}`");
        }
    }
}

#[test]
fn formatter_normalises_layout_and_keeps_comments() {
    let src = "// head\nconst   K:int=8 // eight\n\n\n\npipeline p{let a=K   // note\n// own line\nreport a}\n";
    let out = format_source("t.pipe", src).unwrap();
    assert_eq!(out, "// head\nconst K: int = 8 // eight\n\npipeline p {\n  let a = K // note\n  // own line\n  report a\n}\n");
}
