//! Source text -> AST (`source_to_ast`). The only module that sees pest. Never panics: a syntax
//! error becomes a diagnostic, and the rest of the file is still parsed item by item.

mod comments;
mod errors;
mod expr;
pub mod incremental;
mod items;

pub use comments::{Comment, source_comments};
pub use expr::{parse_duration_ms, parse_size_bytes};

use crate::ast;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/pipe.pest"]
pub(crate) struct PipeParser;

/// Deepest bracket nesting accepted; deeper input gets E0002 instead of exhausting the stack.
pub const MAX_NESTING: usize = 96;

/// Parse one file. Returns every item that parsed and a diagnostic per syntax error.
pub fn source_to_ast(file: FileId, text: &str) -> (ast::Module, Diagnostics) {
    let mut diags = Diagnostics::default();
    if let Some(offset) = too_deep(text) {
        let span = Span::new(file, offset, offset + 1);
        diags.push(
            Diagnostic::new(Code::TooDeep, span, format!("brackets nest deeper than {MAX_NESTING} levels"))
                .primary("too deep here")
                .help("split the expression with `let` bindings or helper `fn`s"),
        );
        return (ast::Module { items: vec![] }, diags);
    }
    pest::set_error_detail(true);
    let mut items = Vec::new();
    match PipeParser::parse(Rule::file, text) {
        Ok(pairs) => items.extend(items::file_to_items(pairs, file, 0)),
        Err(_) => {
            // Recover: parse each top-level chunk alone so every broken item is reported.
            for (start, end) in item_chunks(text) {
                match PipeParser::parse(Rule::file, &text[start..end]) {
                    Ok(pairs) => items.extend(items::file_to_items(pairs, file, start)),
                    Err(e) => diags.push(errors::pest_to_diagnostic(&e, file, start, text)),
                }
            }
        }
    }
    (ast::Module { items }, diags)
}

/// Offset of the first bracket opened past [`MAX_NESTING`], ignoring strings and comments.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in code_chars(text) {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Characters outside string literals and comments, with their byte offsets.
fn code_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let comments = comments::source_comments(FileId(0), text);
    let (mut in_str, mut escaped) = (false, false);
    let mut next = 0;
    text.char_indices().filter(move |&(i, c)| {
        while next < comments.len() && (comments[next].span.end as usize) <= i {
            next += 1;
        }
        if comments.get(next).is_some_and(|k| k.span.start as usize <= i) {
            return false;
        }
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_str = false;
            }
            return false;
        }
        in_str = c == '"';
        !in_str
    })
}

/// Words the grammar reserves (`keyword` in pipe.pest); they cannot name anything.
pub const KEYWORDS: &[&str] = &[
    "use", "as", "const", "schema", "enum", "dataset", "model", "sandbox", "fn", "verifier",
    "reward", "funnel", "pipeline", "stage", "let", "for", "in", "match", "if", "else", "gate",
    "report", "true", "false",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

const ITEM_KEYWORDS: &[&str] = &[
    "use", "const", "schema", "enum", "dataset", "model", "sandbox", "fn", "verifier", "reward",
    "funnel", "pipeline", "@",
];

/// Byte ranges of top-level chunks: a chunk starts at a line whose first word is an item keyword
/// (or an attribute) at column 1.
fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let starts_item = ITEM_KEYWORDS.iter().any(|k| {
            line.strip_prefix(k).is_some_and(|rest| {
                *k == "@" || rest.starts_with(|c: char| c.is_whitespace())
            })
        });
        if starts_item && offset > 0 && !starts.contains(&offset) {
            // Attributes on the line before belong to this item.
            starts.push(offset);
        }
        offset += line.len();
    }
    // Merge an attribute-only chunk into the item that follows it.
    let mut chunks: Vec<(usize, usize)> = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        let e = starts.get(i + 1).copied().unwrap_or(text.len());
        match chunks.last_mut() {
            Some(last) if text[last.0..last.1].trim_start().starts_with('@') && is_attr_only(&text[last.0..last.1]) => last.1 = e,
            _ => chunks.push((s, e)),
        }
    }
    chunks
}

fn is_attr_only(chunk: &str) -> bool {
    chunk.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('@') && !t.contains(' ') || t.starts_with("//")
    })
}
