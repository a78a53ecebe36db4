//! Every `tests/ui/*.pipe` is checked; its rendered diagnostics must equal the `.stderr` beside it.

use crate::{compile_file, expect_file, files_with_ext};

#[test]
fn ui_fixtures_render_as_expected() {
    for f in files_with_ext("tests/ui", ".pipe") {
        let c = compile_file(&f);
        let text = pipec_runtime::render::diagnostics_to_text(&c.sources, &c.diagnostics);
        expect_file(&f.replace(".pipe", ".stderr"), &text);
    }
}

#[test]
fn three_independent_mistakes_give_three_codes_in_one_run() {
    let c = compile_file("tests/ui/three_mistakes.pipe");
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0501", "E0302", "E0401"]);
    assert!(c.has_errors());
}
