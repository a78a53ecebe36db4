//! Models at run time. A `model NAME = openai(...)` or `local(...)` declaration becomes an
//! `Endpoint` (its arguments evaluated, defaults from the builtin's signature); `client::Client`
//! sends it OpenAI-shaped requests with a request cache: over HTTP with retries, or in process to
//! a local model (`local::Local`), which answers the same requests (and `pipec serve` serves it).

pub mod client;
pub mod local;

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
use pipec_compiler::builtins::sig::SigTy;
use pipec_compiler::builtins::{Namespace, lookup};
use serde_json::Map;

/// Where a model's requests go.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// An OpenAI-compatible server; `api_key_env` names the environment variable holding the API
    /// key (the key itself is read only when sending).
    Http { base_url: String, api_key_env: String },
    /// Model files on this machine, answered in process.
    Local(local::Spec),
}

/// A model as declared: where its requests go and the request defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub target: Target,
    pub model: String,
    pub temperature: f64,
    pub max_tokens: i64,
    pub concurrency: usize,
    /// The embedding width the declaration promises (`dim:`), checked against what comes back.
    pub dim: Option<usize>,
}

/// The endpoint behind `model NAME`, as seen from the evaluator's module; relative local paths
/// start at `dir` (the folder of the `.pipe` file).
pub fn endpoint(eval: &Evaluator, name: &str, dir: &std::path::Path) -> Result<Endpoint, String> {
    let (ctor, args) = declared(eval, name)?;
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string).unwrap_or_default();
    let dim = args.get("dim").and_then(Value::as_u64).map(|d| d as usize);
    if ctor == "local" {
        let spec = local::Spec::resolve(name, &text("path"), &text("kind"), dir)?;
        let model = spec.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok(Endpoint { target: Target::Local(spec), model, temperature: 0.0, max_tokens: 1024, concurrency: 1, dim });
    }
    let base_url = text("base_url");
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!("model `{name}`: base_url \"{base_url}\" must start with http:// or https://"));
    }
    Ok(Endpoint {
        target: Target::Http { base_url: base_url.trim_end_matches('/').to_string(), api_key_env: text("api_key") },
        model: text("model"),
        temperature: args.get("temperature").and_then(Value::as_f64).unwrap_or(0.0),
        max_tokens: args.get("max_tokens").and_then(Value::as_i64).unwrap_or(1024),
        concurrency: args.get("concurrency").and_then(Value::as_u64).unwrap_or(8).max(1) as usize,
        dim,
    })
}

/// The files behind declaration `q` when it is a `local(...)` model the node can name (its
/// identity in the node's cache key); relative paths start at `dir`.
pub fn local_spec(plan: &pipec_compiler::plan::Plan, node: &pipec_compiler::plan::Node, dir: &std::path::Path, q: &str) -> Result<Option<local::Spec>, String> {
    let Some(def) = plan.definitions.get(q) else { return Ok(None) };
    let ItemKind::Model(binding) = &def.item.kind else { return Ok(None) };
    let ExprKind::Call(callee, _) = &binding.value.kind else { return Ok(None) };
    if !matches!(&callee.kind, ExprKind::Name(n) if n.name == "local") {
        return Ok(None);
    }
    let eval = Evaluator::for_node(plan, node, &std::collections::HashMap::new());
    Ok(match endpoint(&eval, &binding.name.name, dir)?.target {
        Target::Local(spec) => Some(spec),
        Target::Http { .. } => None,
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
        let param = match &a.name {
            Some(n) => sig.params.iter().find(|p| p.name == n.name),
            None => sig.params.get(i),
        };
        let key = a.name.as_ref().map(|n| n.name.clone()).unwrap_or_else(|| param.map(|p| p.name.to_string()).unwrap_or_default());
        // A word for a symbol parameter (`kind: embedding`) is that word.
        let value = match (&a.value.kind, param.map(|p| &p.ty)) {
            (ExprKind::Name(word), Some(SigTy::Symbols(_))) => Value::String(word.name.clone()),
            _ => eval.value_of_declaration(&a.value, &def.module).map_err(|e| e.message)?,
        };
        out.insert(key, value);
    }
    for p in &sig.params {
        if let (false, Some(d)) = (out.contains_key(p.name), p.default) {
            out.insert(p.name.to_string(), serde_json::from_str(d).unwrap_or_else(|_| Value::String(d.trim_matches('"').to_string())));
        }
    }
    Ok((ctor.name.clone(), out))
}
