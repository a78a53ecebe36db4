//! AST + comments -> canonical source text (`pipec fmt`): two-space indents, one item or statement
//! per line, blank lines kept (collapsed to one), comments kept, long pipe chains broken at `|>`.
//! Formatting is idempotent: formatting formatted text changes nothing.

mod expr;
mod items;

use crate::diagnostics::Diagnostic;
use crate::source::{SourceFile, SourceMap, Span};
use crate::syntax::{self, Comment};

/// Lines longer than this have their pipe chains broken at `|>`.
pub const MAX_WIDTH: usize = 100;

/// Format one file; a file with syntax errors is returned untouched as diagnostics.
pub fn format_source(name: &str, text: &str) -> Result<String, (SourceMap, Vec<Diagnostic>)> {
    let mut sources = SourceMap::default();
    let file = sources.add(SourceFile::new(name, text));
    let (module, diags) = syntax::source_to_ast(file, text);
    if diags.has_errors() {
        return Err((sources, diags.into_sorted()));
    }
    let mut p = Printer { out: String::new(), indent: 0, comments: syntax::source_comments(file, text), next_comment: 0, text, last_end: None };
    p.items(&module.items);
    p.flush_comments(u32::MAX);
    let mut out = p.out.trim_end().to_string();
    out.push('\n');
    Ok(out)
}

pub(crate) struct Printer<'t> {
    out: String,
    indent: usize,
    comments: Vec<Comment>,
    next_comment: usize,
    text: &'t str,
    /// End of the previous line-level node at this nesting, for blank-line preservation.
    last_end: Option<u32>,
}

impl Printer<'_> {
    fn pad(&self) -> String {
        "  ".repeat(self.indent)
    }

    fn line(&mut self, s: &str) {
        let pad = self.pad();
        self.out.push_str(&pad);
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// Emit own-line comments that start before `pos`.
    fn flush_comments(&mut self, pos: u32) {
        while let Some(c) = self.comments.get(self.next_comment).cloned() {
            if c.span.start >= pos {
                break;
            }
            self.next_comment += 1;
            self.blank_if_needed(c.span.start);
            self.line(&c.text);
            self.last_end = Some(c.span.end);
        }
    }

    fn blank_if_needed(&mut self, start: u32) {
        if let Some(end) = self.last_end
            && end < start
        {
            let between = &self.text[end as usize..start as usize];
            if between.matches('\n').count() >= 2 && !self.out.ends_with("{\n") && !self.out.ends_with("\n\n") && !self.out.is_empty() {
                self.out.push('\n');
            }
        }
    }

    /// Start a line-level node: comments before it, a blank line if the source had one.
    fn begin(&mut self, span: Span) {
        self.flush_comments(span.start);
        self.blank_if_needed(span.start);
    }

    /// Finish a line-level node: a comment trailing on its last line is appended.
    fn end(&mut self, span: Span) {
        let line_end = self.text[span.end as usize..].find('\n').map_or(self.text.len(), |i| span.end as usize + i) as u32;
        if let Some(c) = self.comments.get(self.next_comment)
            && c.trailing
            && c.span.start >= span.end
            && c.span.start <= line_end
        {
            let text = c.text.clone();
            self.next_comment += 1;
            if self.out.ends_with('\n') {
                self.out.pop();
            }
            self.out.push(' ');
            self.out.push_str(&text);
            self.out.push('\n');
            self.last_end = Some(c.span.end);
            return;
        }
        self.last_end = Some(span.end);
    }

    /// Open a `{` block: nested nodes start fresh for blank-line purposes.
    fn open(&mut self) {
        self.indent += 1;
        self.last_end = None;
    }

    fn close(&mut self, block_end: u32) {
        self.flush_comments(block_end);
        self.indent -= 1;
        self.line("}");
        self.last_end = Some(block_end);
    }
}


/// Canonical spelling of a duration: the largest unit that divides it evenly.
pub fn duration_text(ms: u64) -> String {
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// Canonical spelling of a size: the largest binary unit that divides it evenly.
pub fn size_text(bytes: u64) -> String {
    for (unit, size) in [("TiB", 1u64 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_blank_lines() {
        let src = "const A: int = 3\n\nconst B: int = 4\n";
        let (m, _) = crate::syntax::source_to_ast(crate::source::FileId(0), src);
        let spans: Vec<(u32, u32)> = m.items.iter().map(|i| (i.span.start, i.span.end)).collect();
        assert_eq!(spans, vec![(0, 16), (18, 34)]);
        assert_eq!(super::format_source("a", src).unwrap(), src);
    }
}
