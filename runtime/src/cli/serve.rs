//! `pipec serve MODEL...`: pipec's local models as an OpenAI-compatible HTTP server (HTTP/1.1,
//! JSON bodies with Content-Length, one request per connection). POST `/v1/chat/completions`,
//! `/v1/completions` (with `echo` + `logprobs` scoring, as vLLM), `/v1/embeddings` and
//! `/v1/rerank` (MaxSim over the embedding model's token states); GET
//! `/health` and `/v1/models`. A GGUF file serves the LM routes, a folder the embeddings. The
//! answers are the ones `pipec run` computes in process (`models::local`).

use crate::data::Value;
use crate::models::local::{Kind, Local, Spec};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub struct Args {
    pub models: Vec<PathBuf>,
    pub host: String,
    pub port: u16,
}

/// The models served, one per kind.
struct Served {
    lm: Option<Spec>,
    embedding: Option<Spec>,
    local: Local,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut served = Served { lm: None, embedding: None, local: Local::default() };
    for path in &args.models {
        let mut spec = match Spec::resolve("served", &path.display().to_string(), "lm", &std::env::current_dir().unwrap_or_default()) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return 2;
            }
        };
        if spec.path.is_dir() {
            spec.kind = Kind::Embedding;
        }
        // Load now, so a broken model fails at start and not at the first request.
        let probe = match spec.kind {
            Kind::Lm => served.local.answer(&spec, "/v1/completions", &json!({"prompt": "Hi", "max_tokens": 1, "temperature": 0.0})),
            Kind::Embedding => served.local.answer(&spec, "/v1/embeddings", &json!({"input": ["Hi"]})),
        };
        if let Err(e) = probe {
            let _ = writeln!(err, "error: {e}");
            return 1;
        }
        match spec.kind {
            Kind::Lm => served.lm = Some(spec),
            Kind::Embedding => served.embedding = Some(spec),
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the server's runtime: {e}");
            return 1;
        }
    };
    let served = Arc::new(served);
    runtime.block_on(async {
        let listener = match TcpListener::bind((args.host.as_str(), args.port)).await {
            Ok(l) => l,
            Err(e) => {
                let _ = writeln!(err, "error: cannot listen on {}:{}: {e}", args.host, args.port);
                return 1;
            }
        };
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(out, "pipec serve: listening on http://{addr}");
        let _ = out.flush();
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let served = served.clone();
            tokio::spawn(async move {
                let _ = connection(stream, served).await;
            });
        }
    })
}

async fn connection(stream: TcpStream, served: Arc<Served>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or_default().to_string());
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(64 << 20)];
    reader.read_exact(&mut body).await?;
    let (status, answer) = route(&method, &path, &body, served).await;
    let text = answer.to_string();
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", text.len());
    write.write_all(head.as_bytes()).await?;
    write.write_all(text.as_bytes()).await?;
    write.shutdown().await
}

fn error(status: &'static str, message: String) -> (&'static str, Value) {
    (status, json!({"error": {"message": message, "type": "invalid_request_error"}}))
}

async fn route(method: &str, path: &str, body: &[u8], served: Arc<Served>) -> (&'static str, Value) {
    let path = path.split('?').next().unwrap_or_default();
    match (method, path) {
        ("GET", "/health") => return ("200 OK", json!({"status": "ok"})),
        ("GET", "/v1/models") => {
            let data: Vec<Value> = [&served.lm, &served.embedding].into_iter().flatten().map(|s| json!({"id": s.path.file_name().map(|f| f.to_string_lossy().into_owned()), "object": "model", "owned_by": "pipec"})).collect();
            return ("200 OK", json!({"object": "list", "data": data}));
        }
        ("POST", _) => {}
        _ => return error("404 Not Found", format!("no route {method} {path}")),
    }
    let spec = match path {
        "/v1/chat/completions" | "/v1/completions" => served.lm.clone(),
        "/v1/embeddings" | "/v1/rerank" => served.embedding.clone(),
        _ => return error("404 Not Found", format!("no route POST {path}")),
    };
    let Some(spec) = spec else { return error("404 Not Found", format!("no model served for {path} (serve a GGUF file for completions, a sentence-transformers folder for embeddings and rerank)")) };
    let body: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return error("400 Bad Request", format!("the body is not JSON: {e}")),
    };
    let path = path.to_string();
    // The model computes on every core: one request at a time, off the async threads.
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE.lock().await;
    match tokio::task::spawn_blocking(move || served.local.answer(&spec, &path, &body)).await {
        Ok(Ok(v)) => ("200 OK", v),
        Ok(Err(e)) => error("400 Bad Request", e),
        Err(e) => error("500 Internal Server Error", e.to_string()),
    }
}
