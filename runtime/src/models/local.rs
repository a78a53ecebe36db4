//! Local models answering OpenAI-shaped requests in process: `/v1/chat/completions` and
//! `/v1/completions` (generation with token log-probs; `echo` with `logprobs` scores a given text,
//! as vLLM does) from a GGUF causal LM, `/v1/embeddings` from a sentence-transformers folder.
//! Loaded once per run and kept; each answer is computed on all cores, one request at a time.

use crate::data::Value;
use pipec_compute::kernels::pooling;
use pipec_inference::embedder::Embedder;
use pipec_inference::lm::{CausalLm, Sampling};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What `local(path, kind)` names, with the path resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub path: PathBuf,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Lm,
    Embedding,
}

/// The folder `scripts/fetch-models.sh` fills: `$PIPEC_MODELS`, else `models/` in the working folder.
pub fn models_dir() -> PathBuf {
    std::env::var_os("PIPEC_MODELS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("models"))
}

impl Spec {
    /// `written` relative to `dir`; failing that, a path starting `models/` is looked up in the
    /// models folder. A missing model says which command fetches it.
    pub fn resolve(name: &str, written: &str, kind: &str, dir: &Path) -> Result<Spec, String> {
        let kind = if kind == "embedding" { Kind::Embedding } else { Kind::Lm };
        let direct = dir.join(written);
        let in_models = models_dir().join(Path::new(written).strip_prefix("models").unwrap_or(Path::new(written)));
        let path = [direct.clone(), in_models.clone()].into_iter().find(|p| p.exists()).ok_or_else(|| {
            format!("model `{name}`: {} not found (looked at {} and {}); `scripts/fetch-models.sh` fetches the small models into $PIPEC_MODELS or models/", written, direct.display(), in_models.display())
        })?;
        Ok(Spec { path, kind })
    }

    /// The files the model is made of (its identity in cache keys).
    pub fn files(&self) -> Vec<PathBuf> {
        match self.kind {
            Kind::Lm => vec![self.path.clone()],
            Kind::Embedding => ["config.json", "model.safetensors", "tokenizer.json"].iter().map(|f| self.path.join(f)).collect(),
        }
    }
}

enum Loaded {
    Lm(CausalLm),
    Embedding(Embedder),
}

/// The run's loaded local models, by path.
#[derive(Default)]
pub struct Local {
    loaded: Mutex<HashMap<PathBuf, Arc<Loaded>>>,
}

/// BLAKE3 over a model's files (streamed), the identity its cached answers and its nodes' cache
/// keys are made with. Remembered per process while the files' sizes and times are unchanged.
pub fn files_digest(files: &[PathBuf]) -> Result<String, String> {
    type Stamp = Vec<(PathBuf, u64, Option<std::time::SystemTime>)>;
    static SEEN: Mutex<Vec<(Stamp, String)>> = Mutex::new(Vec::new());
    let stamp: Stamp = files.iter().map(|f| std::fs::metadata(f).map(|m| (f.clone(), m.len(), m.modified().ok())).map_err(|e| format!("cannot read {}: {e}", f.display()))).collect::<Result<_, _>>()?;
    if let Some((_, d)) = SEEN.lock().map_err(|_| "a model hash panicked")?.iter().find(|(s, _)| *s == stamp) {
        return Ok(d.clone());
    }
    let mut hasher = blake3::Hasher::new();
    for f in files {
        std::fs::File::open(f).and_then(|r| hasher.update_reader(r).map(|_| ())).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
    }
    let digest = hasher.finalize().to_hex().to_string();
    SEEN.lock().map_err(|_| "a model hash panicked")?.push((stamp, digest.clone()));
    Ok(digest)
}

impl Local {

    fn get(&self, spec: &Spec) -> Result<Arc<Loaded>, String> {
        let mut loaded = self.loaded.lock().map_err(|_| "a model load panicked".to_string())?;
        if let Some(m) = loaded.get(&spec.path) {
            return Ok(m.clone());
        }
        let m = Arc::new(match spec.kind {
            Kind::Lm => Loaded::Lm(CausalLm::load(&spec.path)?),
            Kind::Embedding => Loaded::Embedding(Embedder::load(&spec.path)?),
        });
        loaded.insert(spec.path.clone(), m.clone());
        Ok(m)
    }

    /// Run `f` on the causal LM `spec` names (loaded once), for what needs the weights themselves.
    pub fn with_lm<R>(&self, spec: &Spec, f: impl FnOnce(&CausalLm) -> Result<R, String>) -> Result<R, String> {
        match &*self.get(spec)? {
            Loaded::Lm(lm) => f(lm),
            Loaded::Embedding(_) => Err(format!("{} is an embedding model, not a causal LM", spec.path.display())),
        }
    }

    /// Run `f` on the embedding model `spec` names (loaded once): late interaction needs its
    /// token states, which `/v1/embeddings` pools away.
    pub fn with_embedder<R>(&self, spec: &Spec, f: impl FnOnce(&Embedder) -> Result<R, String>) -> Result<R, String> {
        match &*self.get(spec)? {
            Loaded::Embedding(e) => f(e),
            Loaded::Lm(_) => Err(format!("{} is a causal LM, not an embedding model", spec.path.display())),
        }
    }

    /// The answer to `body` posted at `route`, as an OpenAI-compatible server gives it.
    pub fn answer(&self, spec: &Spec, route: &str, body: &Value) -> Result<Value, String> {
        let model = self.get(spec)?;
        match (&*model, route) {
            (Loaded::Lm(lm), "/v1/chat/completions") => chat(lm, body),
            (Loaded::Lm(lm), "/v1/completions") => completions(lm, body),
            (Loaded::Embedding(e), "/v1/embeddings") => embeddings(e, body),
            (Loaded::Embedding(e), "/v1/rerank") => rerank(e, body),
            (Loaded::Lm(_), _) => Err(format!("{}: a causal LM answers chat and completions, not {route} (declare an embedding model with kind: embedding)", spec.path.display())),
            (Loaded::Embedding(_), _) => Err(format!("{}: an embedding model answers /v1/embeddings and /v1/rerank, not {route}", spec.path.display())),
        }
    }
}

/// A portable stream of uniforms from the request's seed (SplitMix64), for sampling.
fn uniforms(seed: i64) -> impl FnMut() -> f64 {
    let mut rng = crate::stages::rng::Rng::new(seed);
    move || rng.next_f64()
}

fn sampling(body: &Value) -> Sampling {
    Sampling { max_tokens: body.get("max_tokens").and_then(Value::as_u64).unwrap_or(256) as usize, temperature: body.get("temperature").and_then(Value::as_f64).unwrap_or(1.0) }
}

fn chat(lm: &CausalLm, body: &Value) -> Result<Value, String> {
    let messages = body.get("messages").and_then(Value::as_array).ok_or("the request has no `messages`")?;
    let messages: Vec<(String, String)> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| match (m.get("role").and_then(Value::as_str), m.get("content").and_then(Value::as_str)) {
            (Some(role @ ("system" | "user" | "assistant" | "tool")), Some(content)) => Ok((role.to_string(), content.to_string())),
            _ => Err(format!("message {i} needs a `role` (system, user, assistant or tool) and a string `content`")),
        })
        .collect::<Result<_, _>>()?;
    if messages.is_empty() {
        return Err("the request has no messages".into());
    }
    let mut draw = uniforms(body.get("seed").and_then(Value::as_i64).unwrap_or(0));
    let g = lm.generate(&messages, sampling(body), &mut draw, None)?;
    let content: Vec<Value> = g.tokens.iter().zip(&g.token_logprobs).map(|(t, l)| json!({"token": t, "logprob": l})).collect();
    Ok(json!({
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": g.text}, "finish_reason": g.finish, "logprobs": {"content": content}}],
        "usage": {"prompt_tokens": g.prompt_tokens, "completion_tokens": g.token_logprobs.len(), "total_tokens": g.prompt_tokens + g.token_logprobs.len()},
    }))
}

/// Text completion of a raw prompt. With `echo: true` and `max_tokens: 0` it scores the prompt
/// instead: every prompt token's log-prob (the first is null) and its character offset.
fn completions(lm: &CausalLm, body: &Value) -> Result<Value, String> {
    let prompt = body.get("prompt").and_then(Value::as_str).ok_or("the request has no `prompt` string")?;
    if body.get("echo").and_then(Value::as_bool) == Some(true) {
        let scored = lm.score(prompt)?;
        let tokens: Vec<Value> = scored.iter().map(|t| json!(t.text)).collect();
        let lps: Vec<Value> = scored.iter().map(|t| t.logprob.map_or(Value::Null, |l| json!(l))).collect();
        let offsets: Vec<Value> = scored.iter().map(|t| json!(t.offset)).collect();
        return Ok(json!({
            "object": "text_completion",
            "choices": [{"index": 0, "text": prompt, "finish_reason": "length", "logprobs": {"tokens": tokens, "token_logprobs": lps, "text_offset": offsets}}],
            "usage": {"prompt_tokens": scored.len(), "completion_tokens": 0, "total_tokens": scored.len()},
        }));
    }
    let mut draw = uniforms(body.get("seed").and_then(Value::as_i64).unwrap_or(0));
    let g = lm.complete(prompt, sampling(body), &mut draw)?;
    Ok(json!({
        "object": "text_completion",
        "choices": [{"index": 0, "text": g.text, "finish_reason": g.finish, "logprobs": {"tokens": g.tokens, "token_logprobs": g.token_logprobs}}],
        "usage": {"prompt_tokens": g.prompt_tokens, "completion_tokens": g.token_logprobs.len(), "total_tokens": g.prompt_tokens + g.token_logprobs.len()},
    }))
}

/// `/v1/rerank` in the shape vLLM, TEI and llama.cpp serve (`{query, documents, top_n}` ->
/// `results: [{index, relevance_score}]`, best first): late interaction (MaxSim) of the query's
/// token states against each document's, since no registry package ships a cross-encoder.
fn rerank(e: &Embedder, body: &Value) -> Result<Value, String> {
    let query = body.get("query").and_then(Value::as_str).ok_or("the request has no `query` string")?;
    let documents = body.get("documents").and_then(Value::as_array).ok_or("the request has no `documents` list")?;
    let mut texts: Vec<String> = documents.iter().enumerate().map(|(i, d)| d.as_str().map(str::to_string).ok_or(format!("document {i} is not a string"))).collect::<Result<_, _>>()?;
    texts.push(query.to_string());
    let vectors = crate::retrieval::maxsim::token_vectors(e, &texts)?;
    let (query, documents) = vectors.split_last().ok_or("nothing to rerank")?;
    let mut results = documents.iter().enumerate().map(|(i, d)| Ok((i, crate::retrieval::maxsim::score(&pipec_compute::Backend::Cpu, query, d, e.width())?))).collect::<Result<Vec<_>, String>>()?;
    results.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    results.truncate(body.get("top_n").and_then(Value::as_u64).map_or(results.len(), |n| n as usize));
    Ok(json!({"object": "list", "results": results.into_iter().map(|(i, s)| json!({"index": i, "relevance_score": s})).collect::<Vec<_>>()}))
}

/// Mean-pooled, L2-normalised sentence embeddings (sentence-transformers' MiniLM recipe), pooled
/// on the CPU twin of pipec's pooling kernel.
fn embeddings(e: &Embedder, body: &Value) -> Result<Value, String> {
    let texts: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|t| t.as_str().map(str::to_string).ok_or("`input` must hold strings")).collect::<Result<_, _>>()?,
        _ => return Err("the request has no `input`".into()),
    };
    let width = e.width();
    let mut out = vec![Vec::new(); texts.len()];
    let mut tokens = 0;
    e.states(&texts, |b| {
        tokens += b.mask.iter().filter(|m| **m).count();
        let pooled = pooling::pool(&pipec_compute::Backend::Cpu, &b.states, &b.mask, b.tokens, width, width)?;
        for (row, v) in b.rows.iter().zip(pooled.chunks(width)) {
            out[*row] = v.to_vec();
        }
        Ok(())
    })?;
    let data: Vec<Value> = out.into_iter().enumerate().map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v})).collect();
    Ok(json!({"object": "list", "data": data, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
}
