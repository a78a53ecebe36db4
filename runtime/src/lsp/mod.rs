//! `pipec lsp`: a language server over stdio (rust-analyzer's `lsp-server` for framing; payloads
//! are plain JSON). Full-document sync; diagnostics are published on open, change and close, once
//! per burst of queued edits; hover, go to definition, document symbols, completion and
//! formatting answer from `analysis`.

mod analysis;

use lsp_server::{Connection, Message, Notification, Request, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn run() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    let capabilities = json!({
        "textDocumentSync": 1,
        "hoverProvider": true,
        "definitionProvider": true,
        "documentSymbolProvider": true,
        "documentFormattingProvider": true,
        "completionProvider": {"triggerCharacters": ["."]},
    });
    connection.initialize(capabilities).map_err(|e| format!("the editor did not initialise: {e}"))?;
    // Open documents by path, and those whose diagnostics are due.
    let mut docs: HashMap<String, String> = HashMap::new();
    let memo = pipec_compiler::syntax::incremental::ParseMemo::default();
    let mut due: Vec<String> = Vec::new();
    let publish = |docs: &HashMap<String, String>, due: &mut Vec<String>| -> Result<(), String> {
        for path in due.drain(..) {
            let params = json!({"uri": analysis::uri(&path), "diagnostics": analysis::diagnostics(&path, docs, &memo)});
            connection.sender.send(Message::Notification(Notification::new("textDocument/publishDiagnostics".into(), params))).map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    loop {
        // Block for the next message only when nothing is due; a burst of edits (one per
        // keystroke) is applied in full and checked once.
        let message = match connection.receiver.try_recv() {
            Ok(m) => m,
            Err(_) => {
                publish(&docs, &mut due)?;
                match connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                }
            }
        };
        match message {
            Message::Request(request) => {
                publish(&docs, &mut due)?;
                if connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                    break;
                }
                let response = Response::new_ok(request.id.clone(), answer(&docs, &request));
                connection.sender.send(Message::Response(response)).map_err(|e| e.to_string())?;
            }
            Message::Notification(n) => {
                if let Some(path) = update(&mut docs, &n)
                    && !due.contains(&path)
                {
                    due.push(path);
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    io.join().map_err(|e| e.to_string())
}

/// Apply a document notification; returns the path whose diagnostics changed.
fn update(docs: &mut HashMap<String, String>, n: &Notification) -> Option<String> {
    let path = analysis::path(n.params.pointer("/textDocument/uri")?.as_str()?);
    match n.method.as_str() {
        "textDocument/didOpen" => {
            docs.insert(path.clone(), n.params.pointer("/textDocument/text")?.as_str()?.to_string());
        }
        "textDocument/didChange" => {
            // Full sync: the last change holds the whole text.
            let text = n.params.get("contentChanges")?.as_array()?.last()?.get("text")?.as_str()?;
            docs.insert(path.clone(), text.to_string());
        }
        "textDocument/didClose" => {
            docs.remove(&path);
        }
        _ => return None,
    }
    Some(path)
}

fn answer(docs: &HashMap<String, String>, request: &Request) -> Value {
    let params = &request.params;
    let Some(path) = params.pointer("/textDocument/uri").and_then(Value::as_str).map(analysis::path) else { return Value::Null };
    let Some(text) = docs.get(&path) else { return Value::Null };
    let at = || {
        let line = params.pointer("/position/line").and_then(Value::as_u64).unwrap_or(0) as usize;
        let character = params.pointer("/position/character").and_then(Value::as_u64).unwrap_or(0) as usize;
        analysis::offset(text, line, character)
    };
    match request.method.as_str() {
        "textDocument/hover" => analysis::hover(&path, text, at(), docs).unwrap_or(Value::Null),
        "textDocument/definition" => analysis::definition(&path, text, at(), docs).map_or(Value::Null, |(file, range)| json!({"uri": analysis::uri(file.as_deref().unwrap_or(&path)), "range": range})),
        "textDocument/documentSymbol" => Value::Array(analysis::symbols(text)),
        "textDocument/completion" => Value::Array(analysis::completion(&path, text, at(), docs)),
        "textDocument/formatting" => Value::Array(analysis::format(&path, text)),
        _ => Value::Null,
    }
}
