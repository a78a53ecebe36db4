//! Compiler diagnostics -> text: miette's graphical report for people, JSON for editors.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use pipec_compiler::diagnostics::{Diagnostic, Severity};
use pipec_compiler::source::{SourceMap, Span};
use serde_json::json;

fn position(sources: &SourceMap, span: Span) -> (String, usize, usize) {
    let f = sources.get(span.file);
    let (l, c) = f.line_col(span.start as usize);
    (f.name.clone(), l, c)
}

/// One diagnostic as miette renders it (no colours, stable width), with `file:line:col` on top.
pub fn diagnostic_to_text(sources: &SourceMap, d: &Diagnostic) -> String {
    let primary = d.span();
    let (file, line, col) = position(sources, primary);
    let mut m = MietteDiagnostic::new(d.message.clone()).with_severity(match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    });
    let mut elsewhere = Vec::new();
    for (i, l) in d.labels.iter().enumerate() {
        if l.span.file == primary.file {
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            let at = (l.span.start as usize, l.span.len());
            m = m.and_label(if i == 0 { LabeledSpan::new_primary_with_span(text, at) } else { LabeledSpan::new_with_span(text, at) });
        } else {
            let (f, ln, c) = position(sources, l.span);
            elsewhere.push(format!("{f}:{ln}:{c}: {}", l.message));
        }
    }
    let mut help: Vec<String> = d.help.iter().cloned().collect();
    help.extend(d.notes.iter().map(|n| format!("note: {n}")));
    help.extend(elsewhere.into_iter().map(|e| format!("see {e}")));
    if !help.is_empty() {
        m = m.with_help(help.join("\n"));
    }
    let src = NamedSource::new(file.clone(), sources.get(primary.file).text.clone());
    let report = miette::Report::new(m).with_source_code(src);
    let mut out = format!("{file}:{line}:{col}: {}[{}]\n", severity_word(d.severity), d.code.as_str());
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100).with_links(false);
    let _ = handler.render_report(&mut out, report.as_ref());
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub fn diagnostics_to_text(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&diagnostic_to_text(sources, d));
        out.push('\n');
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if !diags.is_empty() {
        out.push_str(&format!("{errors} error{}, {warnings} warning{}\n", plural(errors), plural(warnings)));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn diagnostics_to_json(sources: &SourceMap, diags: &[Diagnostic]) -> serde_json::Value {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let (file, line, column) = position(sources, d.span());
            let f = sources.get(d.span().file);
            let (end_line, end_column) = f.line_col(d.span().end as usize);
            let labels: Vec<serde_json::Value> = d
                .labels
                .iter()
                .map(|l| {
                    let (file, line, column) = position(sources, l.span);
                    json!({"file": file, "line": line, "column": column, "message": l.message})
                })
                .collect();
            json!({
                "code": d.code.as_str(),
                "severity": severity_word(d.severity),
                "file": file,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "message": d.message,
                "help": d.help,
                "notes": d.notes,
                "labels": labels,
            })
        })
        .collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    json!({"diagnostics": items, "errors": errors, "warnings": diags.len() - errors})
}
