//! Re-parsing only what an edit touched, for the language server. A `ParseMemo` keeps each file's
//! last cleanly parsed text and items. For a new text it finds the edited byte range (common
//! prefix and suffix), re-parses only the stretch between the nearest untouched items on either
//! side (an item's span covers its attributes, so the gaps between items hold only whitespace and
//! comments, and that stretch parses as a file of its own), keeps the items before it as they
//! are and moves the spans of the items after it by the change in length. Anything unusual (a parse error, a file id that changed,
//! deep nesting) falls back to a full `source_to_ast`, so the answer is always the same as a full
//! parse's.

use super::{PipeParser, Rule, items, source_to_ast, too_deep};
use crate::ast::{Item, Module};
use crate::diagnostics::Diagnostics;
use crate::source::FileId;
use pest::Parser;
use std::collections::HashMap;
use std::sync::Mutex;

/// A file's last clean parse.
struct Parsed {
    file: FileId,
    text: String,
    items: Vec<Item>,
}

/// The last clean parse of each file, by name.
#[derive(Default)]
pub struct ParseMemo {
    last: Mutex<HashMap<String, Parsed>>,
}

impl ParseMemo {
    /// Parse `text` (file `name`, id `file`), reusing the last clean parse of that file.
    pub fn parse(&self, name: &str, file: FileId, text: &str) -> (Module, Diagnostics) {
        let Ok(mut last) = self.last.lock() else { return source_to_ast(file, text) };
        if let Some(p) = last.get(name).filter(|p| p.file == file)
            && let Some(items) = reparse(p, text)
        {
            last.insert(name.to_string(), Parsed { file, text: text.to_string(), items: items.clone() });
            return (Module { items }, Diagnostics::default());
        }
        let (module, diags) = source_to_ast(file, text);
        if diags.has_errors() {
            last.remove(name);
        } else {
            last.insert(name.to_string(), Parsed { file, text: text.to_string(), items: module.items.clone() });
        }
        (module, diags)
    }
}

/// The items of `new` from the last parse `p`, or None to parse in full.
fn reparse(p: &Parsed, new: &str) -> Option<Vec<Item>> {
    let old = p.text.as_str();
    if old == new {
        return Some(p.items.clone());
    }
    let prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    let room = old.len().min(new.len()) - prefix;
    let suffix = old.bytes().rev().zip(new.bytes().rev()).take(room).take_while(|(a, b)| a == b).count();
    let (edit_start, old_end) = (prefix, old.len() - suffix);
    // Items the edit may touch: any that ends at or after its start and starts at or before its end.
    let first = p.items.iter().position(|i| i.span.end as usize >= edit_start).unwrap_or(p.items.len());
    let after = p.items.iter().position(|i| i.span.start as usize > old_end).unwrap_or(p.items.len()).max(first);
    let from = if first == 0 { 0 } else { p.items[first - 1].span.end as usize };
    let to_old = p.items.get(after).map_or(old.len(), |i| i.span.start as usize);
    let delta = new.len() as i64 - old.len() as i64;
    let to_new = usize::try_from(to_old as i64 + delta).ok()?;
    let stretch = new.get(from..to_new)?;
    if too_deep(stretch).is_some() {
        return None;
    }
    let pairs = PipeParser::parse(Rule::file, stretch).ok()?;
    let mut items: Vec<Item> = p.items[..first].to_vec();
    items.extend(items::file_to_items(pairs, p.file, from));
    for item in &p.items[after..] {
        items.push(shifted(item, delta)?);
    }
    Some(items)
}

/// `item` with every span moved by `delta` bytes (through its serialised form, where a span is
/// an object of exactly `file`, `start` and `end`).
fn shifted(item: &Item, delta: i64) -> Option<Item> {
    fn walk(v: &mut serde_json::Value, delta: i64) {
        match v {
            serde_json::Value::Object(m) => {
                if m.len() == 3 && m.contains_key("file") {
                    for k in ["start", "end"] {
                        if let Some(n) = m.get(k).and_then(serde_json::Value::as_i64) {
                            m.insert(k.to_string(), (n + delta).into());
                        }
                    }
                } else {
                    m.values_mut().for_each(|x| walk(x, delta));
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, delta)),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(item).ok()?;
    walk(&mut v, delta);
    serde_json::from_value(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "schema A {\n  x: int\n}\n\n// a comment\n@allow(ungated)\nconst K: int = 3\n\nfn f(a: A) -> int = a.x + K\n\npipeline p {\n  let y = 1\n}\n";

    /// The memo's items must equal a full parse's, span for span.
    fn same_as_full(memo: &ParseMemo, text: &str) {
        let (incremental, d) = memo.parse("t.pipe", FileId(0), text);
        let (full, e) = source_to_ast(FileId(0), text);
        assert_eq!(format!("{:?}", d.into_sorted()), format!("{:?}", e.into_sorted()), "{text}");
        assert_eq!(serde_json::to_string(&incremental.items).unwrap(), serde_json::to_string(&full.items).unwrap(), "{text}");
    }

    #[test]
    fn every_edit_gives_exactly_the_full_parse() {
        let memo = ParseMemo::default();
        same_as_full(&memo, BASE);
        // Inside an item, in a gap, at the very start and end, across items, breaking and mending.
        let edits = [
            BASE.replace("x: int", "x: int\n  y: str"),
            BASE.replace("// a comment", "// a longer comment"),
            format!("// head\n{BASE}"),
            format!("{BASE}\nconst Z: int = 1\n"),
            BASE.replace("}\n\n// a comment", "  z: float\n}\n\n// a comment"),
            BASE.replace("a.x + K", "a.x + "),
            BASE.replace("a.x + K", "a.x * K"),
            BASE.replace("@allow(ungated)", "@eval"),
            BASE.replace("const K: int = 3\n\nfn f", "fn f"),
            BASE.to_string(),
        ];
        for text in &edits {
            same_as_full(&memo, text);
        }
    }
}
