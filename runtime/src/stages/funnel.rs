//! `retrieve(queries, funnel, query)`: runs a funnel's stages for every query, coarse to fine.
//! A stage is a chain of unit operations — `bm25`, `dense`, `rerank`, `chunk`, `documents`,
//! `aggregate` — over the corpus (`kb.clusters`) or an earlier stage's units; any other
//! expression is evaluated with the funnel's parameter bound to the query text. Work that does
//! not depend on the query is done once per node: a BM25 index per distinct unit list, an
//! embedding (or token-state matrix) per distinct text and model. Each output record is the
//! query's `Retrieved`: the last stage's units as passages, each stage's latency and candidate
//! count; `logs/<node>/funnel.json` has their means per stage.

use super::{Ctx, Output, StageError, items, passages};
use crate::data::Value;
use crate::models::Endpoint;
use crate::retrieval::{bm25::Bm25, maxsim, units};
use pipec_compiler::ast::{Arg, BinOp, Expr, ExprKind, FunnelDecl, ItemKind};
use pipec_compiler::builtins::{Namespace, lookup};
use pipec_compute::kernels::topk;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// The unit operations a funnel stage may chain.
const OPS: &[&str] = &["bm25", "dense", "rerank", "chunk", "documents", "aggregate"];

pub fn retrieve(ctx: &Ctx) -> Output {
    let queries = ctx.rows("queries")?;
    let Some(ExprKind::Name(name)) = ctx.expr("funnel").map(|e| &e.kind) else { return Err(StageError::Message("`retrieve` needs a funnel by name".into())) };
    let def = ctx.eval.definition(&name.name).ok_or_else(|| StageError::Message(format!("`{}` is not in the plan", name.name)))?;
    let ItemKind::Funnel(funnel) = &def.item.kind else { return Err(StageError::Message(format!("`{}` is not a funnel", name.name))) };
    let query = ctx.required_function("query")?;
    let mut runner = Runner { ctx, funnel, module: def.module.clone(), query: String::new(), sparse: HashMap::new(), vectors: HashMap::new(), tokens: HashMap::new() };
    let mut out = Vec::with_capacity(items(&queries).len());
    let mut totals = vec![(0.0f64, 0usize); funnel.stages.len()];
    for (i, row) in items(&queries).iter().enumerate() {
        let Value::String(text) = ctx.apply(&query, row)? else { return Err(StageError::Message(format!("query record {i}: the query is not a string"))) };
        runner.query = text;
        let mut done: Vec<(String, Arc<Vec<Value>>)> = Vec::with_capacity(funnel.stages.len());
        let (mut latency, mut candidates) = (Vec::new(), Vec::new());
        for (s, stage) in funnel.stages.iter().enumerate() {
            let start = Instant::now();
            let found = runner.units(&stage.value, &done).map_err(|e| at(e, &stage.name.name, i))?;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            latency.push(ms);
            candidates.push(found.len());
            totals[s].0 += ms;
            totals[s].1 += found.len();
            done.push((stage.name.name.clone(), Arc::new(found)));
        }
        let last = done.last().map(|(_, u)| u.iter().map(units::to_passage).collect::<Vec<_>>()).unwrap_or_default();
        out.push(json!({"passages": last, "latency_ms": latency, "candidates": candidates, "query": row}));
    }
    if let Some(dir) = ctx.log_dir() {
        let n = out.len().max(1) as f64;
        let stages: Vec<Value> = funnel.stages.iter().zip(&totals).map(|(s, (ms, c))| json!({"stage": s.name.name, "mean_latency_ms": ms / n, "mean_candidates": *c as f64 / n})).collect();
        std::fs::create_dir_all(&dir).and_then(|_| crate::data::atomic::write_bytes(&dir.join("funnel.json"), &ctx.env.scratch, serde_json::to_string_pretty(&json!({"funnel": funnel.name.name, "queries": out.len(), "stages": stages})).unwrap_or_default().as_bytes())).map_err(|e| StageError::Message(format!("cannot write the funnel log: {e}")))?;
    }
    Ok(Value::Array(out))
}

/// A failure inside a funnel stage, said with the stage and query it happened at.
fn at(e: StageError, stage: &str, query: usize) -> StageError {
    match e {
        StageError::Message(m) => StageError::Message(format!("funnel stage `{stage}`, query record {query}: {m}")),
        other => other,
    }
}

type Fail = StageError;

struct Runner<'c, 'a> {
    ctx: &'c Ctx<'a>,
    funnel: &'a FunnelDecl,
    module: String,
    /// The text of the query being run.
    query: String,
    /// BM25 indexes by unit-list fingerprint and parameters.
    sparse: HashMap<String, Arc<Bm25>>,
    /// Normalised embeddings by (model, text).
    vectors: HashMap<(String, String), Arc<Vec<f32>>>,
    /// Normalised token vectors by (model, text), for MaxSim.
    tokens: HashMap<(String, String), Arc<Vec<f32>>>,
}

impl Runner<'_, '_> {
    /// The units `e` gives for the current query, given the stages done so far.
    fn units(&mut self, e: &Expr, done: &[(String, Arc<Vec<Value>>)]) -> Result<Vec<Value>, Fail> {
        match &e.kind {
            ExprKind::Paren(x) => self.units(x, done),
            ExprKind::Name(n) if done.iter().any(|(s, _)| *s == n.name) => Ok(done.iter().rev().find(|(s, _)| *s == n.name).map(|(_, u)| u.as_ref().clone()).unwrap_or_default()),
            ExprKind::Binary(BinOp::Pipe, lhs, rhs) => {
                let (callee, args): (&Expr, &[Arg]) = match &rhs.kind {
                    ExprKind::Call(f, a) => (f, a),
                    _ => (rhs, &[]),
                };
                let input = self.units(lhs, done)?;
                self.op(callee, Some(input), args, done)
            }
            ExprKind::Call(callee, args) if op_name(callee).is_some() => self.op(callee, None, args, done),
            _ => match self.value(e)? {
                Value::Array(a) => Ok(a),
                other => Err(format!("expected a list of units here, found {}", crate::data::validate::describe(&other)).into()),
            },
        }
    }

    /// A plain expression with the funnel's parameter bound to the query text.
    fn value(&self, e: &Expr) -> Result<Value, Fail> {
        let bound: Vec<(String, Value)> = self.funnel.params.iter().map(|p| (p.name.name.clone(), Value::String(self.query.clone()))).collect();
        Ok(self.ctx.eval.value_with(e, &bound, &self.module)?)
    }

    fn op(&mut self, callee: &Expr, piped: Option<Vec<Value>>, args: &[Arg], done: &[(String, Arc<Vec<Value>>)]) -> Result<Vec<Value>, Fail> {
        let name = op_name(callee).ok_or_else(|| format!("`{}` is not a funnel operation ({})", expr_name(callee), OPS.join(", ")))?;
        let bound = bind(name, piped.is_some(), args)?;
        let input = match piped {
            Some(u) => u,
            None => self.units(bound.get("units").ok_or("the units to score are missing")?, done)?,
        };
        let int = |r: &Self, k: &str, default: i64| -> Result<i64, Fail> {
            match bound.get(k) {
                None => Ok(default),
                Some(e) => r.value(e)?.as_i64().ok_or_else(|| format!("`{k}` should be an integer").into()),
            }
        };
        let float = |r: &Self, k: &str, default: f64| -> Result<f64, Fail> {
            match bound.get(k) {
                None => Ok(default),
                Some(e) => r.value(e)?.as_f64().ok_or_else(|| format!("`{k}` should be a number").into()),
            }
        };
        let text = |r: &Self| -> Result<String, Fail> {
            match bound.get("query").map(|e| r.value(e)).transpose()? {
                Some(Value::String(s)) => Ok(s),
                _ => Err("`query` should be a string".to_string().into()),
            }
        };
        let top = |r: &Self| -> Result<usize, Fail> { Ok(int(r, "top", if name == "rerank" { 10 } else { 100 })?.max(1) as usize) };
        Ok(match name {
            "documents" => units::documents(&input),
            "chunk" => {
                let tokens = bound.get("tokens").map(|e| self.value(e)).transpose()?;
                units::chunk(&input, passages::chunk_words(int(self, "words", 100)?, tokens.as_ref())?)
            }
            "aggregate" => units::aggregate(&input, passages::alpha(float(self, "alpha", 0.5)?)?)?,
            "bm25" => {
                let (q, top, k1, b) = (text(self)?, top(self)?, float(self, "k1", 1.2)?, float(self, "b", 0.75)?);
                self.bm25(&input, &q, top, k1, b)
            }
            "dense" => {
                let (q, top, model) = (text(self)?, top(self)?, self.model(&bound)?);
                self.dense(&input, &q, top, &model)?
            }
            _ => {
                let (q, top, model) = (text(self)?, top(self)?, self.model(&bound)?);
                let method = match bound.get("method").map(|e| &e.kind) {
                    Some(ExprKind::Name(m)) => m.name.clone(),
                    _ => "maxsim".into(),
                };
                let scores = match method.as_str() {
                    "maxsim" => self.maxsim(&input, &q, &model)?,
                    "yes_no" => self.yes_no(&input, &q, &model)?,
                    "endpoint" => {
                        let texts: Vec<String> = input.iter().map(units::unit_text).collect();
                        self.ctx.client()?.rerank(&model.1, &q, &texts)?
                    }
                    other => return Err(format!("rerank method `{other}`: maxsim, yes_no or endpoint").into()),
                };
                ranked(&input, &scores, top)
            }
        })
    }

    fn model(&self, bound: &HashMap<&str, &Expr>) -> Result<(String, Endpoint), Fail> {
        let Some(ExprKind::Name(m)) = bound.get("model").map(|e| &e.kind) else { return Err("a model by name is needed (`model: minilm`)".to_string().into()) };
        let endpoint = crate::models::endpoint(&self.ctx.eval, &m.name, &super::node_dir(self.ctx.env, self.ctx.node))?;
        Ok((m.name.clone(), endpoint))
    }

    fn bm25(&mut self, input: &[Value], q: &str, top: usize, k1: f64, b: f64) -> Vec<Value> {
        let texts: Vec<String> = input.iter().map(units::unit_text).collect();
        let mut h = blake3::Hasher::new();
        h.update(format!("{k1} {b}").as_bytes());
        for t in &texts {
            h.update(&(t.len() as u64).to_le_bytes());
            h.update(t.as_bytes());
        }
        let key = h.finalize().to_hex().to_string();
        let index = self.sparse.entry(key).or_insert_with(|| Arc::new(Bm25::new(&texts.iter().map(String::as_str).collect::<Vec<_>>(), k1, b))).clone();
        index.search(q, top).into_iter().map(|(i, s)| units::scored(&input[i], s)).collect()
    }

    /// Normalised embeddings of `texts` under `model`, embedding only the ones not seen yet.
    fn embeddings(&mut self, texts: &[String], model: &(String, Endpoint)) -> Result<Vec<Arc<Vec<f32>>>, Fail> {
        let missing: Vec<String> = {
            let mut m: Vec<String> = texts.iter().filter(|t| !self.vectors.contains_key(&(model.0.clone(), (*t).clone()))).cloned().collect();
            m.sort();
            m.dedup();
            m
        };
        if !missing.is_empty() {
            let got = self.ctx.client()?.embeddings(&model.1, &missing)?;
            for (t, mut v) in missing.into_iter().zip(got) {
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                v.iter_mut().for_each(|x| *x /= norm);
                self.vectors.insert((model.0.clone(), t), Arc::new(v));
            }
        }
        Ok(texts.iter().map(|t| self.vectors[&(model.0.clone(), t.clone())].clone()).collect())
    }

    fn dense(&mut self, input: &[Value], q: &str, top: usize, model: &(String, Endpoint)) -> Result<Vec<Value>, Fail> {
        if input.is_empty() {
            return Ok(Vec::new());
        }
        let mut texts: Vec<String> = input.iter().map(units::unit_text).collect();
        texts.push(q.to_string());
        let vectors = self.embeddings(&texts, model)?;
        let (query, index) = vectors.split_last().ok_or("no query vector")?;
        let width = query.len();
        if let Some(i) = index.iter().position(|v| v.len() != width) {
            return Err(format!("unit {i} has a {}-dimensional embedding, the query {width}", index[i].len()).into());
        }
        let flat: Vec<f32> = index.iter().flat_map(|v| v.iter().copied()).collect();
        let hits = topk::search(self.ctx.backend()?, query, &flat, width, top.min(input.len()), None)?;
        Ok(hits.row(0).map(|(i, s)| units::scored(&input[i as usize], s as f64)).collect())
    }

    fn maxsim(&mut self, input: &[Value], q: &str, model: &(String, Endpoint)) -> Result<Vec<f64>, Fail> {
        let mut texts: Vec<String> = input.iter().map(units::unit_text).collect();
        texts.push(q.to_string());
        let missing: Vec<String> = texts.iter().filter(|t| !self.tokens.contains_key(&(model.0.clone(), (*t).clone()))).cloned().collect();
        if !missing.is_empty() {
            let got = self.ctx.client()?.with_local_embedder(&model.1, |e| maxsim::token_vectors(e, &missing))?;
            for (t, v) in missing.into_iter().zip(got) {
                self.tokens.insert((model.0.clone(), t), Arc::new(v));
            }
        }
        let width = self.ctx.client()?.with_local_embedder(&model.1, |e| Ok(e.width()))?;
        let query = self.tokens[&(model.0.clone(), q.to_string())].clone();
        let backend = self.ctx.backend()?;
        texts[..input.len()].iter().map(|t| Ok(maxsim::score(backend, &query, &self.tokens[&(model.0.clone(), t.clone())], width)?)).collect()
    }

    /// The LM as a pointwise reranker: log P(" yes") − log P(" no") after a relevance question.
    fn yes_no(&mut self, input: &[Value], q: &str, model: &(String, Endpoint)) -> Result<Vec<f64>, Fail> {
        let mut items = Vec::with_capacity(input.len() * 2);
        for u in input {
            let prompt = format!("Query: {q}\nDocument: {}\nIs the document relevant to the query? Answer yes or no.\nAnswer:", units::unit_text(u));
            items.push((prompt.clone(), " yes".to_string()));
            items.push((prompt, " no".to_string()));
        }
        let scored = self.ctx.client()?.score(&model.1, &items);
        let mut out = Vec::with_capacity(input.len());
        for pair in scored.chunks(2) {
            let lp = |r: &Result<crate::models::client::Completion, String>| -> Result<f64, Fail> { r.clone()?.logprob.ok_or_else(|| "the model gave no log-probs for yes/no".to_string().into()) };
            out.push(lp(&pair[0])? - lp(&pair[1])?);
        }
        Ok(out)
    }
}

/// The `top` units by score, best first (ties keep input order), each with its score.
fn ranked(input: &[Value], scores: &[f64], top: usize) -> Vec<Value> {
    let mut order: Vec<usize> = (0..input.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.into_iter().take(top).map(|i| units::scored(&input[i], scores[i])).collect()
}

fn expr_name(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.name.clone(),
        _ => "this".into(),
    }
}

fn op_name(callee: &Expr) -> Option<&'static str> {
    let ExprKind::Name(n) = &callee.kind else { return None };
    OPS.iter().copied().find(|o| *o == n.name)
}

/// The arguments of a call to `op` by parameter name (positional ones in signature order, after
/// the piped units when there are).
fn bind<'e>(op: &str, piped: bool, args: &'e [Arg]) -> Result<HashMap<&'static str, &'e Expr>, String> {
    let b = lookup(Namespace::Value, op).ok_or_else(|| format!("`{op}` is not in the builtin registry"))?;
    let params: Vec<&'static str> = b.signature().params.iter().map(|p| p.name).collect();
    let mut out = HashMap::new();
    let mut next = usize::from(piped);
    for a in args {
        let name = match &a.name {
            Some(n) => params.iter().copied().find(|p| *p == n.name).ok_or_else(|| format!("`{op}` has no argument `{}`", n.name))?,
            None => {
                while next < params.len() && args.iter().any(|x| x.name.as_ref().is_some_and(|n| n.name == params[next])) {
                    next += 1;
                }
                let p = *params.get(next).ok_or_else(|| format!("`{op}` takes at most {} arguments", params.len()))?;
                next += 1;
                p
            }
        };
        out.insert(name, &a.value);
    }
    Ok(out)
}
