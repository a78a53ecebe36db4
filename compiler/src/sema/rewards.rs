//! Reward checks: levels (`outcome`, `step`), body types, and gated reward accumulation — a step
//! reward summed into a return outside a `gate` is E0401 unless the item says `@allow(ungated)`.

use super::check::{Checker, Env, reward_level};
use super::scope::{Def, ItemRef};
use super::ty::{Level, Ty};
use crate::ast::{Expr, ExprKind, Item, ItemKind, RewardDecl};
use crate::diagnostics::{Code, Diagnostic};

pub fn check_reward(c: &mut Checker, r: ItemRef, item: &Item, rw: &RewardDecl) {
    let level = reward_level(rw);
    if level.is_none()
        && let Some(l) = &rw.level
    {
        c.error(Diagnostic::new(Code::RewardLevel, l.span, format!("unknown reward level `{}`", l.name))
            .primary("not a level")
            .help("a reward is `outcome` (once per trajectory) or `step` (once per step)"));
    }
    let Some(params) = &rw.params else {
        check_composite(c, r, item, rw);
        return;
    };
    let env = c.params_env(r.module, params);
    if level == Some(Level::Step) && params.first().is_none_or(|p| !matches!(&p.ty.kind, crate::ast::TypeExprKind::Name(n) if n.name == "Step")) {
        c.error(Diagnostic::new(Code::RewardLevel, rw.name.span, format!("step reward `{}` must take one `Step`", rw.name.name))
            .primary("step-level reward")
            .help(format!("write `reward {}(step: Step): step = ...`", rw.name.name)));
    }
    let t = c.expr(&env, &rw.body, Some(&Ty::Float));
    c.expect(&Ty::Float, &t, rw.body.span);
    let mut gates = Vec::new();
    find_gates(&rw.body, &mut gates);
    for g in gates {
        c.error(Diagnostic::new(Code::RewardLevel, g, "a `gate` belongs in a composite reward")
            .primary("gate inside a per-trajectory reward")
            .help("declare the terms as rewards and combine them: `reward total = outcome + gate(outcome >= 0.0) { sum(format) }`"));
    }
}

fn find_gates(e: &Expr, out: &mut Vec<crate::source::Span>) {
    if let ExprKind::Gate(..) = e.kind {
        out.push(e.span);
    }
    children(e).into_iter().for_each(|c| find_gates(c, out));
}

/// Composite rewards combine other rewards; their value is a per-trajectory return.
fn check_composite(c: &mut Checker, r: ItemRef, item: &Item, rw: &RewardDecl) {
    let env = Env { reward_values: true, ..Env::new(r.module) };
    let t = c.expr(&env, &rw.body, Some(&Ty::Float));
    c.expect(&Ty::Float, &t, rw.body.span);
    let allow = item.allows("ungated");
    walk(c, r, &rw.body, false, allow, &rw.name.name);
}

fn level_of(c: &Checker, r: ItemRef, name: &str) -> Option<Level> {
    match c.lookup(r.module, name)? {
        Def::Item(i) => match &c.item(i).kind {
            ItemKind::Reward(rw) => reward_level(rw),
            _ => None,
        },
        Def::Namespace(_) => None,
    }
}

fn walk(c: &mut Checker, r: ItemRef, e: &Expr, gated: bool, allow: bool, reward: &str) {
    match &e.kind {
        ExprKind::Name(n) if level_of(c, r, &n.name) == Some(Level::Step) && !gated && !allow => {
            c.error(Diagnostic::new(Code::UngatedStepReward, n.span, format!("step reward `{}` is accumulated into `{reward}` without a gate", n.name))
                .primary("ungated step reward")
                .help(format!(
                    "a policy can farm dense step rewards while never solving the task (reward hacking: the total rises while the outcome falls). Credit them only when the outcome meets a threshold:\n    reward {reward} = outcome + gate(outcome >= 0.0) {{ sum({}) }}\nor opt out explicitly with `@allow(ungated)`",
                    n.name
                )));
        }
        ExprKind::Gate(cond, body) => {
            check_gate_condition(c, r, cond);
            walk(c, r, body, true, allow, reward);
        }
        _ => children(e).into_iter().for_each(|x| walk(c, r, x, gated, allow, reward)),
    }
}

/// A gate opens on outcome-level rewards only: step rewards cannot decide their own credit.
fn check_gate_condition(c: &mut Checker, r: ItemRef, cond: &Expr) {
    let mut names = Vec::new();
    collect_names(cond, &mut names);
    let mut outcome = false;
    for n in names {
        match level_of(c, r, &n.name) {
            Some(Level::Step) => c.error(Diagnostic::new(Code::RewardLevel, n.span, format!("gate condition reads step reward `{}`", n.name))
                .primary("step reward in a gate condition")
                .help("a gate must open on a higher-priority (outcome) reward")),
            Some(Level::Outcome) => outcome = true,
            None => {}
        }
    }
    if !outcome {
        c.error(Diagnostic::new(Code::RewardLevel, cond.span, "gate condition does not read any outcome reward")
            .primary("nothing to gate on")
            .help("write the threshold on an outcome reward, e.g. `gate(outcome >= 0.0) { ... }`"));
    }
}

fn collect_names<'e>(e: &'e Expr, out: &mut Vec<&'e crate::ast::Ident>) {
    if let ExprKind::Name(n) = &e.kind {
        out.push(n);
    }
    children(e).into_iter().for_each(|x| collect_names(x, out));
}

/// Direct sub-expressions, in source order.
pub fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Field(b, _) => vec![b],
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Gate(a, b) => vec![a, b],
        ExprKind::Call(f, args) => std::iter::once(&**f).chain(args.iter().map(|a| &a.value)).collect(),
        ExprKind::Unary(_, x) | ExprKind::Lambda(_, x) | ExprKind::Paren(x) => vec![x],
        ExprKind::If(a, b, d) => vec![a, b, d],
        ExprKind::Match(s, arms) => std::iter::once(&**s).chain(arms.iter().map(|a| &a.body)).collect(),
        ExprKind::List(xs) => xs.iter().collect(),
        ExprKind::Str(parts) => parts.iter().filter_map(|p| match p {
            crate::ast::StrPart::Interp(x) => Some(x),
            crate::ast::StrPart::Text(_) => None,
        }).collect(),
        _ => vec![],
    }
}
