//! Verifier checks: a sandboxed verifier must say what a timeout and an infrastructure error mean
//! (E0501, E0502); events and policies are known words (E0504); the commands' timeouts must fit
//! inside the sandbox's own (E0503).

use super::check::Checker;
use super::scope::{Def, ItemRef};
use super::ty::Ty;
use crate::ast::{Command, ExprKind, ItemKind, Policy, VerifierBody, VerifierClause, VerifierDecl};
use crate::diagnostics::{Code, Diagnostic, suggest};

const EVENTS: &[&str] = &["timeout", "infra_error"];
const POLICIES: &[&str] = &["fail", "pass", "drop"];

pub fn check_verifier(c: &mut Checker, r: ItemRef, v: &VerifierDecl) {
    let env = c.params_env(r.module, &v.params);
    let clauses = match &v.body {
        VerifierBody::Expr(e) => {
            let ret = c.type_expr(r.module, &v.ret);
            let t = c.expr(&env, e, Some(&ret));
            c.expect(&ret, &t, e.span);
            return;
        }
        VerifierBody::Block(cl) => cl,
    };
    let mut sandboxed = false;
    let (mut on_timeout, mut on_infra) = (false, false);
    for clause in clauses {
        match clause {
            VerifierClause::Sandbox { sandbox, commands, .. } => {
                sandboxed = true;
                let limit = sandbox_timeout(c, r, sandbox);
                check_commands(c, &env, commands, limit, &sandbox.name);
            }
            VerifierClause::PassWhen(e) => {
                let env = env.with("exit", Ty::Int).with("stdout", Ty::Str).with("stderr", Ty::Str);
                let t = c.expr(&env, e, Some(&Ty::Bool));
                c.expect(&Ty::Bool, &t, e.span);
            }
            VerifierClause::On { event, policy, .. } => {
                match event.name.as_str() {
                    "timeout" => on_timeout = true,
                    "infra_error" => on_infra = true,
                    other => {
                        let mut d = Diagnostic::new(Code::InvalidPolicy, event.span, format!("unknown verifier event `{other}`")).primary("not an event");
                        d = d.help(match suggest(other, EVENTS.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "events are `timeout` and `infra_error`".to_string(),
                        });
                        c.error(d);
                    }
                }
                check_policy(c, policy);
            }
        }
    }
    if sandboxed && !on_timeout {
        c.error(Diagnostic::new(Code::MissingOnTimeout, v.name.span, format!("verifier `{}` runs in a sandbox but does not say what a timeout means", v.name.name))
            .primary("missing `on timeout`")
            .help("add `on timeout => fail` (or `drop`, or `retry(2) else fail`)"));
    }
    if sandboxed && !on_infra {
        c.error(Diagnostic::new(Code::MissingOnInfraError, v.name.span, format!("verifier `{}` runs in a sandbox but does not say what an infrastructure error means", v.name.name))
            .primary("missing `on infra_error`")
            .help("add `on infra_error => retry(2) else drop`; a broken sandbox must never be scored as a silent fail"));
    }
}

fn check_policy(c: &mut Checker, p: &Policy) {
    match p {
        Policy::Simple(w) if !POLICIES.contains(&w.name.as_str()) => {
            let mut d = Diagnostic::new(Code::InvalidPolicy, w.span, format!("unknown policy `{}`", w.name)).primary("not a policy");
            d = d.help(match suggest(&w.name, POLICIES.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "policies are `fail`, `pass`, `drop` and `retry(N) else POLICY`".to_string(),
            });
            c.error(d);
        }
        Policy::Simple(_) => {}
        Policy::Retry { otherwise, .. } => {
            if let Some(o) = otherwise {
                check_policy(c, o);
            }
        }
    }
}

/// The `timeout:` of the sandbox item in milliseconds (its default when not written).
fn sandbox_timeout(c: &mut Checker, r: ItemRef, name: &crate::ast::Ident) -> Option<u64> {
    let Some(Def::Item(s)) = c.lookup(r.module, &name.name) else {
        c.unknown_name(&super::check::Env::new(r.module), name);
        return None;
    };
    let ItemKind::Sandbox(b) = &c.item(s).kind else {
        let kind = super::check::kind_word(&c.item(s).kind);
        c.error(Diagnostic::new(Code::WrongKind, name.span, format!("`{}` is a {kind}, not a sandbox", name.name)).primary("expected a sandbox"));
        return None;
    };
    let ExprKind::Call(callee, args) = &b.value.kind else { return None };
    let explicit = args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.name == "timeout"));
    match explicit.map(|a| &a.value.kind) {
        Some(ExprKind::Duration(ms)) => Some(*ms),
        Some(_) => None,
        None => {
            let ExprKind::Name(ctor) = &callee.kind else { return None };
            let b = crate::builtins::lookup(crate::builtins::Namespace::SandboxCtor, &ctor.name)?;
            b.signature().param("timeout").and_then(|p| p.default).map(crate::syntax::parse_duration_ms)
        }
    }
}

fn check_commands(c: &mut Checker, env: &super::check::Env, commands: &[Command], limit: Option<u64>, sandbox: &str) {
    let mut total = 0u64;
    let mut spans = Vec::new();
    for cmd in commands {
        match cmd {
            Command::Copy { from, to, .. } | Command::Mount { from, at: to, .. } => {
                c.expr(env, from, Some(&Ty::Path));
                let t = c.expr(env, to, Some(&Ty::Path));
                c.expect(&Ty::Path, &t, to.span);
            }
            Command::Apply { patch, at, .. } => {
                let t = c.expr(env, patch, Some(&Ty::Str));
                c.expect(&Ty::Str, &t, patch.span);
                c.expr(env, at, Some(&Ty::Path));
            }
            Command::Run { cmd, at, timeout, .. } => {
                let t = c.expr(env, cmd, Some(&Ty::Str));
                c.expect(&Ty::Str, &t, cmd.span);
                if let Some(a) = at {
                    c.expr(env, a, Some(&Ty::Path));
                }
                if let Some(t) = timeout {
                    let tt = c.expr(env, t, Some(&Ty::Duration));
                    c.expect(&Ty::Duration, &tt, t.span);
                    if let ExprKind::Duration(ms) = t.kind {
                        total += ms;
                        spans.push((t.span, ms));
                    }
                }
            }
        }
    }
    if let Some(limit) = limit
        && total > limit
        && let Some((last, _)) = spans.last()
    {
        let mut d = Diagnostic::new(Code::CommandOutlastsSandbox, *last, format!(
            "commands may run for {} but sandbox `{sandbox}` times out after {}",
            crate::fmt::duration_text(total),
            crate::fmt::duration_text(limit)
        ))
        .primary("exceeds the sandbox timeout");
        for (s, ms) in spans.iter().rev().skip(1) {
            d = d.label(*s, crate::fmt::duration_text(*ms));
        }
        c.error(d.help(format!("lower the command timeouts or raise `timeout:` on `{sandbox}`")));
    }
}
