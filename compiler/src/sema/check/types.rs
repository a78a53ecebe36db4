//! Written types (`[Task]?`, `Embedding<384>`, `Trajectory<Task>`) and builtin signature types -> `Ty`.

use super::Checker;
use crate::ast::{TypeExpr, TypeExprKind};
use crate::builtins::sig::SigTy;
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::sema::modules::ModuleId;
use crate::sema::scope::Def;
use crate::sema::ty::{GENERIC_RECORDS, Ty};
use std::collections::HashMap;

const PRIMITIVES: &[&str] = &["int", "float", "bool", "str", "path", "duration", "size", "range", "Tensor", "Embedding", "model", "sandbox", "checkpoint"];

pub fn primitive(name: &str) -> Option<Ty> {
    Some(match name {
        "int" => Ty::Int,
        "float" => Ty::Float,
        "bool" => Ty::Bool,
        "str" => Ty::Str,
        "path" => Ty::Path,
        "duration" => Ty::Duration,
        "size" => Ty::Size,
        "range" => Ty::Range,
        "Tensor" => Ty::Tensor,
        "Embedding" => Ty::Embedding(None),
        "model" | "Model" => Ty::Model(None),
        "sandbox" | "Sandbox" => Ty::Sandbox,
        "checkpoint" | "Checkpoint" => Ty::Checkpoint,
        "Reward" => Ty::Reward(crate::sema::ty::Level::Outcome),
        "Funnel" => Ty::Funnel,
        "any" => Ty::Unknown,
        _ => return None,
    })
}

impl Checker<'_> {
    pub fn type_expr(&mut self, module: ModuleId, t: &TypeExpr) -> Ty {
        let base = match &t.kind {
            TypeExprKind::List(inner) => Ty::list(self.type_expr(module, inner)),
            TypeExprKind::GenericInt(name, n) if name.name == "Embedding" => Ty::Embedding(Some(*n)),
            TypeExprKind::GenericInt(name, _) => {
                self.error(Diagnostic::new(Code::UnknownType, name.span, format!("`{}` takes no number", name.name)).primary("only `Embedding<N>` takes a dimension"));
                Ty::Unknown
            }
            TypeExprKind::Generic(name, arg) => {
                let arg = self.type_expr(module, arg);
                if GENERIC_RECORDS.iter().any(|(n, _)| *n == name.name) {
                    self.types.apply(&name.name, arg)
                } else {
                    let generic: Vec<&str> = GENERIC_RECORDS.iter().map(|(n, _)| *n).collect();
                    self.error(Diagnostic::new(Code::UnknownType, name.span, format!("`{}` is not a generic type", name.name))
                        .primary("takes no type argument")
                        .help(format!("generic records: {}", generic.join(", "))));
                    Ty::Unknown
                }
            }
            TypeExprKind::Name(name) => self.named_type(module, &name.name, name.span),
        };
        if t.optional { Ty::Opt(Box::new(base)) } else { base }
    }

    fn named_type(&mut self, module: ModuleId, name: &str, span: crate::source::Span) -> Ty {
        if let Some(p) = primitive(name) {
            return p;
        }
        if let Some(Def::Item(r)) = self.lookup(module, name)
            && let Some(t) = self.declared_type(r)
        {
            return t;
        }
        let mut candidates: Vec<String> = PRIMITIVES.iter().map(|s| s.to_string()).collect();
        candidates.extend(self.types.records.iter().filter(|r| r.span.is_some()).map(|r| r.name.clone()));
        candidates.extend(self.types.enums.iter().map(|e| e.name.clone()));
        let mut d = Diagnostic::new(Code::UnknownType, span, format!("unknown type `{name}`")).primary("no schema, enum or built-in type has this name");
        if let Some(s) = suggest(name, candidates.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.error(d);
        Ty::Unknown
    }

    /// A builtin signature type with its type variables substituted (unbound ones become `_`).
    pub fn sig_to_ty(&mut self, t: &SigTy, binds: &HashMap<char, Ty>) -> Ty {
        match t {
            SigTy::Named(n) => primitive(n).or_else(|| self.prelude_type(n)).unwrap_or(Ty::Unknown),
            SigTy::Var(v) => binds.get(v).cloned().unwrap_or(Ty::Unknown),
            SigTy::List(i) => Ty::list(self.sig_to_ty(i, binds)),
            SigTy::Opt(i) => Ty::Opt(Box::new(self.sig_to_ty(i, binds))),
            SigTy::Fn(ps, r) => Ty::Fn(ps.iter().map(|p| self.sig_to_ty(p, binds)).collect(), Box::new(self.sig_to_ty(r, binds))),
            SigTy::Symbols(s) => Ty::Symbol(s.clone()),
            SigTy::App(base, arg) => {
                let arg = self.sig_to_ty(arg, binds);
                self.types.apply(base, arg)
            }
        }
    }

    /// A record or enum of the prelude by name (`Verdict`, `Stage`).
    pub fn prelude_type(&self, name: &str) -> Option<Ty> {
        let r = self.scopes.own[crate::sema::modules::PRELUDE.0 as usize].get(name)?;
        self.declared_type(*r)
    }
}
