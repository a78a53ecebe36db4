//! Eval taint over a pipeline's Plan: data from an `@eval` dataset must not reach a training sink
//! (a `Train` node, or `write` with the default `purpose: train`) unless it passed `declassify`.

use super::{ArgValue, NodeKind, PipelinePlan};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use petgraph::Direction;
use petgraph::graph::NodeIndex;

pub fn check_taint(plan: &mut PipelinePlan, diags: &mut Diagnostics) {
    let Ok(order) = petgraph::algo::toposort(&plan.graph, None) else { return };
    // origin[n]: the @eval source whose data reaches n, if any.
    let mut origin: Vec<Option<NodeIndex>> = vec![None; plan.graph.node_count()];
    for n in order {
        let node = &plan.graph[n];
        let from_inputs = plan.graph.neighbors_directed(n, Direction::Incoming).find_map(|i| origin[i.index()]);
        let own = if node.eval_tainted && node.kind == NodeKind::Source { Some(n) } else { None };
        let reaching = if node.builtin == "declassify" { None } else { own.or(from_inputs) };
        if let Some(src) = from_inputs
            && node.builtin != "declassify"
            && is_training_sink(plan, n)
        {
            let node = &plan.graph[n];
            let source = &plan.graph[src];
            diags.push(Diagnostic::new(Code::EvalLeak, node.span, format!("evaluation data from `{}` reaches training sink `{}`", source.id.trim_start_matches("dataset:"), node.builtin))
                .primary("training sink")
                .label(source.span, "marked @eval here")
                .help("training on evaluation data contaminates the benchmark; if this is intended, pass it through `declassify(reason: \"...\")` first (or `write(..., purpose: eval)` for evaluation outputs)"));
        }
        origin[n.index()] = reaching;
        plan.graph[n].eval_tainted = reaching.is_some();
    }
}

fn is_training_sink(plan: &PipelinePlan, n: NodeIndex) -> bool {
    let node = &plan.graph[n];
    match node.kind {
        NodeKind::Train => true,
        NodeKind::Sink if node.builtin == "write" => match node.args.get("purpose") {
            Some(ArgValue::Expr { source, .. }) => source.trim() == "train",
            _ => true,
        },
        _ => false,
    }
}
