//! Calls -> types: arguments bound to parameters by position and name, checked against builtin
//! signatures (unknown, missing and surplus arguments are errors) or user `fn`/`verifier` params.

use super::{Checker, Env};
use crate::ast::{Arg, Expr, ExprKind, Ident, ItemKind};
use crate::builtins::sig::SigTy;
use crate::builtins::{self, Builtin, Namespace, TypeRule};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::sema::scope::Def;
use crate::sema::ty::Ty;
use crate::source::Span;
use std::collections::HashMap;

/// One argument of a call: an expression to type, or an already typed value (a piped input).
#[derive(Debug, Clone)]
pub struct ArgIn<'e> {
    pub name: Option<Ident>,
    pub expr: Option<&'e Expr>,
    pub ty: Option<Ty>,
    pub span: Span,
}

impl<'e> ArgIn<'e> {
    pub fn from_arg(a: &'e Arg) -> Self {
        ArgIn { name: a.name.clone(), expr: Some(&a.value), ty: None, span: a.value.span }
    }
}

/// Arguments bound to a builtin's parameters: parameter index -> (type, span, expression).
pub type Bound<'e> = Vec<Option<(Ty, Span, Option<&'e Expr>)>>;

impl Checker<'_> {
    pub fn call(&mut self, env: &Env, callee: &Expr, args: Vec<ArgIn>, span: Span) -> Ty {
        match &callee.kind {
            ExprKind::Name(n) if env.local(&n.name).is_none() => match self.lookup(env.module, &n.name) {
                Some(Def::Item(r)) => self.call_item(env, r, n, args, span),
                Some(Def::Namespace(_)) => self.not_callable(callee.span, "a module"),
                None => match builtins::lookup(Namespace::Value, &n.name) {
                    Some(b) => self.call_builtin(env, b, args, span, n.span),
                    None => {
                        self.type_args_loosely(env, &args);
                        self.unknown_name(env, n)
                    }
                },
            },
            ExprKind::Field(base, member) => {
                if let ExprKind::Name(ns) = &base.kind
                    && let Some(Def::Namespace(m)) = self.lookup(env.module, &ns.name)
                    && let Some(r) = self.scopes.own[m.0 as usize].get(&member.name).copied()
                {
                    return self.call_item(env, r, member, args, span);
                }
                let t = self.expr(env, callee, None);
                self.call_value(env, t, callee.span, args)
            }
            _ => {
                let t = self.expr(env, callee, None);
                self.call_value(env, t, callee.span, args)
            }
        }
    }

    fn not_callable(&mut self, span: Span, what: &str) -> Ty {
        self.error(Diagnostic::new(Code::NotCallable, span, format!("{what} cannot be called")).primary("not a function"));
        Ty::Unknown
    }

    fn type_args_loosely(&mut self, env: &Env, args: &[ArgIn]) {
        for a in args {
            if let Some(e) = a.expr {
                self.expr(env, e, None);
            }
        }
    }

    fn call_item(&mut self, env: &Env, r: crate::sema::scope::ItemRef, name: &Ident, args: Vec<ArgIn>, span: Span) -> Ty {
        let item = self.item(r);
        let params: Vec<(Ident, crate::ast::TypeExpr)> = match &item.kind {
            ItemKind::Fn(f) => f.params.iter().map(|p| (p.name.clone(), p.ty.clone())).collect(),
            ItemKind::Verifier(v) => v.params.iter().map(|p| (p.name.clone(), p.ty.clone())).collect(),
            ItemKind::Funnel(f) => f.params.iter().map(|p| (p.name.clone(), p.ty.clone())).collect(),
            other => {
                let kind = super::kind_word(other);
                self.type_args_loosely(env, &args);
                return self.not_callable(name.span, &format!("`{}` (a {kind})", name.name));
            }
        };
        let ret = match &item.kind {
            ItemKind::Fn(f) => self.type_expr(r.module, &f.ret),
            ItemKind::Verifier(v) => self.type_expr(r.module, &v.ret),
            ItemKind::Funnel(f) => self.type_expr(r.module, &f.ret),
            _ => Ty::Unknown,
        };
        let ptys: Vec<Ty> = params.iter().map(|(_, t)| self.type_expr(r.module, t)).collect();
        let names: Vec<&str> = params.iter().map(|(n, _)| n.name.as_str()).collect();
        let bound = self.bind_args(&names, &args, &name.name);
        for (i, slot) in bound.iter().enumerate() {
            match slot {
                Some(a) => {
                    let t = self.arg_ty(env, a, Some(&ptys[i]));
                    self.expect(&ptys[i], &t, a.span);
                }
                None if !matches!(ptys[i], Ty::Opt(_)) => self.missing(span, &name.name, &[names[i]], None),
                None => {}
            }
        }
        ret
    }

    fn call_value(&mut self, env: &Env, t: Ty, span: Span, args: Vec<ArgIn>) -> Ty {
        match t {
            Ty::Fn(ps, ret) => {
                for (i, a) in args.iter().enumerate() {
                    let want = ps.get(i).cloned().unwrap_or(Ty::Unknown);
                    let got = self.arg_ty(env, a, Some(&want));
                    self.expect(&want, &got, a.span);
                }
                *ret
            }
            Ty::Unknown => {
                self.type_args_loosely(env, &args);
                Ty::Unknown
            }
            other => {
                let what = format!("a `{}`", self.types.display(&other));
                self.not_callable(span, &what)
            }
        }
    }

    fn arg_ty(&mut self, env: &Env, a: &ArgIn, expected: Option<&Ty>) -> Ty {
        match (&a.ty, a.expr) {
            (Some(t), _) => t.clone(),
            (None, Some(e)) => self.expr(env, e, expected),
            (None, None) => Ty::Unknown,
        }
    }

    /// Bind arguments to parameter slots; reports unknown names, duplicates and surplus.
    fn bind_args<'e>(&mut self, params: &[&str], args: &[ArgIn<'e>], callee: &str) -> Vec<Option<ArgIn<'e>>> {
        let mut slots: Vec<Option<ArgIn>> = vec![None; params.len()];
        let mut next = 0;
        for a in args {
            match &a.name {
                Some(n) => match params.iter().position(|p| *p == n.name) {
                    Some(i) if slots[i].is_some() => {
                        self.error(Diagnostic::new(Code::UnknownArgument, n.span, format!("argument `{}` is given twice", n.name)).primary("given again here"));
                    }
                    Some(i) => slots[i] = Some(a.clone()),
                    None => {
                        let mut d = Diagnostic::new(Code::UnknownArgument, n.span, format!("`{callee}` has no parameter `{}`", n.name)).primary("unknown argument");
                        d = match suggest(&n.name, params.iter().copied()) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!("`{callee}` takes: {}", params.join(", "))),
                        };
                        self.error(d);
                    }
                },
                None => {
                    while next < slots.len() && slots[next].is_some() {
                        next += 1;
                    }
                    if next >= params.len() {
                        self.error(Diagnostic::new(Code::TooManyArguments, a.span, format!("`{callee}` takes {} argument{}", params.len(), if params.len() == 1 { "" } else { "s" }))
                            .primary("one too many")
                            .help(format!("parameters: {}", params.join(", "))));
                        continue;
                    }
                    slots[next] = Some(a.clone());
                }
            }
        }
        slots
    }

    fn missing(&mut self, span: Span, callee: &str, names: &[&str], sig: Option<&str>) {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        let mut d = Diagnostic::new(Code::MissingArgument, span, format!("`{callee}` is missing {}", list.join(", "))).primary("missing required argument");
        if let Some(s) = sig {
            d = d.help(format!("signature: {s}"));
        }
        self.error(d);
    }

    pub fn builtin_fn_ty(&mut self, b: &'static Builtin) -> Ty {
        let sig = b.signature();
        let binds = HashMap::new();
        let ps = sig.params.iter().filter(|p| p.required()).map(|p| self.sig_to_ty(&p.ty, &binds)).collect();
        Ty::Fn(ps, Box::new(self.sig_to_ty(&sig.ret, &binds)))
    }

    pub fn call_builtin(&mut self, env: &Env, b: &'static Builtin, args: Vec<ArgIn>, span: Span, name_span: Span) -> Ty {
        let sig = b.signature();
        let names: Vec<&str> = sig.params.iter().map(|p| p.name).collect();
        let slots = self.bind_args(&names, &args, b.name);
        let missing: Vec<&str> = sig.params.iter().zip(&slots).filter(|(p, s)| p.required() && s.is_none()).map(|(p, _)| p.name).collect();
        if !missing.is_empty() {
            self.missing(name_span.to(span), b.name, &missing, Some(b.sig));
        }
        let mut binds: HashMap<char, Ty> = HashMap::new();
        let mut bound: Bound = vec![None; slots.len()];
        // Values first, functions last: lambdas see the element types the data bound.
        let order: Vec<usize> = (0..slots.len()).filter(|i| !is_fn(&sig.params[*i].ty)).chain((0..slots.len()).filter(|i| is_fn(&sig.params[*i].ty))).collect();
        for i in order {
            let Some(a) = &slots[i] else { continue };
            let pty = &sig.params[i].ty;
            let t = if let SigTy::Symbols(options) = strip_opt(pty) {
                self.symbol_arg(a, options);
                Ty::Symbol(options.clone())
            } else {
                let expected = self.sig_to_ty(pty, &binds);
                let t = self.arg_ty(env, a, Some(&expected));
                self.unify_arg(pty, &t, a.span, &mut binds);
                t
            };
            bound[i] = Some((t, a.span, a.expr));
        }
        let ret = self.sig_to_ty(&sig.ret, &binds);
        self.apply_rule(b, ret, &bound, &binds)
    }

    fn unify_arg(&mut self, pty: &SigTy, t: &Ty, span: Span, binds: &mut HashMap<char, Ty>) {
        if let Err(m) = self.unify_sig(pty, t, binds) {
            let expected = self.sig_to_ty(pty, binds);
            match m {
                super::Mismatch::Dim(..) => self.expect(&expected, t, span),
                super::Mismatch::General => {
                    let (e, g) = (self.types.display(&expected), self.types.display(t));
                    self.error(Diagnostic::new(Code::TypeMismatch, span, format!("expected `{e}`, found `{g}`")).primary(format!("this is `{g}`")));
                }
            }
        }
    }

    fn symbol_arg(&mut self, a: &ArgIn, options: &[&'static str]) {
        let word = match a.expr.map(|e| &e.kind) {
            Some(ExprKind::Name(n)) => n,
            _ => {
                self.error(Diagnostic::new(Code::TypeMismatch, a.span, format!("expected one of {}", options.join(", "))).primary("write one of the words, unquoted"));
                return;
            }
        };
        if !options.contains(&word.name.as_str()) {
            let mut d = Diagnostic::new(Code::UnknownVariant, word.span, format!("`{}` is not one of {}", word.name, options.join(", "))).primary("unknown option");
            if let Some(s) = suggest(&word.name, options.iter().copied()) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.error(d);
        }
    }

    fn apply_rule(&mut self, b: &Builtin, ret: Ty, bound: &Bound, binds: &HashMap<char, Ty>) -> Ty {
        let sig = b.signature();
        let arg = |name: &str| sig.params.iter().position(|p| p.name == name).and_then(|i| bound[i].clone());
        // Rules extend the records of the first (input) argument.
        let elem = bound.first().cloned().flatten().and_then(|(t, _, _)| t.elem().cloned()).unwrap_or(Ty::Unknown);
        match b.rule {
            TypeRule::Plain => ret,
            TypeRule::Extend(field, ty_text) => {
                let fty = match crate::builtins::sig::parse_type(ty_text) {
                    Ok(s) => self.sig_to_ty(&s, binds),
                    Err(_) => Ty::Unknown,
                };
                Ty::list(self.types.extend(&elem, field, fty))
            }
            TypeRule::Score => {
                let name = match arg("reward").and_then(|(_, _, e)| e.map(|e| &e.kind)) {
                    Some(ExprKind::Name(n)) => n.name.clone(),
                    _ => "score".to_string(),
                };
                Ty::list(self.types.extend(&elem, &name, Ty::Float))
            }
            TypeRule::Embed => {
                let mut dim = match arg("model") {
                    Some((Ty::Model(d), _, _)) => d,
                    _ => None,
                };
                if let Some((_, _, Some(Expr { kind: ExprKind::Int(n), .. }))) = arg("dims") {
                    dim = Some(*n as u64);
                }
                Ty::list(self.types.extend(&elem, "embedding", Ty::Embedding(dim)))
            }
            TypeRule::Join => {
                let right = binds.get(&'U').cloned().unwrap_or(Ty::Unknown);
                Ty::list(self.types.merge(&elem, &right))
            }
            TypeRule::ModelDim => match arg("dim").and_then(|(_, _, e)| e.map(|e| &e.kind)) {
                Some(ExprKind::Int(n)) => Ty::Model(Some(*n as u64)),
                _ => Ty::Model(None),
            },
            TypeRule::Search => {
                let dims = |c: &Self, t: &Ty| match t.elem() {
                    Some(Ty::Record(r)) => match c.types.field(*r, "embedding") {
                        Some(Ty::Embedding(d)) => *d,
                        _ => None,
                    },
                    _ => None,
                };
                if let (Some((qt, qs, _)), Some((it, is, _))) = (arg("queries"), arg("index"))
                    && let (Some(q), Some(i)) = (dims(self, &qt), dims(self, &it))
                    && q != i
                {
                    self.error(Diagnostic::new(Code::EmbeddingDim, is, format!("the index holds {i}-dimensional embeddings but the queries have {q}"))
                        .primary(format!("Embedding<{i}>"))
                        .label(qs, format!("Embedding<{q}>"))
                        .help("embed the index and the queries with the same model (or truncate both with `dims:`)"));
                }
                ret
            }
        }
    }
}

fn strip_opt(t: &SigTy) -> &SigTy {
    match t {
        SigTy::Opt(i) => i,
        other => other,
    }
}

fn is_fn(t: &SigTy) -> bool {
    matches!(strip_opt(t), SigTy::Fn(..))
}
