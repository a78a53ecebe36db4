//! The Plan: the API boundary the runtime sees. One petgraph DAG per pipeline; each node has its
//! builtin, resolved arguments, input/output types, resource, the `.pipe` span that declared it,
//! and an eval-taint flag. Serialises to JSON so a separate `pipec` process can run any node.

pub mod lower;
pub mod render;
pub mod taint;

use crate::ast;
use crate::builtins::Resource;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Bumped whenever the JSON shape changes.
pub const PLAN_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Source,
    Stage,
    Sink,
    Train,
    Report,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArgValue {
    /// The output of another node.
    Input { node: String },
    /// A value evaluated by the runtime: its source text and its tree.
    Expr { source: String, ast: ast::Expr },
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub builtin: String,
    pub builtin_version: u32,
    pub args: BTreeMap<String, ArgValue>,
    /// Values of unrolled `for` variables visible to this node's expressions.
    pub bindings: BTreeMap<String, i64>,
    pub inputs: Vec<String>,
    pub output: String,
    pub resource: Resource,
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
}

impl Serialize for PipelinePlan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            name: &'a str,
            nodes: Vec<&'a Node>,
            edges: Vec<(&'a str, &'a str)>,
        }
        let order = petgraph::algo::toposort(&self.graph, None).unwrap_or_else(|_| self.graph.node_indices().collect());
        let nodes = order.iter().map(|i| &self.graph[*i]).collect();
        let mut edges: Vec<(&str, &str)> = self.graph.edge_indices().filter_map(|e| self.graph.edge_endpoints(e)).map(|(a, b)| (self.graph[a].id.as_str(), self.graph[b].id.as_str())).collect();
        edges.sort();
        Json { name: &self.name, nodes, edges }.serialize(s)
    }
}

/// A declaration the runtime needs to execute nodes (models, sandboxes, verifiers, rewards, ...).
#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    pub module: String,
    pub item: ast::Item,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub version: u32,
    pub pipelines: Vec<PipelinePlan>,
    /// Every declaration by `module::name`, for the runtime.
    pub definitions: BTreeMap<String, Definition>,
}

impl Plan {
    pub fn pipeline(&self, name: &str) -> Option<&PipelinePlan> {
        self.pipelines.iter().find(|p| p.name == name)
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
