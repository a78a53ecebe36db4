//! Plan snapshots: every example compiles to a Plan whose nodes and edges match `tests/plan/*.txt`.

use crate::{compile_file, expect_file, files_with_ext};
use pipec_compiler::plan::{ArgValue, Plan};

fn summary(plan: &Plan) -> String {
    let mut out = String::new();
    for p in &plan.pipelines {
        out.push_str(&format!("pipeline {}\n", p.name));
        let order = petgraph_order(p);
        for id in order {
            let n = &p.graph[p.node(&id).unwrap()];
            let args: Vec<String> = n.args.keys().cloned().collect();
            out.push_str(&format!(
                "  {} = {}({}) -> {} [{:?}, {:?}{}] @{}:{}\n",
                n.id,
                n.builtin,
                args.join(", "),
                n.output,
                n.kind,
                n.resource,
                if n.eval_tainted { ", eval" } else { "" },
                n.location.line,
                n.location.column
            ));
            for i in &n.inputs {
                out.push_str(&format!("    <- {i}\n"));
            }
            for (name, r) in &n.refs {
                let target = match r {
                    ArgValue::Input { node } => format!("node {node}"),
                    ArgValue::Expr { source, .. } => format!("inline `{source}`"),
                };
                out.push_str(&format!("    ref {name} = {target}\n"));
            }
        }
    }
    out
}

fn petgraph_order(p: &pipec_compiler::plan::PipelinePlan) -> Vec<String> {
    let v: serde_json::Value = serde_json::to_value(p).unwrap();
    v["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn example_plans_match_snapshots() {
    for f in files_with_ext("examples", ".pipe") {
        let c = compile_file(&f);
        assert!(!c.has_errors(), "{f} has errors: {:?}", c.diagnostics);
        let plan = c.plan.expect("a plan when there are no errors");
        let name = f.trim_start_matches("examples/").replace(".pipe", ".txt");
        expect_file(&format!("tests/plan/{name}"), &summary(&plan));
        let json = plan.to_json();
        let back = Plan::from_json(&json).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(back.to_json(), json, "{f}: the Plan does not survive a JSON round trip");
    }
}

#[test]
fn for_loops_unroll_into_distinct_nodes() {
    let plan = compile_file("examples/alignment_boundary.pipe").plan.unwrap();
    let p = plan.pipeline("alignment").unwrap();
    assert!(p.node("phase[1]").is_some() && p.node("phase[2]").is_some());
    let writes: Vec<_> = p.graph.node_weights().filter(|n| n.builtin == "write").collect();
    assert_eq!(writes.len(), 4);
    assert!(petgraph::algo::toposort(&p.graph, None).is_ok());
}

#[test]
fn a_plan_of_another_version_is_refused() {
    let plan = compile_file("examples/quickstart.pipe").plan.unwrap();
    let json = plan.to_json().replacen(&format!("\"version\": {}", pipec_compiler::plan::PLAN_VERSION), "\"version\": 999", 1);
    let err = Plan::from_json(&json).unwrap_err();
    assert!(err.contains("plan version 999"), "{err}");
}
