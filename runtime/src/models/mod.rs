//! Models at run time. A `model NAME = openai(...)` declaration becomes an `Endpoint` (its
//! arguments evaluated, defaults from the builtin's signature); `client::Client` talks to it over
//! HTTP with retries and a request cache. Local models (`local(...)`) are not served yet.

pub mod client;

use std::path::PathBuf;
use std::sync::OnceLock;

/// The run's model client, made on first use (its cache is `<cache>/requests`).
#[derive(Debug)]
pub struct Models {
    cache: PathBuf,
    client: OnceLock<Result<client::Client, String>>,
}

impl Models {
    pub fn new(cache: PathBuf) -> Models {
        Models { cache, client: OnceLock::new() }
    }

    pub fn client(&self) -> Result<&client::Client, String> {
        self.client.get_or_init(|| client::Client::new(self.cache.clone())).as_ref().map_err(Clone::clone)
    }
}

use crate::data::Value;
use crate::eval::Evaluator;
use pipec_compiler::ast::{ExprKind, ItemKind};
use pipec_compiler::builtins::{Namespace, lookup};
use serde_json::Map;

/// An OpenAI-compatible endpoint as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub base_url: String,
    pub model: String,
    pub temperature: f64,
    pub max_tokens: i64,
    /// The environment variable holding the API key (the key itself is read only when sending).
    pub api_key_env: String,
    pub concurrency: usize,
    /// The embedding width the declaration promises (`dim:`), checked against what comes back.
    pub dim: Option<usize>,
}

/// The endpoint behind `model NAME`, as seen from the evaluator's module.
pub fn endpoint(eval: &Evaluator, name: &str) -> Result<Endpoint, String> {
    let (ctor, args) = declared(eval, name)?;
    if ctor != "openai" {
        return Err(format!("model `{name}` is `{ctor}(...)`; this build runs models through `openai(...)` endpoints (local models arrive with their issue)"));
    }
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string).unwrap_or_default();
    let base_url = text("base_url");
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!("model `{name}`: base_url \"{base_url}\" must start with http:// or https://"));
    }
    Ok(Endpoint {
        base_url: base_url.trim_end_matches('/').to_string(),
        model: text("model"),
        temperature: args.get("temperature").and_then(Value::as_f64).unwrap_or(0.0),
        max_tokens: args.get("max_tokens").and_then(Value::as_i64).unwrap_or(1024),
        api_key_env: text("api_key"),
        concurrency: args.get("concurrency").and_then(Value::as_u64).unwrap_or(8).max(1) as usize,
        dim: args.get("dim").and_then(Value::as_u64).map(|d| d as usize),
    })
}

/// `model NAME = CTOR(args)`: the constructor and its arguments by name, defaults filled in.
fn declared(eval: &Evaluator, name: &str) -> Result<(String, Map<String, Value>), String> {
    let def = eval.definition(name).ok_or_else(|| format!("`{name}` is not declared"))?;
    let ItemKind::Model(binding) = &def.item.kind else { return Err(format!("`{name}` is not a model")) };
    let ExprKind::Call(callee, args) = &binding.value.kind else { return Err(format!("model `{name}` must be `openai(...)` or `local(...)`")) };
    let ExprKind::Name(ctor) = &callee.kind else { return Err(format!("model `{name}` must be `openai(...)` or `local(...)`")) };
    let sig = lookup(Namespace::ModelCtor, &ctor.name).ok_or_else(|| format!("unknown model constructor `{}`", ctor.name))?.signature();
    let mut out = Map::new();
    for (i, a) in args.iter().enumerate() {
        let key = match &a.name {
            Some(n) => n.name.clone(),
            None => sig.params.get(i).map(|p| p.name.to_string()).unwrap_or_default(),
        };
        out.insert(key, eval.value_of_declaration(&a.value, &def.module).map_err(|e| e.message)?);
    }
    for p in &sig.params {
        if let (false, Some(d)) = (out.contains_key(p.name), p.default) {
            out.insert(p.name.to_string(), serde_json::from_str(d).unwrap_or_else(|_| Value::String(d.trim_matches('"').to_string())));
        }
    }
    Ok((ctor.name.clone(), out))
}
