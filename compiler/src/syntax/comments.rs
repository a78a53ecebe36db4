//! Source text -> the list of `//` comments with their spans, for the formatter.

use crate::source::{FileId, Span};

#[derive(Debug, Clone)]
pub struct Comment {
    pub text: String,
    pub span: Span,
    /// True when code precedes the comment on its line (`x = 1 // note`).
    pub trailing: bool,
}

/// Every comment in the file, in order, skipping `//` inside string literals.
pub fn source_comments(file: FileId, text: &str) -> Vec<Comment> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut in_str, mut escaped) = (false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' || c == b'\n' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            out.push(Comment {
                text: text[i..end].trim_end().to_string(),
                span: Span::new(file, i, end),
                trailing: !text[line_start..i].trim().is_empty(),
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}
