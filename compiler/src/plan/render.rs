//! Plan -> text for people and tools: Graphviz dot and Mermaid flowcharts.

use super::{NodeKind, PipelinePlan};

fn shape(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Source => "cylinder",
        NodeKind::Stage => "box",
        NodeKind::Sink | NodeKind::Train => "folder",
        NodeKind::Report => "note",
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One `digraph` with a cluster per pipeline.
pub fn plans_to_dot(plans: &[&PipelinePlan]) -> String {
    let mut out = String::from("digraph pipec {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
    for (pi, p) in plans.iter().enumerate() {
        out.push_str(&format!("  subgraph cluster_{pi} {{\n    label=\"pipeline {}\";\n", dot_escape(&p.name)));
        for n in p.graph.node_indices() {
            let node = &p.graph[n];
            let color = if node.eval_tainted { ", color=\"red\"" } else { "" };
            out.push_str(&format!(
                "    \"{pi}:{}\" [label=\"{}\\n{}\\n{}\", shape={}{color}];\n",
                dot_escape(&node.id),
                dot_escape(&node.id),
                dot_escape(&node.builtin),
                dot_escape(&node.output),
                shape(node.kind)
            ));
        }
        for e in p.graph.edge_indices() {
            if let Some((a, b)) = p.graph.edge_endpoints(e) {
                out.push_str(&format!("    \"{pi}:{}\" -> \"{pi}:{}\";\n", dot_escape(&p.graph[a].id), dot_escape(&p.graph[b].id)));
            }
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

pub fn plans_to_mermaid(plans: &[&PipelinePlan]) -> String {
    let mut out = String::from("flowchart LR\n");
    for (pi, p) in plans.iter().enumerate() {
        out.push_str(&format!("  subgraph p{pi}[\"pipeline {}\"]\n", mermaid_text(&p.name)));
        for n in p.graph.node_indices() {
            let node = &p.graph[n];
            out.push_str(&format!("    p{pi}n{}[\"{}<br/>{}\"]\n", n.index(), mermaid_text(&node.id), mermaid_text(&node.builtin)));
        }
        for e in p.graph.edge_indices() {
            if let Some((a, b)) = p.graph.edge_endpoints(e) {
                out.push_str(&format!("    p{pi}n{} --> p{pi}n{}\n", a.index(), b.index()));
            }
        }
        out.push_str("  end\n");
    }
    out
}
