//! What the language server answers, as pure functions of document texts: diagnostics (the
//! checker's, on LSP ranges), hover (builtin signatures and docs, declared items), definitions
//! (this file's items and the stdlib's) and symbols, completion (builtins and the file's names)
//! and formatting.
//! Positions are LSP's: 0-based lines, UTF-16 columns.

use pipec_compiler::builtins::{self, Namespace};
use pipec_compiler::diagnostics::Severity;
use pipec_compiler::sema::check::kind_word;
use pipec_compiler::ast::{Item, ItemKind, ModuleRef, TypeExpr, TypeExprKind};
use pipec_compiler::sema::ty::GENERIC_RECORDS;
use pipec_compiler::source::{FileId, SourceLoader, join_relative};
use pipec_compiler::syntax::incremental::ParseMemo;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Open documents by path win over the disk, so imports see unsaved edits; parses go through
/// the server's memo, so an edit re-parses only the items it touched.
struct Overlay<'a>(&'a HashMap<String, String>, &'a ParseMemo);

impl SourceLoader for Overlay<'_> {
    fn load(&self, path: &str) -> Result<String, String> {
        match self.0.get(path) {
            Some(text) => Ok(text.clone()),
            None => std::fs::read_to_string(path).map_err(|e| e.to_string()),
        }
    }

    fn parse(&self, name: &str, file: FileId, text: &str) -> (pipec_compiler::ast::Module, pipec_compiler::diagnostics::Diagnostics) {
        self.1.parse(name, file, text)
    }
}

/// The LSP position of byte `offset` in `text`.
pub fn position(text: &str, offset: usize) -> Value {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": before[start..].encode_utf16().count()})
}

/// The byte offset of an LSP position (clamped to the text).
pub fn offset(text: &str, line: usize, character: usize) -> usize {
    let start = text.split_inclusive('\n').take(line).map(str::len).sum::<usize>().min(text.len());
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The LSP range of a span's byte offsets.
fn range(text: &str, start: u32, end: u32) -> Value {
    json!({"start": position(text, start as usize), "end": position(text, end as usize)})
}

/// The checker's diagnostics for the document at `path`, as LSP diagnostics.
pub fn diagnostics(path: &str, docs: &HashMap<String, String>, memo: &ParseMemo) -> Vec<Value> {
    let Some(text) = docs.get(path) else { return Vec::new() };
    let compiled = pipec_compiler::compile(&[(path.to_string(), text.clone())], &Overlay(docs, memo));
    let Some(file) = compiled.sources.find(path) else { return Vec::new() };
    compiled
        .diagnostics
        .iter()
        .filter(|d| d.span().file == file)
        .map(|d| {
            let span = d.span();
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let related: Vec<Value> = d.labels.iter().skip(1).filter(|l| l.span.file == file).map(|l| json!({"location": {"uri": uri(path), "range": range(text, l.span.start, l.span.end)}, "message": l.message})).collect();
            json!({
                "range": range(text, span.start, span.end),
                "severity": if d.severity == Severity::Error { 1 } else { 2 },
                "code": d.code.as_str(),
                "source": "pipec",
                "message": message,
                "relatedInformation": related,
            })
        })
        .collect()
}

/// `file://` URI of a path (and back).
pub fn uri(path: &str) -> String {
    format!("file://{}", path.replace('%', "%25").replace(' ', "%20"))
}

pub fn path(uri: &str) -> String {
    uri.strip_prefix("file://").unwrap_or(uri).replace("%20", " ").replace("%25", "%")
}

/// The identifier around byte `at`, with its span.
fn word_at(text: &str, at: usize) -> Option<(&str, u32, u32)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let at = at.min(text.len());
    let start = text[..at].rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1);
    let end = text[at..].find(|c: char| !is_word(c)).map_or(text.len(), |i| at + i);
    (start < end).then(|| (&text[start..end], start as u32, end as u32))
}

fn items(text: &str) -> Vec<Item> {
    pipec_compiler::syntax::source_to_ast(FileId(0), text).0.items
}

/// Where a declaration was found: this document, another user file (by path), or a stdlib module.
enum Home {
    Here,
    File(String),
    Std(&'static str),
}

/// Where `word` is declared: this document, else a file it imports with `use "./x.pipe"` (open
/// documents over the disk), else a stdlib module (prelude first). The text returned is that
/// declaration's file.
fn declaration(path: &str, text: &str, word: &str, docs: &HashMap<String, String>) -> Option<(Item, String, Home)> {
    let named = |i: &Item| i.name().is_some_and(|n| n.name == word);
    let own = items(text);
    if let Some(item) = own.iter().find(|i| named(i)) {
        return Some((item.clone(), text.to_string(), Home::Here));
    }
    for (file, source) in imported(path, &own, docs) {
        if let Some(found) = items(&source).into_iter().find(named) {
            return Some((found, source, Home::File(file)));
        }
    }
    pipec_compiler::stdlib::MODULES.iter().find_map(|(module, source)| items(source).into_iter().find(named).map(|item| (item, source.to_string(), Home::Std(module))))
}

/// The files `items` import with `use "./x.pipe"`, as (path, text): open documents over the disk.
fn imported(path: &str, items: &[Item], docs: &HashMap<String, String>) -> Vec<(String, String)> {
    items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Use(u) => match &u.module {
                ModuleRef::File(rel, _) => Some(join_relative(path, rel)),
                _ => None,
            },
            _ => None,
        })
        .filter_map(|file| {
            let source = docs.get(&file).cloned().or_else(|| std::fs::read_to_string(&file).ok())?;
            Some((file, source))
        })
        .collect()
}

/// A stdlib module written out under the temp folder (once per pipec version), so an editor can
/// open it: the embedded text is what the checker reads.
fn stdlib_file(module: &str, source: &str) -> Option<String> {
    let path = std::env::temp_dir().join(format!("pipec-stdlib-{}", env!("CARGO_PKG_VERSION"))).join(format!("{module}.pipe"));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(source) {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(&path, source).ok()?;
    }
    Some(path.display().to_string())
}

/// Markdown for the name under the cursor: a builtin's signature and doc, or a declared item.
pub fn hover(path: &str, text: &str, at: usize, docs: &HashMap<String, String>) -> Option<Value> {
    let (word, start, end) = word_at(text, at)?;
    let value = if let Some((item, source, home)) = declaration(path, text, word, docs) {
        let level = match &item.kind {
            ItemKind::Reward(r) => r.level.as_ref().map_or(" (composite)".to_string(), |l| format!(" ({} level)", l.name)),
            _ => String::new(),
        };
        let from = match home {
            Home::Here => String::new(),
            Home::File(f) => format!(", from {f}"),
            Home::Std(m) => format!(", from std.{m}"),
        };
        format!("```pipe\n{}\n```\n{} `{word}`{level}{from}", source[item.span.start as usize..item.span.end as usize].lines().next().unwrap_or(""), kind_word(&item.kind))
    } else {
        let b = [Namespace::Value, Namespace::ModelCtor, Namespace::SandboxCtor].into_iter().find_map(|ns| builtins::lookup(ns, word))?;
        format!("```pipe\n{}\n```\n{}\n\nExample: `{}`", b.sig, b.doc, b.example)
    };
    Some(json!({"contents": {"kind": "markdown", "value": value}, "range": range(text, start, end)}))
}

/// Where the name under the cursor is declared: `(path, range)`, the path `None` for this
/// document (a stdlib declaration points into its module's text, written out for the editor).
pub fn definition(path: &str, text: &str, at: usize, docs: &HashMap<String, String>) -> Option<(Option<String>, Value)> {
    let (word, _, _) = word_at(text, at)?;
    let (item, source, home) = declaration(path, text, word, docs)?;
    let name = item.name()?;
    let file = match home {
        Home::Here => None,
        Home::File(f) => Some(f),
        Home::Std(m) => Some(stdlib_file(m, &source)?),
    };
    Some((file, range(&source, name.span.start, name.span.end)))
}

/// LSP SymbolKind numbers for item kinds.
fn symbol_kind(word: &str) -> u32 {
    match word {
        "schema" => 23,
        "enum" => 10,
        "const" => 14,
        "fn" | "verifier" | "reward" => 12,
        "pipeline" | "funnel" => 2,
        _ => 13,
    }
}

pub fn symbols(text: &str) -> Vec<Value> {
    items(text)
        .iter()
        .filter_map(|i| {
            let name = i.name()?;
            Some(json!({"name": name.name, "detail": kind_word(&i.kind), "kind": symbol_kind(kind_word(&i.kind)), "range": range(text, i.span.start, i.span.end), "selectionRange": range(text, name.span.start, name.span.end)}))
        })
        .collect()
}

/// Completion at byte `at`: after `NAME.` the fields of the schema `NAME` is declared with (a
/// dataset's type or a parameter's, through lists and optionals; a generic prelude record also
/// offers the field holding its argument, `Retrieved<Q>` its `query`); after a bare `.` (a field
/// shorthand such as `query: .question`) every field of the file's and the prelude's schemas;
/// elsewhere the file's declared names, then every builtin (with its signature as detail).
pub fn completion(path: &str, text: &str, at: usize, docs: &HashMap<String, String>) -> Vec<Value> {
    let own = items(text);
    if let Some(receiver) = after_dot(text, at) {
        // Schemas with the text they were declared in: this file, the files it imports, the prelude.
        let prelude = pipec_compiler::stdlib::MODULES.iter().find(|(m, _)| *m == "prelude").map_or("", |(_, s)| s).to_string();
        let sources: Vec<String> = std::iter::once(text.to_string()).chain(imported(path, &own, docs).into_iter().map(|(_, s)| s)).chain([prelude]).collect();
        let schemas: Vec<(Item, &str)> = sources.iter().flat_map(|src| items(src).into_iter().filter(|i| matches!(i.kind, ItemKind::Schema(_))).map(move |i| (i, src.as_str()))).collect();
        let fields = |name: &str| -> Vec<(String, String)> {
            schemas.iter().filter(|(i, _)| i.name().is_some_and(|n| n.name == name)).flat_map(|(i, src)| match &i.kind {
                ItemKind::Schema(s) => s.fields.iter().map(|f| (f.name.name.clone(), type_text(src, &f.ty))).collect::<Vec<_>>(),
                _ => Vec::new(),
            }).collect()
        };
        let mut out: Vec<(String, String)> = match receiver.and_then(|r| declared_type(&own, r)) {
            Some(ty) => {
                let (base, arg) = record_of(ty);
                let mut fs = fields(&base);
                if let (Some(arg), Some((_, holders))) = (arg, GENERIC_RECORDS.iter().find(|(n, _)| *n == base)) {
                    fs.extend(holders.iter().map(|(h, list)| (h.to_string(), if *list { format!("[{arg}]") } else { arg.clone() })));
                }
                fs
            }
            None => schemas.iter().flat_map(|(i, _)| fields(&i.name().map(|n| n.name.clone()).unwrap_or_default())).collect(),
        };
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        return out.into_iter().map(|(name, ty)| json!({"label": name, "detail": ty, "kind": 5})).collect();
    }
    let mut out: Vec<Value> = own.iter().filter_map(|i| Some(json!({"label": i.name()?.name, "detail": kind_word(&i.kind), "kind": 6}))).collect();
    for ns in [Namespace::Value, Namespace::ModelCtor, Namespace::SandboxCtor] {
        out.extend(builtins::names(ns).filter_map(|n| builtins::lookup(ns, n)).map(|b| json!({"label": b.name, "detail": b.sig, "documentation": b.doc, "kind": 3})));
    }
    out
}

/// When the cursor follows `.` (and a partly typed field): `Some(Some(receiver))` after `name.`,
/// `Some(None)` after a bare `.`; None elsewhere.
fn after_dot(text: &str, at: usize) -> Option<Option<&str>> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let before = text.get(..at.min(text.len()))?;
    let before = before.trim_end_matches(is_word).strip_suffix('.')?;
    let receiver = &before[before.trim_end_matches(is_word).len()..];
    Some((!receiver.is_empty() && !receiver.starts_with(|c: char| c.is_ascii_digit())).then_some(receiver))
}

/// The type `name` is declared with in the file: a dataset's, or a parameter's.
fn declared_type<'i>(items: &'i [Item], name: &str) -> Option<&'i TypeExpr> {
    items.iter().find_map(|i| match &i.kind {
        ItemKind::Dataset(d) if d.name.name == name => d.ty.as_ref(),
        ItemKind::Fn(f) => f.params.iter().find(|p| p.name.name == name).map(|p| &p.ty),
        ItemKind::Reward(r) => r.params.iter().flatten().find(|p| p.name.name == name).map(|p| &p.ty),
        ItemKind::Funnel(f) => f.params.iter().find(|p| p.name.name == name).map(|p| &p.ty),
        _ => None,
    })
}

/// The record a type names, through lists, and its generic argument as written.
fn record_of(ty: &TypeExpr) -> (String, Option<String>) {
    match &ty.kind {
        TypeExprKind::List(inner) => record_of(inner),
        TypeExprKind::Name(n) | TypeExprKind::GenericInt(n, _) => (n.name.clone(), None),
        TypeExprKind::Generic(n, arg) => (n.name.clone(), Some(record_of(arg).0)),
    }
}

fn type_text(text: &str, ty: &TypeExpr) -> String {
    text.get(ty.span.start as usize..ty.span.end as usize).map_or_else(|| record_of(ty).0, str::to_string)
}

/// One edit replacing the whole document with its formatted text (none when it does not parse).
pub fn format(path: &str, text: &str) -> Vec<Value> {
    match pipec_compiler::fmt::format_source(path, text) {
        Ok(formatted) if formatted != text => vec![json!({"range": range(text, 0, text.len() as u32), "newText": formatted})],
        _ => Vec::new(),
    }
}
