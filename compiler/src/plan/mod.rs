//! The Plan: the API boundary the runtime sees. One petgraph DAG per pipeline; each node has its
//! builtin, resolved arguments, input/output types, resource, the `.pipe` span that declared it,
//! and an eval-taint flag. Serialises to JSON so a separate `pipec` process can run any node.

pub mod data_ty;
pub mod lower;
pub mod policy;
pub mod render;
pub mod taint;

pub use data_ty::DataTy;

use crate::ast;
use crate::builtins::Resource;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Bumped whenever the JSON shape changes.
pub const PLAN_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Source,
    Stage,
    Sink,
    Train,
    Report,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArgValue {
    /// The output of another node.
    Input { node: String },
    /// A value evaluated by the runtime: its source text and its tree.
    Expr { source: String, ast: ast::Expr },
}

/// How the scheduler treats one node: from statement attributes `@timeout(30s)`, `@retry(2)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePolicy {
    pub timeout_ms: Option<u64>,
    pub retries: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub builtin: String,
    pub builtin_version: u32,
    /// The module whose top-level names this node's expressions resolve in (see `Plan::scopes`).
    pub module: String,
    pub args: BTreeMap<String, ArgValue>,
    /// Pipeline-local names the expressions read: another node's output, or a pure `let` inlined.
    pub refs: BTreeMap<String, ArgValue>,
    /// Values of unrolled `for` variables visible to this node's expressions.
    pub bindings: BTreeMap<String, i64>,
    pub inputs: Vec<String>,
    pub output: String,
    /// The output's data shape, for validation.
    pub data: DataTy,
    pub resource: Resource,
    pub policy: NodePolicy,
    pub location: Location,
    pub eval_tainted: bool,
    #[serde(skip)]
    pub span: crate::source::Span,
}

#[derive(Debug, Clone, Default)]
pub struct PipelinePlan {
    pub name: String,
    pub graph: DiGraph<Node, ()>,
}

impl PipelinePlan {
    pub fn node(&self, id: &str) -> Option<NodeIndex> {
        self.graph.node_indices().find(|i| self.graph[*i].id == id)
    }

    /// A topological order independent of insertion order: among ready nodes, source order first
    /// (then id), so the JSON form and the runtime's walk are the same on every machine.
    pub fn order(&self) -> Vec<NodeIndex> {
        use petgraph::Direction::Incoming;
        use std::collections::BTreeSet;
        let key = |i: NodeIndex| {
            let n = &self.graph[i];
            (n.location.file.clone(), n.location.start, n.id.clone(), i)
        };
        let mut waiting: BTreeMap<NodeIndex, usize> = self.graph.node_indices().map(|i| (i, self.graph.neighbors_directed(i, Incoming).count())).collect();
        let mut ready: BTreeSet<_> = waiting.iter().filter(|(_, n)| **n == 0).map(|(i, _)| key(*i)).collect();
        let mut out = Vec::with_capacity(self.graph.node_count());
        while let Some(k) = ready.pop_first() {
            let i = k.3;
            out.push(i);
            for next in self.graph.neighbors(i) {
                if let Some(w) = waiting.get_mut(&next) {
                    *w -= 1;
                    if *w == 0 {
                        ready.insert(key(next));
                    }
                }
            }
        }
        out
    }
}

#[derive(Serialize)]
struct PipelineJson<'a> {
    name: &'a str,
    nodes: Vec<&'a Node>,
    edges: Vec<(&'a str, &'a str)>,
}

#[derive(Deserialize)]
struct PipelineOwned {
    name: String,
    nodes: Vec<Node>,
    edges: Vec<(String, String)>,
}

impl Serialize for PipelinePlan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let nodes = self.order().iter().map(|i| &self.graph[*i]).collect();
        let mut edges: Vec<(&str, &str)> = self.graph.edge_indices().filter_map(|e| self.graph.edge_endpoints(e)).map(|(a, b)| (self.graph[a].id.as_str(), self.graph[b].id.as_str())).collect();
        edges.sort();
        PipelineJson { name: &self.name, nodes, edges }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PipelinePlan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let owned = PipelineOwned::deserialize(d)?;
        let mut plan = PipelinePlan { name: owned.name, graph: DiGraph::new() };
        let mut index = BTreeMap::new();
        for node in owned.nodes {
            let id = node.id.clone();
            index.insert(id, plan.graph.add_node(node));
        }
        for (from, to) in owned.edges {
            match (index.get(&from), index.get(&to)) {
                (Some(a), Some(b)) => {
                    plan.graph.add_edge(*a, *b, ());
                }
                _ => return Err(serde::de::Error::custom(format!("edge {from} -> {to} names a node the plan lacks"))),
            }
        }
        Ok(plan)
    }
}

/// A declaration the runtime needs to execute nodes (models, sandboxes, verifiers, rewards, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Definition {
    pub module: String,
    pub item: ast::Item,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    pub pipelines: Vec<PipelinePlan>,
    /// Every declaration by `module::name`, for the runtime.
    pub definitions: BTreeMap<String, Definition>,
    /// Per module: each top-level name it sees (own, imported, prelude) -> `module::name` for a
    /// declaration or `module` for a namespace import.
    pub scopes: BTreeMap<String, BTreeMap<String, String>>,
}

impl Plan {
    pub fn pipeline(&self, name: &str) -> Option<&PipelinePlan> {
        self.pipelines.iter().find(|p| p.name == name)
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
    /// Read a Plan written by `to_json`; a different `version` is an error.
    pub fn from_json(text: &str) -> Result<Plan, String> {
        let plan: Plan = serde_json::from_str(text).map_err(|e| format!("not a pipec plan: {e}"))?;
        if plan.version != PLAN_VERSION {
            return Err(format!("plan version {} but this pipec reads version {PLAN_VERSION}; recompile the .pipe file", plan.version));
        }
        Ok(plan)
    }
    /// The declaration a name means in a module, if it names one.
    pub fn resolve(&self, module: &str, name: &str) -> Option<&Definition> {
        self.definitions.get(self.scopes.get(module)?.get(name)?)
    }
}
