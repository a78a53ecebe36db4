//! The builtin registry: one entry per builtin stage/function/constructor with its typed signature,
//! doc line and example. The checker types calls against it; the runtime executes the same entries.

mod data;
mod models;
mod retrieval;
mod rewards;
mod sandbox;
pub mod sig;
mod training;

use std::collections::HashMap;
use std::sync::LazyLock;

/// Where a builtin's name is visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Namespace {
    /// Ordinary expressions and pipeline stages.
    Value,
    /// The right-hand side of `model NAME = ...`.
    ModelCtor,
    /// The right-hand side of `sandbox NAME = ...`.
    SandboxCtor,
}

/// What a call does to the data flow: decides Plan nodes, sinks and eval taint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A scalar function: evaluated inline, never its own Plan node.
    Pure,
    /// Reads data from outside (files): a source node.
    Source,
    /// Transforms data: a Plan node.
    Stage,
    /// Writes results out: a sink node.
    Sink,
    /// Turns data into training material: a sink for eval-taint purposes.
    Train,
}

/// The shared resource a node occupies while it runs (scheduler limits per resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Cpu,
    Compute,
    Model,
    Sandbox,
}

/// Result types a plain signature cannot say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeRule {
    Plain,
    /// Element type gains a field: `(field name, field type in signature syntax)`.
    Extend(&'static str, &'static str),
    /// Element type gains a float field named after the reward argument.
    Score,
    /// Element type gains `embedding: Embedding<d>`, `d` from the model.
    Embed,
    /// Rows of both inputs merged.
    Join,
    /// `local(..., dim: N)` gives a model of known embedding dimension.
    ModelDim,
    /// Queries and index must carry embeddings of the same dimension.
    Search,
}

#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub ns: Namespace,
    pub sig: &'static str,
    pub doc: &'static str,
    pub example: &'static str,
    pub effect: Effect,
    pub resource: Resource,
    pub rule: TypeRule,
    /// Bumped when execution changes meaning; part of every cache key.
    pub version: u32,
}

/// An entry with defaults: a pure value-namespace function on the CPU.
pub const fn builtin(name: &'static str, sig: &'static str, doc: &'static str, example: &'static str) -> Builtin {
    Builtin {
        name,
        ns: Namespace::Value,
        sig,
        doc,
        example,
        effect: Effect::Pure,
        resource: Resource::Cpu,
        rule: TypeRule::Plain,
        version: 1,
    }
}

impl Builtin {
    pub const fn effect(mut self, e: Effect) -> Self {
        self.effect = e;
        self
    }
    pub const fn on(mut self, r: Resource) -> Self {
        self.resource = r;
        self
    }
    pub const fn rule(mut self, r: TypeRule) -> Self {
        self.rule = r;
        self
    }
    pub const fn ns(mut self, ns: Namespace) -> Self {
        self.ns = ns;
        self
    }
    /// A new `version` for a builtin whose results change: its cached outputs are not reused.
    pub const fn version(mut self, v: u32) -> Self {
        self.version = v;
        self
    }
    pub const fn stage(self) -> Self {
        self.effect(Effect::Stage)
    }
    pub fn signature(&self) -> &'static sig::Signature {
        &INDEX[&(self.ns, self.name)].1
    }
}

/// Every builtin, in category order.
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    [data::BUILTINS, models::BUILTINS, sandbox::BUILTINS, rewards::BUILTINS, training::BUILTINS, retrieval::BUILTINS]
        .into_iter()
        .flatten()
}

type Index = HashMap<(Namespace, &'static str), (&'static Builtin, sig::Signature)>;

/// Every builtin with its parsed signature, by namespace and name.
static INDEX: LazyLock<Index> = LazyLock::new(|| {
    all().map(|b| ((b.ns, b.name), (b, sig::parse(b.sig).unwrap_or_else(|e| panic!("builtin `{}`: {e}", b.name))))).collect()
});

pub fn lookup(ns: Namespace, name: &str) -> Option<&'static Builtin> {
    INDEX.get(&(ns, name)).map(|(b, _)| *b)
}

pub fn names(ns: Namespace) -> impl Iterator<Item = &'static str> {
    all().filter(move |b| b.ns == ns).map(|b| b.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_parses_and_names_match() {
        for b in all() {
            let s = b.signature();
            assert_eq!(s.name, b.name, "signature name of {}", b.name);
            assert!(!b.doc.is_empty() && !b.example.is_empty(), "{} needs doc and example", b.name);
        }
    }

    #[test]
    fn names_are_unique_per_namespace() {
        let mut seen = std::collections::HashSet::new();
        for b in all() {
            assert!(seen.insert((b.ns, b.name)), "duplicate builtin {}", b.name);
        }
    }
}
