//! `pipec lsp` driven over stdio with JSON-RPC, as an editor drives it: diagnostics on open that
//! match `pipec check`, none after the fix, hover, definition (also into imported files),
//! completion (names, and fields after `.`), symbols, formatting, and a clean shutdown.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipec")).arg("lsp").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("pipec lsp starts");
        let (stdin, stdout) = (child.stdin.take().unwrap(), BufReader::new(child.stdout.take().unwrap()));
        Client { child, stdin, stdout, next: 1 }
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed its output");
            if line.trim().is_empty() {
                break;
            }
            if let Some(n) = line.trim().strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.receive();
            if m["id"] == id {
                return m["result"].clone();
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn diagnostics(&mut self) -> Vec<Value> {
        loop {
            let m = self.receive();
            if m["method"] == "textDocument/publishDiagnostics" {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn an_editor_session_gets_diagnostics_hover_definition_completion_and_formatting() {
    let mut lsp = Client::start();
    let caps = lsp.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    assert_eq!(caps["capabilities"]["hoverProvider"], true);
    lsp.notify("initialized", json!({}));

    // Three mistakes, as `pipec check` reports them (tests/ui/three_mistakes.stderr).
    let path = root().join("tests/ui/three_mistakes.pipe");
    let uri = format!("file://{}", path.display());
    let broken = std::fs::read_to_string(&path).unwrap();
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "pipe", "version": 1, "text": broken}}));
    let diags = lsp.diagnostics();
    let mut codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, ["E0302", "E0401", "E0501"], "{diags:#?}");
    let expected = std::fs::read_to_string(root().join("tests/ui/three_mistakes.stderr")).unwrap();
    for d in &diags {
        // The .stderr names each at `file:LINE:COL: error[CODE]`; LSP lines count from 0.
        let line = d["range"]["start"]["line"].as_u64().unwrap() + 1;
        assert!(expected.contains(&format!(":{line}:")) && expected.contains(d["code"].as_str().unwrap()), "{d}");
    }

    // Replace the text with a clean program: no diagnostics.
    let clean = std::fs::read_to_string(root().join("examples/quickstart.pipe")).unwrap();
    lsp.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": clean}]}));
    assert_eq!(lsp.diagnostics(), Vec::<Value>::new());

    // Hover on `dedup` shows its signature and doc; on `long_enough`, its declaration.
    let at = |needle: &str, plus: usize| {
        let offset = clean.find(needle).unwrap() + plus;
        let line = clean[..offset].matches('\n').count();
        let character = offset - clean[..offset].rfind('\n').map_or(0, |i| i + 1);
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
    };
    let hover = lsp.request("textDocument/hover", at("dedup(", 2));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("dedup(input: [T]"), "{hover}");
    let hover = lsp.request("textDocument/hover", at("filter(long_enough", 9));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("fn `long_enough`"), "{hover}");

    // Definition of `raw` in the pipeline is its dataset declaration (line 15, counted from 1).
    let def = lsp.request("textDocument/definition", at("raw |>", 1));
    assert_eq!(def["range"]["start"]["line"], 14, "{def}");

    let completion = lsp.request("textDocument/completion", at("raw |>", 0));
    let labels: Vec<&str> = completion.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"dedup") && labels.contains(&"long_enough") && labels.contains(&"MIN_WORDS"), "{labels:?}");

    let symbols = lsp.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Example", "MIN_WORDS", "raw", "long_enough", "quickstart"]);

    // Formatting a messy version gives one edit whose text is `pipec fmt`'s.
    let messy = clean.replace("const MIN_WORDS: int = 3", "const   MIN_WORDS :int=3");
    lsp.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": messy}]}));
    lsp.diagnostics();
    let edits = lsp.request("textDocument/formatting", json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}));
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(edits[0]["newText"], clean);

    // Names from the stdlib: `format` in the G-RA example is std.rewards' step reward; its
    // definition opens the module's text.
    let gra_path = root().join("examples/swe_gated_rewards.pipe");
    let gra_uri = format!("file://{}", gra_path.display());
    let gra = std::fs::read_to_string(&gra_path).unwrap();
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": gra_uri, "languageId": "pipe", "version": 1, "text": gra}}));
    assert_eq!(lsp.diagnostics(), Vec::<Value>::new());
    let offset = gra.find("sum(format)").unwrap() + 5;
    let line = gra[..offset].matches('\n').count();
    let pos = json!({"textDocument": {"uri": gra_uri}, "position": {"line": line, "character": offset - gra[..offset].rfind('\n').unwrap() - 1}});
    let hover = lsp.request("textDocument/hover", pos.clone());
    assert!(hover["contents"]["value"].as_str().unwrap().contains("reward `format` (step level), from std.rewards"), "{hover}");
    let def = lsp.request("textDocument/definition", pos);
    let target = def["uri"].as_str().unwrap().strip_prefix("file://").unwrap().to_string();
    assert!(target.ends_with("rewards.pipe"), "{def}");
    let module = std::fs::read_to_string(&target).unwrap();
    let decl_line = module.lines().position(|l| l.starts_with("reward format(")).unwrap();
    assert_eq!(def["range"]["start"]["line"], decl_line, "{def}");

    lsp.request("shutdown", Value::Null);
    lsp.notify("exit", Value::Null);
    assert!(lsp.child.wait().unwrap().success());
}

#[test]
fn definitions_reach_imported_files_and_completion_after_a_dot_lists_fields() {
    let mut lsp = Client::start();
    lsp.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    lsp.notify("initialized", json!({}));
    let path = root().join("tests/lsp/main.pipe");
    let uri = format!("file://{}", path.display());
    let text = std::fs::read_to_string(&path).unwrap();
    lsp.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "pipe", "version": 1, "text": text}}));
    assert_eq!(lsp.diagnostics(), Vec::<Value>::new());
    let at = |needle: &str, plus: usize| {
        let offset = text.find(needle).unwrap() + plus;
        let line = text[..offset].matches('\n').count();
        let character = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
    };
    // `Query` in `[Query]` is declared in common.pipe (line 3, counted from 0).
    let def = lsp.request("textDocument/definition", at("[Query]", 2));
    assert_eq!(def["uri"], format!("file://{}", root().join("tests/lsp/common.pipe").display()), "{def}");
    assert_eq!(def["range"]["start"]["line"], 2, "{def}");
    let hover = lsp.request("textDocument/hover", at("[Query]", 2));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("common.pipe"), "{hover}");
    let labels = |c: Value| -> Vec<String> { c.as_array().unwrap().iter().map(|x| x["label"].as_str().unwrap().to_string()).collect() };
    // Right after `q.` (a Query parameter) and after `r.` (a Retrieved<Query>).
    assert_eq!(labels(lsp.request("textDocument/completion", at("q.question", 2))), ["id", "question", "relevant"]);
    let fields = labels(lsp.request("textDocument/completion", at("r.query", 2)));
    assert_eq!(fields, ["candidates", "latency_ms", "passages", "query"]);
    lsp.request("shutdown", Value::Null);
    lsp.notify("exit", Value::Null);
    assert!(lsp.child.wait().unwrap().success());
}
