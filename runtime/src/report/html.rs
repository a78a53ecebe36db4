//! The run report: one self-contained HTML file (no scripts, no external assets) with the DAG as
//! SVG coloured by outcome, a per-node timeline, and a plot per reported metric.

use crate::data::Value;
use crate::report::manifest::{Manifest, Status};
use petgraph::Direction::Incoming;
use pipec_compiler::plan::PipelinePlan;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

pub fn render(pipeline: &PipelinePlan, manifest: &Manifest, metrics: &[Value]) -> String {
    let mut out = String::new();
    let ran = manifest.nodes.iter().filter(|n| n.status == Status::Ran).count();
    let reused = manifest.nodes.iter().filter(|n| n.status == Status::Reused).count();
    let _ = write!(
        out,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>pipec run: {name}</title><style>{CSS}</style></head><body>\
         <h1>pipeline <code>{name}</code></h1><p class=\"meta\">{status} &middot; started {started} &middot; {wall:.0} ms &middot; {ran} ran, {reused} reused of {total} nodes &middot; plan {plan}</p>",
        name = esc(&manifest.pipeline),
        status = esc(&manifest.status),
        started = esc(&manifest.started),
        wall = manifest.wall_ms,
        total = manifest.nodes.len(),
        plan = &manifest.plan_hash[..12.min(manifest.plan_hash.len())],
    );
    out.push_str("<h2>Graph</h2>");
    out.push_str(&dag_svg(pipeline, manifest));
    out.push_str("<h2>Timeline</h2>");
    out.push_str(&timeline(manifest));
    out.push_str("<h2>Metrics</h2>");
    out.push_str(&metric_plots(metrics));
    out.push_str("</body></html>\n");
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}code{background:#f3f3f3;padding:0 .2em}\
.meta{color:#555}table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left;font-size:.9em}\
svg text{font-family:monospace;font-size:11px}.plots{display:flex;flex-wrap:wrap;gap:1em}.plot{border:1px solid #ddd;padding:.5em}";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn colour(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Ran) => "#9be29b",
        Some(Status::Reused) => "#a9cdf5",
        Some(Status::Failed | Status::TimedOut) => "#f5a3a3",
        Some(Status::Cancelled) | None => "#dddddd",
    }
}

/// Layered drawing: a node's column is its longest path from a source.
fn dag_svg(p: &PipelinePlan, m: &Manifest) -> String {
    let status: HashMap<&str, Status> = m.nodes.iter().map(|n| (n.id.as_str(), n.status)).collect();
    let mut layer = HashMap::new();
    let mut rows: BTreeMap<usize, usize> = BTreeMap::new();
    let mut pos = HashMap::new();
    for i in p.order() {
        let l = p.graph.neighbors_directed(i, Incoming).filter_map(|j| layer.get(&j)).map(|x: &usize| x + 1).max().unwrap_or(0);
        layer.insert(i, l);
        let r = rows.entry(l).or_insert(0);
        pos.insert(i, (20 + l * 200, 20 + *r * 44));
        *r += 1;
    }
    let w = 20 + (rows.len().max(1)) * 200;
    let h = 20 + rows.values().max().copied().unwrap_or(1) * 44;
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">");
    for e in p.graph.edge_indices() {
        if let Some((a, b)) = p.graph.edge_endpoints(e) {
            let ((x1, y1), (x2, y2)) = (pos[&a], pos[&b]);
            let _ = write!(s, "<line x1=\"{}\" y1=\"{}\" x2=\"{x2}\" y2=\"{}\" stroke=\"#888\"/>", x1 + 160, y1 + 14, y2 + 14);
        }
    }
    for i in p.graph.node_indices() {
        let n = &p.graph[i];
        let (x, y) = pos[&i];
        let st = status.get(n.id.as_str()).copied();
        let _ = write!(
            s,
            "<g><title>{id} = {b} ({word})</title><rect x=\"{x}\" y=\"{y}\" width=\"160\" height=\"28\" rx=\"4\" fill=\"{c}\" stroke=\"#555\"/><text x=\"{tx}\" y=\"{ty}\">{label}</text></g>",
            id = esc(&n.id),
            b = esc(&n.builtin),
            word = st.map_or("not run", Status::word),
            c = colour(st),
            tx = x + 6,
            ty = y + 18,
            label = esc(&short(&n.id, 22)),
        );
    }
    s.push_str("</svg>");
    s
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

fn timeline(m: &Manifest) -> String {
    let end = m.nodes.iter().map(|n| n.start_ms + n.duration_ms).fold(1e-9, f64::max);
    let mut s = String::from("<table><tr><th>node</th><th>builtin</th><th>outcome</th><th>rows in → out</th><th>ms</th><th>when</th><th>why</th></tr>");
    for n in &m.nodes {
        let x = 300.0 * n.start_ms / end;
        let w = (300.0 * n.duration_ms / end).max(1.0);
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} → {}</td><td>{:.1}</td><td><svg width=\"302\" height=\"12\"><rect x=\"{x:.1}\" y=\"1\" width=\"{w:.1}\" height=\"10\" fill=\"{}\"/></svg></td><td>{}</td></tr>",
            esc(&n.id),
            esc(&n.builtin),
            n.status.word(),
            n.rows_in,
            n.rows_out.map_or("-".into(), |r| r.to_string()),
            n.duration_ms,
            colour(Some(n.status)),
            esc(n.error.as_deref().unwrap_or(&n.reason)),
        );
    }
    s.push_str("</table>");
    s
}

/// One small plot per metric name: a bar for a single value, a line over loop iterations.
fn metric_plots(metrics: &[Value]) -> String {
    let mut by_name: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut order = Vec::new();
    for m in metrics {
        let name = m.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
        if let Some(v) = m.get("value").and_then(Value::as_f64) {
            if !by_name.contains_key(&name) {
                order.push(name.clone());
            }
            by_name.entry(name).or_default().push(v);
        }
    }
    if order.is_empty() {
        return "<p>No numeric metrics were reported.</p>".into();
    }
    let mut s = String::from("<div class=\"plots\">");
    for name in order {
        let vs = &by_name[&name];
        let last = vs.last().copied().unwrap_or(0.0);
        let _ = write!(s, "<div class=\"plot\"><div><code>{}</code> = <b>{}</b></div>", esc(&name), fmt_num(last));
        s.push_str(&sparkline(vs));
        s.push_str("</div>");
    }
    s.push_str("</div>");
    s
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.4}") }
}

fn sparkline(vs: &[f64]) -> String {
    let (w, h) = (220.0, 60.0);
    let max = vs.iter().copied().fold(f64::MIN, f64::max).max(0.0);
    let min = vs.iter().copied().fold(f64::MAX, f64::min).min(0.0);
    let span = if max - min == 0.0 { 1.0 } else { max - min };
    let y = |v: f64| h - 4.0 - (v - min) / span * (h - 8.0);
    let mut s = format!("<svg width=\"{w}\" height=\"{h}\">");
    if vs.len() == 1 {
        let _ = write!(s, "<rect x=\"10\" y=\"{:.1}\" width=\"60\" height=\"{:.1}\" fill=\"#6a9fd8\"/>", y(vs[0]), (y(0.0) - y(vs[0])).abs().max(1.0));
    } else {
        let step = (w - 20.0) / (vs.len() - 1) as f64;
        let pts: Vec<String> = vs.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", 10.0 + i as f64 * step, y(*v))).collect();
        let _ = write!(s, "<polyline fill=\"none\" stroke=\"#6a9fd8\" stroke-width=\"2\" points=\"{}\"/>", pts.join(" "));
    }
    s.push_str("</svg>");
    s
}
