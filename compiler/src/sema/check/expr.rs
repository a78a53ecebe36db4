//! Expressions -> types, under an `Env`: names, fields (with "did you mean"), operators, lambdas,
//! shorthands, `if`, `match` (exhaustiveness), gates and lists.

use super::call::ArgIn;
use super::{Checker, Env, kind_word};
use crate::ast::{BinOp, Expr, ExprKind, Ident, ItemKind, Pattern, StrPart, UnOp};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::sema::scope::Def;
use crate::sema::ty::{Level, Ty};
use crate::source::Span;

impl Checker<'_> {
    pub fn expr(&mut self, env: &Env, e: &Expr, expected: Option<&Ty>) -> Ty {
        match &e.kind {
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Float(_) => Ty::Float,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Duration(_) => Ty::Duration,
            ExprKind::Size(_) => Ty::Size,
            ExprKind::Str(parts) => {
                for p in parts {
                    if let StrPart::Interp(x) = p {
                        self.expr(env, x, None);
                    }
                }
                Ty::Str
            }
            ExprKind::Name(id) => self.name(env, id),
            ExprKind::Shorthand(path) => self.shorthand(path, expected),
            ExprKind::Field(base, field) => self.field_expr(env, base, field),
            ExprKind::Index(base, idx) => {
                let b = self.expr(env, base, None);
                let i = self.expr(env, idx, Some(&Ty::Int));
                self.expect(&Ty::Int, &i, idx.span);
                match b {
                    Ty::List(t) => *t,
                    Ty::Unknown => Ty::Unknown,
                    other => self.mismatch_msg(base.span, "a list", &other),
                }
            }
            ExprKind::Call(callee, args) => {
                let ins = args.iter().map(ArgIn::from_arg).collect();
                self.call(env, callee, ins, e.span)
            }
            ExprKind::Binary(BinOp::Pipe, lhs, rhs) => {
                let lt = self.expr(env, lhs, None);
                let first = ArgIn { name: None, expr: None, ty: Some(lt), span: lhs.span };
                match &rhs.kind {
                    ExprKind::Call(callee, args) => {
                        let mut ins = vec![first];
                        ins.extend(args.iter().map(ArgIn::from_arg));
                        self.call(env, callee, ins, e.span)
                    }
                    _ => self.call(env, rhs, vec![first], e.span),
                }
            }
            ExprKind::Binary(op, l, r) => self.binary(env, *op, l, r),
            ExprKind::Unary(UnOp::Neg, x) => {
                let t = self.expr(env, x, None);
                if !t.is_numeric() {
                    self.mismatch_msg(x.span, "a number", &t);
                }
                t
            }
            ExprKind::Unary(UnOp::Not, x) => {
                let t = self.expr(env, x, Some(&Ty::Bool));
                self.expect(&Ty::Bool, &t, x.span);
                Ty::Bool
            }
            ExprKind::Lambda(params, body) => {
                let (ptys, ret) = match expected {
                    Some(Ty::Fn(ps, r)) => (ps.clone(), Some((**r).clone())),
                    _ => (vec![], None),
                };
                let mut inner = env.clone();
                let mut actual = Vec::new();
                for (i, p) in params.iter().enumerate() {
                    let t = ptys.get(i).cloned().unwrap_or(Ty::Unknown);
                    actual.push(t.clone());
                    inner.locals.push((p.name.clone(), t));
                }
                let body_t = self.expr(&inner, body, ret.as_ref());
                Ty::Fn(actual, Box::new(body_t))
            }
            ExprKind::If(c, a, b) => {
                let ct = self.expr(env, c, Some(&Ty::Bool));
                self.expect(&Ty::Bool, &ct, c.span);
                let at = self.expr(env, a, expected);
                let bt = self.expr(env, b, expected.or(Some(&at)));
                self.join(&at, &bt, b.span)
            }
            ExprKind::Match(scrutinee, arms) => self.match_expr(env, scrutinee, arms, e.span, expected),
            ExprKind::Gate(cond, body) => {
                let ct = self.expr(env, cond, Some(&Ty::Bool));
                self.expect(&Ty::Bool, &ct, cond.span);
                self.expr(env, body, expected)
            }
            ExprKind::List(items) => {
                let want = expected.and_then(Ty::elem).cloned();
                let mut elem = want.clone().unwrap_or(Ty::Unknown);
                for (i, x) in items.iter().enumerate() {
                    let t = self.expr(env, x, want.as_ref());
                    elem = if i == 0 && want.is_none() { t } else { self.join(&elem, &t, x.span) };
                }
                Ty::list(elem)
            }
            ExprKind::Paren(x) => self.expr(env, x, expected),
        }
    }

    /// The common type of two branches (ints widen to float); E0301 when there is none.
    pub fn join(&mut self, a: &Ty, b: &Ty, span: Span) -> Ty {
        match (a, b) {
            (Ty::Unknown, t) | (t, Ty::Unknown) => t.clone(),
            (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Ty::Float,
            _ if self.compat(a, b).is_ok() => a.clone(),
            _ if self.compat(b, a).is_ok() => b.clone(),
            _ => {
                self.expect(a, b, span);
                Ty::Unknown
            }
        }
    }

    fn mismatch_msg(&mut self, span: Span, wanted: &str, got: &Ty) -> Ty {
        let g = self.types.display(got);
        self.error(Diagnostic::new(Code::TypeMismatch, span, format!("expected {wanted}, found `{g}`")).primary(format!("this is `{g}`")));
        Ty::Unknown
    }

    fn name(&mut self, env: &Env, id: &Ident) -> Ty {
        if let Some(t) = env.local(&id.name) {
            return t.clone();
        }
        match self.lookup(env.module, &id.name) {
            Some(Def::Item(r)) => {
                let item = self.item(r);
                match &item.kind {
                    ItemKind::Schema(_) | ItemKind::Enum(_) | ItemKind::Pipeline(_) => {
                        let kind = kind_word(&item.kind);
                        self.error(Diagnostic::new(Code::WrongKind, id.span, format!("`{}` is a {kind}, not a value", id.name)).primary(format!("{kind} used as a value")));
                        Ty::Unknown
                    }
                    ItemKind::Reward(rw) if env.reward_values => match super::reward_level(rw) {
                        Some(Level::Step) => Ty::list(Ty::Float),
                        _ => Ty::Float,
                    },
                    _ => self.item_ty(r),
                }
            }
            Some(Def::Namespace(_)) => {
                self.error(Diagnostic::new(Code::WrongKind, id.span, format!("`{}` is a module, not a value", id.name)).primary("use `module.name`"));
                Ty::Unknown
            }
            None => match crate::builtins::lookup(crate::builtins::Namespace::Value, &id.name) {
                Some(b) => self.builtin_fn_ty(b),
                None => self.unknown_name(env, id),
            },
        }
    }

    /// Report E0201 with the nearest name in scope.
    pub fn unknown_name(&mut self, env: &Env, id: &Ident) -> Ty {
        let mut candidates: Vec<String> = env.locals.iter().map(|(n, _)| n.clone()).collect();
        candidates.extend(self.scopes.names(env.module).map(String::from));
        candidates.extend(crate::builtins::names(crate::builtins::Namespace::Value).map(String::from));
        let mut d = Diagnostic::new(Code::UnknownName, id.span, format!("cannot find `{}` in this scope", id.name)).primary("not found");
        if let Some(s) = suggest(&id.name, candidates.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.error(d);
        Ty::Unknown
    }

    fn shorthand(&mut self, path: &[Ident], expected: Option<&Ty>) -> Ty {
        let Some(Ty::Fn(ps, _)) = expected else {
            return Ty::Fn(vec![Ty::Unknown], Box::new(Ty::Unknown));
        };
        let arg = ps.first().cloned().unwrap_or(Ty::Unknown);
        let mut t = arg.clone();
        for f in path {
            t = self.field_of(&t, f);
        }
        Ty::Fn(vec![arg], Box::new(t))
    }

    fn field_expr(&mut self, env: &Env, base: &Expr, field: &Ident) -> Ty {
        if let ExprKind::Name(ns) = &base.kind
            && env.local(&ns.name).is_none()
            && let Some(Def::Namespace(m)) = self.lookup(env.module, &ns.name)
        {
            return match self.scopes.own[m.0 as usize].get(&field.name) {
                Some(r) => self.item_ty(*r),
                None => {
                    let mut d = Diagnostic::new(Code::UnknownName, field.span, format!("module `{}` has no `{}`", ns.name, field.name)).primary("not declared there");
                    if let Some(s) = suggest(&field.name, self.scopes.own[m.0 as usize].keys().map(String::as_str)) {
                        d = d.help(format!("did you mean `{}.{s}`?", ns.name));
                    }
                    self.error(d);
                    Ty::Unknown
                }
            };
        }
        let bt = self.expr(env, base, None);
        self.field_of(&bt, field)
    }

    /// The type of `ty.field`; lists project (`xs.f` is the list of each `x.f`, flattened).
    pub fn field_of(&mut self, ty: &Ty, field: &Ident) -> Ty {
        match ty {
            Ty::Unknown | Ty::Var(_) => Ty::Unknown,
            Ty::Record(id) => match self.types.field(*id, &field.name) {
                Some(t) => t.clone(),
                None => {
                    let def = self.types.record(*id);
                    let names: Vec<&str> = def.fields.iter().map(|(n, _)| n.as_str()).collect();
                    let mut d = Diagnostic::new(Code::UnknownField, field.span, format!("`{}` has no field `{}`", def.name, field.name)).primary("unknown field");
                    d = match suggest(&field.name, names.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!("fields of `{}`: {}", def.name, names.join(", "))),
                    };
                    self.error(d);
                    Ty::Unknown
                }
            },
            Ty::List(inner) => match self.field_of(inner, field) {
                Ty::List(t) => Ty::List(t),
                Ty::Unknown => Ty::Unknown,
                t => Ty::list(t),
            },
            Ty::Opt(inner) => match self.field_of(inner, field) {
                Ty::Unknown => Ty::Unknown,
                t => Ty::Opt(Box::new(t)),
            },
            other => {
                let t = self.types.display(other);
                self.error(Diagnostic::new(Code::UnknownField, field.span, format!("`{t}` has no fields")).primary(format!("`.{}` on a `{t}`", field.name)));
                Ty::Unknown
            }
        }
    }

    fn binary(&mut self, env: &Env, op: BinOp, l: &Expr, r: &Expr) -> Ty {
        let lt = self.expr(env, l, None);
        let rt = self.expr(env, r, Some(&lt));
        match op {
            BinOp::And | BinOp::Or => {
                self.expect(&Ty::Bool, &lt, l.span);
                self.expect(&Ty::Bool, &rt, r.span);
                Ty::Bool
            }
            BinOp::Eq | BinOp::Ne => {
                self.join(&lt, &rt, r.span);
                Ty::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                self.join(&lt, &rt, r.span);
                Ty::Bool
            }
            BinOp::Range | BinOp::RangeIncl => {
                self.expect(&Ty::Int, &lt, l.span);
                self.expect(&Ty::Int, &rt, r.span);
                Ty::Range
            }
            BinOp::Add if matches!(lt, Ty::Str | Ty::Path) => {
                self.expect(&Ty::Str, &rt, r.span);
                Ty::Str
            }
            _ => {
                let numeric = |t: &Ty| t.is_numeric() || matches!(t, Ty::Duration | Ty::Size);
                if !numeric(&lt) {
                    return self.mismatch_msg(l.span, "a number", &lt);
                }
                if !numeric(&rt) {
                    return self.mismatch_msg(r.span, "a number", &rt);
                }
                match self.join(&lt, &rt, r.span) {
                    // `/` always gives a float, as at run time (`7 / 2` is 3.5).
                    Ty::Int if op == BinOp::Div => Ty::Float,
                    t => t,
                }
            }
        }
    }

    fn match_expr(&mut self, env: &Env, scrutinee: &Expr, arms: &[crate::ast::MatchArm], span: Span, expected: Option<&Ty>) -> Ty {
        let st = self.expr(env, scrutinee, None);
        let variants = match &st {
            Ty::Enum(id) => Some(self.types.enum_def(*id).clone()),
            _ => None,
        };
        let mut covered: Vec<String> = Vec::new();
        let mut wildcard = false;
        let mut out: Option<Ty> = None;
        for arm in arms {
            match &arm.pattern {
                Pattern::Wildcard(_) => wildcard = true,
                Pattern::Name(n) => match &variants {
                    Some(def) if def.variants.contains(&n.name) => covered.push(n.name.clone()),
                    Some(def) => {
                        let mut d = Diagnostic::new(Code::UnknownVariant, n.span, format!("`{}` has no variant `{}`", def.name, n.name)).primary("unknown variant");
                        d = match suggest(&n.name, def.variants.iter().map(String::as_str)) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!("variants: {}", def.variants.join(", "))),
                        };
                        self.error(d);
                    }
                    None if st == Ty::Unknown => {}
                    None => {
                        let t = self.types.display(&st);
                        self.error(Diagnostic::new(Code::TypeMismatch, n.span, format!("a name pattern needs an enum, but the value is `{t}`")).primary("not an enum variant"));
                    }
                },
                Pattern::Lit(lit) => {
                    let lt = self.expr(env, lit, None);
                    self.join(&st, &lt, lit.span);
                }
            }
            let t = self.expr(env, &arm.body, expected.or(out.as_ref()));
            out = Some(match out {
                None => t,
                Some(prev) => self.join(&prev, &t, arm.body.span),
            });
        }
        if let Some(def) = &variants
            && !wildcard
        {
            let missing: Vec<&String> = def.variants.iter().filter(|v| !covered.contains(v)).collect();
            if !missing.is_empty() {
                let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
                self.error(Diagnostic::new(Code::NonExhaustiveMatch, span, format!("match on `{}` does not cover {}", def.name, list.join(", ")))
                    .primary("missing cases")
                    .help(format!("add an arm for {}, or `_ => ...`", list.join(", "))));
            }
        } else if variants.is_none() && !wildcard && st != Ty::Unknown && !arms.is_empty() {
            self.error(Diagnostic::new(Code::NonExhaustiveMatch, span, "match on a non-enum value needs a `_` arm").primary("missing `_ => ...`"));
        }
        out.unwrap_or(Ty::Unknown)
    }
}
