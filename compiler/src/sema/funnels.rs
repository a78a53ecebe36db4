//! Funnel checks: stages are typed in order (each sees the ones before), `top` never grows from
//! stage to stage (E0601) and units go coarse to fine: clusters, documents, passages (E0602).

use super::check::Checker;
use super::scope::ItemRef;
use super::ty::Ty;
use crate::ast::{Expr, ExprKind, FunnelDecl};
use crate::diagnostics::{Code, Diagnostic};

/// Granularity of a retrieval unit: larger is coarser.
fn unit_rank(name: &str) -> Option<u8> {
    match name {
        "Cluster" => Some(3),
        "Document" => Some(2),
        "Passage" => Some(1),
        _ => None,
    }
}

pub fn check_funnel(c: &mut Checker, r: ItemRef, f: &FunnelDecl) {
    let mut env = c.params_env(r.module, &f.params);
    let mut prev_top: Option<(i64, crate::source::Span)> = None;
    let mut prev_unit: Option<(String, u8)> = None;
    let mut last = Ty::Unknown;
    for stage in &f.stages {
        let t = c.expr(&env, &stage.value, None);
        if let Some((top, span)) = stage_top(&stage.value) {
            if let Some((p, pspan)) = prev_top
                && top > p
            {
                c.error(Diagnostic::new(Code::FunnelTopGrows, span, format!("stage `{}` keeps {top} candidates, more than the {p} of the stage before", stage.name.name))
                    .primary(format!("top: {top}"))
                    .label(pspan, format!("top: {p}"))
                    .help("a funnel narrows: each stage keeps at most as many candidates as the one before"));
            }
            prev_top = Some((top, span));
        }
        if let Some(Ty::Record(id)) = t.elem() {
            let name = c.types.record(*id).name.split([' ', '<']).next().unwrap_or_default().to_string();
            if let Some(rank) = unit_rank(&name) {
                if let Some((pname, prank)) = &prev_unit
                    && rank > *prank
                {
                    c.error(Diagnostic::new(Code::FunnelUnitOrder, stage.value.span, format!("stage `{}` returns {name}s after a stage of {pname}s", stage.name.name))
                        .primary(format!("{name} is coarser than {pname}"))
                        .help("order stages coarse to fine: clusters, then documents, then passages"));
                }
                prev_unit = Some((name, rank));
            }
        }
        env.locals.push((stage.name.name.clone(), t.clone()));
        last = t;
    }
    let ret = c.type_expr(r.module, &f.ret);
    if let Some(s) = f.stages.last() {
        c.expect(&ret, &last, s.value.span);
    }
}

/// The `top:` of the last call in a stage's pipe chain that sets one.
fn stage_top(e: &Expr) -> Option<(i64, crate::source::Span)> {
    match &e.kind {
        ExprKind::Binary(crate::ast::BinOp::Pipe, l, r) => stage_top(r).or_else(|| stage_top(l)),
        ExprKind::Call(_, args) => args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.name == "top")).and_then(|a| match a.value.kind {
            ExprKind::Int(n) => Some((n, a.value.span)),
            _ => None,
        }),
        ExprKind::Paren(x) => stage_top(x),
        _ => None,
    }
}
