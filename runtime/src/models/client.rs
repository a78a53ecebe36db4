//! Requests to models: OpenAI-compatible chat completions with per-token log-probs, scored texts
//! (`echo` completions), and embeddings. Each request is cached by the BLAKE3 of its model and body
//! (the API key is not part of it), so a rerun or a retried node reuses finished calls. Over HTTP,
//! 429, 5xx and connection failures are retried with exponential backoff and at most
//! `concurrency` requests per endpoint are in flight; the API key is read from the environment
//! when sending and appears in no file or message. Local models answer the same requests in process.

use super::{Endpoint, Target};
use crate::data::Value;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// One completion: its text and the sum of its tokens' log-probs (None when the server gave none).
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub logprob: Option<f64>,
    /// Prompt and completion tokens the server reported.
    pub tokens: (u64, u64),
    /// Served from the request cache (no call made).
    pub cached: bool,
}

pub struct Client {
    runtime: crate::blocking::OwnedRuntime,
    http: reqwest::Client,
    /// `<cache>/requests`: one JSON file per request key.
    cache: PathBuf,
    local: super::local::Local,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("models::Client")
    }
}

const ATTEMPTS: u32 = 5;

impl Client {
    pub fn new(cache: PathBuf) -> Result<Client, String> {
        // HTTPS through rustls with the ring provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = crate::blocking::OwnedRuntime::new()?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Client { runtime, http, cache, local: Default::default() })
    }

    /// Chat completions for `prompts` (one user message each, with its seed), in order.
    pub fn chat(&self, endpoint: &Endpoint, prompts: &[(String, i64)], max_tokens: i64, temperature: f64) -> Vec<Result<Completion, String>> {
        let conversations: Vec<(Value, i64)> = prompts.iter().map(|(prompt, seed)| (json!([{"role": "user", "content": prompt}]), *seed)).collect();
        self.converse(endpoint, &conversations, max_tokens, temperature)
    }

    /// The assistant's next turn in each conversation (a JSON list of `{role, content}`
    /// messages, with its seed), in order.
    pub fn converse(&self, endpoint: &Endpoint, conversations: &[(Value, i64)], max_tokens: i64, temperature: f64) -> Vec<Result<Completion, String>> {
        let bodies = conversations.iter().map(|(messages, seed)| {
            json!({
                "model": endpoint.model,
                "messages": messages,
                "max_tokens": max_tokens, "temperature": temperature, "seed": seed, "logprobs": true,
            })
        });
        self.requests(endpoint, "/v1/chat/completions", bodies).into_iter().map(|r| r.and_then(|(response, cached)| completion(&response).map(|c| Completion { cached, ..c }))).collect()
    }

    /// The log-probability of each `text` right after its `prefix`, asked as vLLM and lm-eval do:
    /// a completion of `prefix + text` with `echo` and per-token log-probs, summed over the tokens
    /// that start inside `text` (character offsets). `logprob` is that sum, `tokens.0` their count.
    pub fn score(&self, endpoint: &Endpoint, items: &[(String, String)]) -> Vec<Result<Completion, String>> {
        let bodies = items.iter().map(|(prefix, text)| json!({"model": endpoint.model, "prompt": format!("{prefix}{text}"), "echo": true, "logprobs": 0, "max_tokens": 1, "temperature": 0.0}));
        let answers = self.requests(endpoint, "/v1/completions", bodies);
        answers.into_iter().zip(items).map(|(a, (prefix, text))| a.and_then(|(v, cached)| scored(&v, prefix.chars().count(), prefix.chars().count() + text.chars().count()).map(|c| Completion { cached, ..c }))).collect()
    }

    /// Relevance scores of `documents` for `query` from `/v1/rerank` (vLLM, TEI, llama.cpp
    /// `--reranking`, `pipec serve`), in the documents' order.
    pub fn rerank(&self, endpoint: &Endpoint, query: &str, documents: &[String]) -> Result<Vec<f64>, String> {
        let body = json!({"model": endpoint.model, "query": query, "documents": documents});
        let (answer, _) = self.requests(endpoint, "/v1/rerank", std::iter::once(body)).pop().ok_or("no rerank answer")??;
        let mut scores = vec![None; documents.len()];
        for r in answer.get("results").and_then(Value::as_array).ok_or("the rerank answer has no `results`")? {
            let (Some(i), Some(s)) = (r.get("index").and_then(Value::as_u64), r.get("relevance_score").and_then(Value::as_f64)) else { return Err(format!("a rerank result without `index` and `relevance_score`: {r}")) };
            *scores.get_mut(i as usize).ok_or(format!("rerank result index {i} is past the {} documents", documents.len()))? = Some(s);
        }
        scores.into_iter().enumerate().map(|(i, s)| s.ok_or(format!("the rerank answer has no score for document {i}"))).collect()
    }

    /// Embedding vectors of `texts`, requested in batches of 64, in order.
    pub fn embeddings(&self, endpoint: &Endpoint, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        let batches = texts.chunks(64);
        let bodies = batches.clone().map(|batch| json!({"model": endpoint.model, "input": batch}));
        let answers = self.requests(endpoint, "/v1/embeddings", bodies);
        let mut out = Vec::with_capacity(texts.len());
        for (answer, batch) in answers.into_iter().zip(batches) {
            out.extend(vectors(&answer?.0, batch.len())?);
        }
        Ok(out)
    }

    /// Run `f` on the local causal LM `endpoint` names: activation hooks need the weights in this
    /// process, which an HTTP endpoint does not share.
    pub fn with_local_lm<R>(&self, endpoint: &Endpoint, f: impl FnOnce(&pipec_inference::lm::CausalLm) -> Result<R, String>) -> Result<R, String> {
        match &endpoint.target {
            Target::Local(spec) => self.local.with_lm(spec, f),
            Target::Http { base_url, .. } => Err(format!("this needs the model's activations, so a local model (`local(\"model.gguf\")`); {base_url} is an HTTP endpoint")),
        }
    }

    /// Run `f` on the local embedding model `endpoint` names (its token states, for MaxSim).
    pub fn with_local_embedder<R>(&self, endpoint: &Endpoint, f: impl FnOnce(&pipec_inference::embedder::Embedder) -> Result<R, String>) -> Result<R, String> {
        match &endpoint.target {
            Target::Local(spec) => self.local.with_embedder(spec, f),
            Target::Http { base_url, .. } => Err(format!("late interaction (MaxSim) needs token embeddings, so a local embedding model (`local(\"models/all-minilm-l6-v2\", kind: embedding)`); {base_url} is an HTTP endpoint (rerank with `method: yes_no` there)")),
        }
    }

    /// POST every body to `path` (through the cache), at most `endpoint.concurrency` at once;
    /// answers in order, each with whether it came from the cache.
    fn requests(&self, endpoint: &Endpoint, path: &str, bodies: impl Iterator<Item = Value>) -> Vec<Result<(Value, bool), String>> {
        let limit = tokio::sync::Semaphore::new(endpoint.concurrency);
        self.runtime.block_on(async {
            let calls = bodies.map(|body| {
                let limit = &limit;
                async move {
                    let _slot = limit.acquire().await.map_err(|e| e.to_string())?;
                    self.cached(endpoint, path, &body).await
                }
            });
            futures_util::future::join_all(calls).await
        })
    }

    /// The response to `body`, and whether it came from the cache.
    async fn cached(&self, endpoint: &Endpoint, path: &str, body: &Value) -> Result<(Value, bool), String> {
        let model = match &endpoint.target {
            Target::Http { base_url, .. } => base_url.clone(),
            Target::Local(spec) => format!("local:{}", super::local::files_digest(&spec.files())?),
        };
        let key = blake3::hash(format!("{model}{path}\n{body}").as_bytes()).to_hex().to_string();
        let file = self.cache.join(format!("{key}.json"));
        if let Some(v) = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
            return Ok((v, true));
        }
        let v = match &endpoint.target {
            Target::Http { base_url, api_key_env } => self.post(base_url, api_key_env, path, body).await?,
            Target::Local(spec) => self.local.answer(spec, path, body)?,
        };
        let scratch = self.cache.join(".tmp");
        crate::data::atomic::write_bytes(&file, &scratch, v.to_string().as_bytes()).map_err(|e| format!("cannot cache the response in {}: {e}", self.cache.display()))?;
        Ok((v, false))
    }

    async fn post(&self, base_url: &str, api_key_env: &str, path: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{base_url}{path}");
        let key = std::env::var(api_key_env).ok().filter(|k| !k.is_empty());
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
            }
            let mut request = self.http.post(&url).json(body);
            if let Some(k) = &key {
                request = request.bearer_auth(k);
            }
            match request.send().await {
                Ok(r) if r.status().is_success() => return r.json::<Value>().await.map_err(|e| format!("{url}: the answer is not JSON: {e}")),
                Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => last = format!("{url} answered {}", r.status()),
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    return Err(format!("{url} answered {status}: {}", crate::sandbox::tail(&text, 300)));
                }
                Err(e) => last = format!("cannot reach {url}: {}", e.without_url()),
            }
        }
        Err(format!("{last} ({ATTEMPTS} attempts)"))
    }
}

/// The `n` vectors of an embeddings response, by their `index`.
fn vectors(v: &Value, n: usize) -> Result<Vec<Vec<f32>>, String> {
    let data = v.get("data").and_then(Value::as_array).ok_or_else(|| format!("the answer has no data: {}", crate::sandbox::tail(&v.to_string(), 300)))?;
    let mut out = vec![Vec::new(); n];
    for (i, item) in data.iter().enumerate() {
        let at = item.get("index").and_then(Value::as_u64).map_or(i, |x| x as usize);
        let e = item.get("embedding").and_then(Value::as_array).ok_or_else(|| format!("item {at} of the answer has no embedding"))?;
        if let Some(slot) = out.get_mut(at) {
            *slot = e.iter().filter_map(Value::as_f64).map(|x| x as f32).collect();
        }
    }
    match out.iter().position(Vec::is_empty) {
        Some(i) => Err(format!("the answer has no embedding for input {i}")),
        None => Ok(out),
    }
}

/// The summed log-probs of the echoed tokens starting in `from..to` (characters).
fn scored(v: &Value, from: usize, to: usize) -> Result<Completion, String> {
    let lp = v.pointer("/choices/0/logprobs").filter(|l| !l.is_null()).ok_or_else(|| format!("the answer has no log-probs (the server must support `echo` with `logprobs`, as vLLM does): {}", crate::sandbox::tail(&v.to_string(), 300)))?;
    let (Some(offsets), Some(values)) = (lp.get("text_offset").and_then(Value::as_array), lp.get("token_logprobs").and_then(Value::as_array)) else {
        return Err("the answer's log-probs have no `text_offset` and `token_logprobs`".into());
    };
    let (mut sum, mut n) = (0.0, 0u64);
    for (o, l) in offsets.iter().zip(values) {
        let o = o.as_u64().unwrap_or(0) as usize;
        if (from..to).contains(&o) {
            sum += l.as_f64().ok_or("a scored token has no log-prob (the text must not start the prompt)")?;
            n += 1;
        }
    }
    Ok(Completion { text: String::new(), logprob: Some(sum), tokens: (n, 0), cached: false })
}

/// The first choice of a chat completion response.
fn completion(v: &Value) -> Result<Completion, String> {
    let choice = v.get("choices").and_then(|c| c.get(0)).ok_or_else(|| format!("the answer has no choices: {}", crate::sandbox::tail(&v.to_string(), 300)))?;
    let text = choice.pointer("/message/content").and_then(Value::as_str).unwrap_or_default().to_string();
    let logprob = choice.pointer("/logprobs/content").and_then(Value::as_array).map(|toks| toks.iter().filter_map(|t| t.get("logprob").and_then(Value::as_f64)).sum());
    let count = |k: &str| v.pointer(&format!("/usage/{k}")).and_then(Value::as_u64).unwrap_or(0);
    Ok(Completion { text, logprob, tokens: (count("prompt_tokens"), count("completion_tokens")), cached: false })
}
