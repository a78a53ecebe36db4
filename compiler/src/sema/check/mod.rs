//! Scopes + program -> typed items: declares every schema and enum, then gives each item its type
//! (consts, datasets, models, sandboxes, fns, verifiers, rewards, funnels) and checks bodies.

pub mod call;
mod compat;
mod expr;
mod types;

pub use compat::Mismatch;

use super::modules::{ModuleId, Program};
use super::scope::{Def, ItemRef, Scopes};
use super::ty::{EnumDef, Level, RecordDef, Ty, Types};
use crate::ast::{self, Item, ItemKind};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::Span;
use std::collections::{HashMap, HashSet};

/// What an expression's names can see besides top-level items.
#[derive(Debug, Clone)]
pub struct Env {
    pub module: ModuleId,
    pub locals: Vec<(String, Ty)>,
    /// Inside a composite reward: reward names read as their values (float, or [float] per step).
    pub reward_values: bool,
}

impl Env {
    pub fn new(module: ModuleId) -> Self {
        Env { module, locals: vec![], reward_values: false }
    }
    pub fn with(&self, name: &str, ty: Ty) -> Env {
        let mut e = self.clone();
        e.locals.push((name.to_string(), ty));
        e
    }
    pub fn local(&self, name: &str) -> Option<&Ty> {
        self.locals.iter().rev().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

pub struct Checker<'a> {
    pub program: &'a Program,
    pub scopes: &'a Scopes,
    pub types: Types,
    pub diags: Diagnostics,
    records: HashMap<ItemRef, Ty>,
    item_tys: HashMap<ItemRef, Ty>,
    in_progress: HashSet<ItemRef>,
}

impl<'a> Checker<'a> {
    pub fn new(program: &'a Program, scopes: &'a Scopes) -> Self {
        let mut c = Checker {
            program,
            scopes,
            types: Types::default(),
            diags: Diagnostics::default(),
            records: HashMap::new(),
            item_tys: HashMap::new(),
            in_progress: HashSet::new(),
        };
        c.declare_types();
        c
    }

    pub fn item(&self, r: ItemRef) -> &'a Item {
        &self.program.module(r.module).ast.items[r.index]
    }

    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Every item of every module, in order.
    pub fn all_items(&self) -> Vec<ItemRef> {
        self.program
            .ids()
            .flat_map(|m| (0..self.program.module(m).ast.items.len()).map(move |index| ItemRef { module: m, index }))
            .collect()
    }

    /// Register schema and enum names first, then resolve their field types.
    fn declare_types(&mut self) {
        let items = self.all_items();
        for r in &items {
            match &self.item(*r).kind {
                ItemKind::Schema(s) => {
                    let id = self.types.add_record(RecordDef { name: s.name.name.clone(), fields: vec![], span: Some(s.name.span), generic: None });
                    self.records.insert(*r, Ty::Record(id));
                }
                ItemKind::Enum(e) => {
                    let id = self.types.add_enum(EnumDef { name: e.name.name.clone(), variants: e.variants.iter().map(|v| v.name.clone()).collect() });
                    self.records.insert(*r, Ty::Enum(id));
                }
                _ => {}
            }
        }
        for r in items {
            if let ItemKind::Schema(s) = &self.item(r).kind {
                let mut fields: Vec<(String, Ty)> = Vec::new();
                for f in &s.fields {
                    if fields.iter().any(|(n, _)| *n == f.name.name) {
                        self.error(Diagnostic::new(Code::Duplicate, f.name.span, format!("field `{}` is declared twice", f.name.name)).primary("declared again here"));
                        continue;
                    }
                    let t = self.type_expr(r.module, &f.ty);
                    fields.push((f.name.name.clone(), t));
                }
                if let Some(Ty::Record(id)) = self.records.get(&r) {
                    self.types.records[id.0 as usize].fields = fields;
                }
            }
        }
    }

    /// The record or enum type a schema/enum item declares.
    pub fn declared_type(&self, r: ItemRef) -> Option<Ty> {
        self.records.get(&r).cloned()
    }

    /// The value type of an item (computed once; cycles between items give `Unknown`).
    pub fn item_ty(&mut self, r: ItemRef) -> Ty {
        if let Some(t) = self.item_tys.get(&r) {
            return t.clone();
        }
        if !self.in_progress.insert(r) {
            return Ty::Unknown;
        }
        let t = self.compute_item_ty(r);
        self.in_progress.remove(&r);
        self.item_tys.insert(r, t.clone());
        t
    }

    fn compute_item_ty(&mut self, r: ItemRef) -> Ty {
        let env = Env::new(r.module);
        match &self.item(r).kind {
            ItemKind::Const(c) => self.annotated(&env, c.ty.as_ref(), &c.value),
            ItemKind::Dataset(d) => self.annotated(&env, d.ty.as_ref(), &d.source),
            ItemKind::Model(b) => self.constructor(&env, &b.value, crate::builtins::Namespace::ModelCtor),
            ItemKind::Sandbox(b) => self.constructor(&env, &b.value, crate::builtins::Namespace::SandboxCtor),
            ItemKind::Fn(f) => {
                let ps = f.params.iter().map(|p| self.type_expr(r.module, &p.ty)).collect();
                Ty::Fn(ps, Box::new(self.type_expr(r.module, &f.ret)))
            }
            ItemKind::Verifier(v) => {
                let ps = v.params.iter().map(|p| self.type_expr(r.module, &p.ty)).collect();
                Ty::Fn(ps, Box::new(self.type_expr(r.module, &v.ret)))
            }
            ItemKind::Reward(rw) => Ty::Reward(reward_level(rw).unwrap_or(Level::Outcome)),
            ItemKind::Funnel(_) => Ty::Funnel,
            ItemKind::Use(_) | ItemKind::Schema(_) | ItemKind::Enum(_) | ItemKind::Pipeline(_) => Ty::Unknown,
        }
    }

    /// `NAME: T = value`: the annotation wins when written, and the value must fit it.
    fn annotated(&mut self, env: &Env, ty: Option<&ast::TypeExpr>, value: &ast::Expr) -> Ty {
        let expected = ty.map(|t| self.type_expr(env.module, t));
        let got = self.expr(env, value, expected.as_ref());
        match expected {
            Some(t) => {
                self.expect(&t, &got, value.span);
                t
            }
            None => got,
        }
    }

    /// Type a `model = ...` / `sandbox = ...` right-hand side against its constructor namespace.
    fn constructor(&mut self, env: &Env, value: &ast::Expr, ns: crate::builtins::Namespace) -> Ty {
        if let ast::ExprKind::Call(callee, args) = &value.kind
            && let ast::ExprKind::Name(n) = &callee.kind
        {
            if let Some(b) = crate::builtins::lookup(ns, &n.name) {
                let ins = args.iter().map(call::ArgIn::from_arg).collect();
                return self.call_builtin(env, b, ins, value.span, n.span);
            }
            let what = if ns == crate::builtins::Namespace::ModelCtor { "model" } else { "sandbox" };
            let mut d = Diagnostic::new(Code::UnknownName, n.span, format!("unknown {what} constructor `{}`", n.name)).primary("not a constructor");
            if let Some(s) = crate::diagnostics::suggest(&n.name, crate::builtins::names(ns)) {
                d = d.help(format!("did you mean `{s}`?"));
            } else {
                d = d.help(format!("{what}s are made by {}", crate::builtins::names(ns).collect::<Vec<_>>().join(", ")));
            }
            self.error(d);
            return Ty::Unknown;
        }
        self.expr(env, value, None)
    }

    /// Check every body: fns, verifiers, rewards, funnels (pipelines are lowered separately).
    pub fn check_bodies(&mut self) {
        for r in self.all_items() {
            let _ = self.item_ty(r);
            let item = self.item(r);
            match &item.kind {
                ItemKind::Fn(f) => {
                    let env = self.params_env(r.module, &f.params);
                    let ret = self.type_expr(r.module, &f.ret);
                    let got = self.expr(&env, &f.body, Some(&ret));
                    self.expect(&ret, &got, f.body.span);
                }
                ItemKind::Verifier(v) => super::verifiers::check_verifier(self, r, v),
                ItemKind::Reward(rw) => super::rewards::check_reward(self, r, item, rw),
                ItemKind::Funnel(f) => super::funnels::check_funnel(self, r, f),
                _ => {}
            }
        }
    }

    pub fn params_env(&mut self, module: ModuleId, params: &[ast::Param]) -> Env {
        let mut env = Env::new(module);
        for p in params {
            let t = self.type_expr(module, &p.ty);
            env.locals.push((p.name.name.clone(), t));
        }
        env
    }

    /// Report E0301/E0306 when `got` does not fit `expected`.
    pub fn expect(&mut self, expected: &Ty, got: &Ty, span: Span) {
        match self.compat(expected, got) {
            Ok(()) => {}
            Err(Mismatch::Dim(a, b)) => {
                self.error(Diagnostic::new(Code::EmbeddingDim, span, format!("expected embeddings of {a} dimensions, found {b}"))
                    .primary(format!("Embedding<{b}>"))
                    .help("embed the index and the queries with the same model (or truncate both with `dims:`)"));
            }
            Err(Mismatch::General) => {
                let (e, g) = (self.types.display(expected), self.types.display(got));
                self.error(Diagnostic::new(Code::TypeMismatch, span, format!("expected `{e}`, found `{g}`")).primary(format!("this is `{g}`")));
            }
        }
    }

    /// Look a top-level name up from a module.
    pub fn lookup(&self, module: ModuleId, name: &str) -> Option<Def> {
        self.scopes.lookup(module, name)
    }
}

/// The keyword that declares an item kind, for messages.
pub fn kind_word(kind: &ItemKind) -> &'static str {
    match kind {
        ItemKind::Use(_) => "use",
        ItemKind::Const(_) => "const",
        ItemKind::Schema(_) => "schema",
        ItemKind::Enum(_) => "enum",
        ItemKind::Dataset(_) => "dataset",
        ItemKind::Model(_) => "model",
        ItemKind::Sandbox(_) => "sandbox",
        ItemKind::Fn(_) => "fn",
        ItemKind::Verifier(_) => "verifier",
        ItemKind::Reward(_) => "reward",
        ItemKind::Funnel(_) => "funnel",
        ItemKind::Pipeline(_) => "pipeline",
    }
}

/// `outcome` or `step` from a reward's declaration; composite rewards are outcome-level returns.
pub fn reward_level(r: &ast::RewardDecl) -> Option<Level> {
    match r.level.as_ref().map(|l| l.name.as_str()) {
        None | Some("outcome") => Some(Level::Outcome),
        Some("step") => Some(Level::Step),
        Some(_) => None,
    }
}
