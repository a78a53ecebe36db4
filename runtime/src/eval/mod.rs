//! Pure expressions at run time: `ast::Expr` + locals + the node's refs + the Plan's top-level
//! declarations -> a value. Names resolve innermost first: lambda/fn parameters, `for` bindings,
//! pipeline refs, then the module's consts, fns and enum variants, then pure builtins.

mod builtins;
mod metrics;
mod ops;
mod reward;
mod rules;
mod verifier;

pub use verifier::source_digest;

use crate::data::Value;
use pipec_compiler::ast::{self, Expr, ExprKind, ItemKind, Pattern, StrPart};
use pipec_compiler::plan::{ArgValue, Definition, Node, Plan};
use pipec_compiler::source::Span;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A failure while evaluating, at the expression that failed.
#[derive(Debug, Clone)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
}

pub type Result<T> = std::result::Result<T, EvalError>;

pub fn fail<T>(span: Span, message: impl Into<String>) -> Result<T> {
    Err(EvalError { message: message.into(), span })
}

/// A value during evaluation: data, or something callable.
#[derive(Debug, Clone)]
pub enum Val {
    Data(Value),
    Closure(Arc<Closure>),
    /// A top-level `fn`, by qualified name.
    Fn(String),
    /// A pure builtin function.
    Builtin(&'static str),
    /// `.a.b`: a field path.
    Path(Vec<String>),
}

#[derive(Debug)]
pub struct Closure {
    params: Vec<String>,
    body: Expr,
    captured: Vec<(String, Val)>,
    module: String,
}

/// Parameter bindings, innermost last.
pub type Locals = Vec<(String, Val)>;

/// Evaluates one node's expressions. Inline `let`s and consts are evaluated once, on first use.
pub struct Evaluator<'p> {
    plan: &'p Plan,
    module: String,
    /// Pipeline names: node outputs and for-loop bindings, ready to read.
    names: HashMap<String, Arc<Value>>,
    inline: BTreeMap<String, Expr>,
    memo: RefCell<HashMap<String, Value>>,
    /// Where verifiers run their sandboxes, and the folder their `copy` paths are relative to.
    sandbox: Option<(Arc<crate::sandbox::Client>, std::path::PathBuf)>,
    /// Full output of each sandboxed verification since the last `take_logs`.
    logs: RefCell<Vec<String>>,
    /// Rewards already evaluated for the record being scored.
    reward_memo: RefCell<HashMap<String, Value>>,
    /// Host files read while evaluating (verifier copies and mounts) -> BLAKE3 of their bytes,
    /// shared by forks: they become the cache entry's file dependencies.
    reads: Arc<std::sync::Mutex<BTreeMap<String, String>>>,
}

impl<'p> Evaluator<'p> {
    /// The evaluator for `node`, given the outputs of the nodes it reads, by node id.
    pub fn for_node(plan: &'p Plan, node: &Node, outputs: &HashMap<String, Arc<Value>>) -> Self {
        let mut names: HashMap<String, Arc<Value>> = node.bindings.iter().map(|(k, v)| (k.clone(), Arc::new(Value::from(*v)))).collect();
        let mut inline = BTreeMap::new();
        for (name, r) in &node.refs {
            match r {
                ArgValue::Input { node } => {
                    if let Some(v) = outputs.get(node) {
                        names.insert(name.clone(), v.clone());
                    }
                }
                ArgValue::Expr { ast, .. } => {
                    inline.insert(name.clone(), ast.clone());
                }
            }
        }
        Evaluator { plan, module: node.module.clone(), names, inline, memo: RefCell::default(), sandbox: None, logs: RefCell::default(), reward_memo: RefCell::default(), reads: Arc::default() }
    }

    /// An independent evaluator for the same node (its own memo), for another worker thread.
    pub fn fork(&self) -> Evaluator<'p> {
        Evaluator { plan: self.plan, module: self.module.clone(), names: self.names.clone(), inline: self.inline.clone(), memo: RefCell::default(), sandbox: self.sandbox.clone(), logs: RefCell::default(), reward_memo: RefCell::default(), reads: self.reads.clone() }
    }

    /// The full output of the sandboxed verifications run since the last call (verdicts keep
    /// only its tail).
    pub fn take_logs(&self) -> Vec<String> {
        std::mem::take(&mut *self.logs.borrow_mut())
    }

    /// Let verifiers called by this node's expressions run sandboxes; `copy` paths are relative
    /// to `base`.
    pub fn with_sandbox(mut self, client: Arc<crate::sandbox::Client>, base: std::path::PathBuf) -> Self {
        self.sandbox = Some((client, base));
        self
    }

    /// The host files read so far (by this evaluator and its forks), with their content hashes.
    pub fn files_read(&self) -> BTreeMap<String, String> {
        self.reads.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn note_read(&self, path: &std::path::Path, digest: String) {
        if let Ok(mut reads) = self.reads.lock() {
            reads.insert(path.display().to_string(), digest);
        }
    }

    /// The declaration `name` refers to from this node's module.
    pub fn definition(&self, name: &str) -> Option<&'p Definition> {
        self.plan.definitions.get(self.plan.scopes.get(&self.module)?.get(name)?)
    }

    /// Evaluate an expression of a top-level declaration (a model's arguments) in its module.
    pub fn value_of_declaration(&self, e: &Expr, module: &str) -> Result<Value> {
        self.value_in(e, &mut Vec::new(), module)
    }

    /// Evaluate to data (a function where data is expected is an error).
    pub fn value(&self, e: &Expr) -> Result<Value> {
        let module = self.module.clone();
        match self.eval(e, &mut Vec::new(), &module)? {
            Val::Data(v) => Ok(v),
            _ => fail(e.span, "expected a value here, found a function"),
        }
    }

    /// Evaluate `e` in `module` with `bound` visible as locals (a funnel's parameter).
    pub fn value_with(&self, e: &Expr, bound: &[(String, Value)], module: &str) -> Result<Value> {
        let mut locals: Locals = bound.iter().map(|(n, v)| (n.clone(), Val::Data(v.clone()))).collect();
        self.value_in(e, &mut locals, module)
    }

    /// Evaluate to something callable (`long_enough`, `.answer`, `|e| e.score > 0.5`).
    pub fn function(&self, e: &Expr) -> Result<Val> {
        let module = self.module.clone();
        self.eval(e, &mut Vec::new(), &module)
    }

    /// Call a function value with data arguments.
    pub fn call(&self, f: &Val, args: Vec<Value>, span: Span) -> Result<Value> {
        match f {
            Val::Closure(c) => {
                if c.params.len() != args.len() {
                    return fail(span, format!("this function takes {} argument(s), got {}", c.params.len(), args.len()));
                }
                let mut locals = c.captured.clone();
                locals.extend(c.params.iter().cloned().zip(args.into_iter().map(Val::Data)));
                self.value_in(&c.body, &mut locals, &c.module)
            }
            Val::Fn(qualified) => {
                let Some(Definition { module, item }) = self.plan.definitions.get(qualified) else { return fail(span, format!("`{qualified}` is not in the plan")) };
                if let ItemKind::Verifier(v) = &item.kind {
                    return verifier::call(self, v, &module.clone(), args, span);
                }
                let ItemKind::Fn(f) = &item.kind else { return fail(span, format!("`{qualified}` is not a function")) };
                let mut locals: Locals = f.params.iter().map(|p| p.name.name.clone()).zip(args.into_iter().map(Val::Data)).collect();
                let module = module.clone();
                self.value_in(&f.body, &mut locals, &module)
            }
            Val::Builtin(name) => builtins::call(name, args, span),
            Val::Path(path) => {
                let mut v = args.into_iter().next().unwrap_or(Value::Null);
                for field in path {
                    v = ops::field(v, field);
                }
                Ok(v)
            }
            Val::Data(_) => fail(span, "this value is not a function"),
        }
    }

    /// Call with evaluated arguments: `filter` and `map` inside an expression take a function;
    /// everything else takes data.
    fn apply(&self, f: &Val, args: Vec<Val>, span: Span) -> Result<Value> {
        if let Val::Builtin(name) = f
            && metrics::NAMES.contains(name)
        {
            return self.retrieval_metric(name, &args, span);
        }
        if let (Val::Builtin("resolution_rate"), [Val::Data(Value::Array(items)), g]) = (f, args.as_slice()) {
            let mut resolved = 0usize;
            for x in items {
                resolved += ops::truthy(&self.call(g, vec![x.clone()], span)?, span)? as usize;
            }
            return Ok(Value::from(if items.is_empty() { 0.0 } else { resolved as f64 / items.len() as f64 }));
        }
        if let (Val::Builtin(name @ ("filter" | "map")), [Val::Data(Value::Array(items)), g]) = (f, args.as_slice()) {
            let mut out = Vec::new();
            for x in items {
                let y = self.call(g, vec![x.clone()], span)?;
                match (*name, y) {
                    ("map", y) => out.push(y),
                    (_, Value::Bool(true)) => out.push(x.clone()),
                    (_, Value::Bool(false)) => {}
                    (_, other) => return fail(span, format!("the predicate returned {other}, not true or false")),
                }
            }
            return Ok(Value::Array(out));
        }
        let mut data = Vec::with_capacity(args.len());
        for a in args {
            match a {
                Val::Data(v) => data.push(v),
                _ => return fail(span, "a function cannot be passed here"),
            }
        }
        self.call(f, data, span)
    }

    fn value_in(&self, e: &Expr, locals: &mut Locals, module: &str) -> Result<Value> {
        match self.eval(e, locals, module)? {
            Val::Data(v) => Ok(v),
            _ => fail(e.span, "expected a value here, found a function"),
        }
    }

    fn eval(&self, e: &Expr, locals: &mut Locals, module: &str) -> Result<Val> {
        let data = |v: Value| Ok(Val::Data(v));
        match &e.kind {
            ExprKind::Int(n) => data(Value::from(*n)),
            ExprKind::Float(x) => data(Value::from(*x)),
            ExprKind::Bool(b) => data(Value::Bool(*b)),
            ExprKind::Duration(n) | ExprKind::Size(n) => data(Value::from(*n)),
            ExprKind::Str(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        StrPart::Text(t) => out.push_str(t),
                        StrPart::Interp(x) => out.push_str(&ops::text(&self.value_in(x, locals, module)?)),
                    }
                }
                data(Value::String(out))
            }
            ExprKind::Name(n) => self.name(&n.name, e.span, locals, module),
            ExprKind::Shorthand(path) => Ok(Val::Path(path.iter().map(|i| i.name.clone()).collect())),
            ExprKind::Field(base, field) => match &base.kind {
                // `swe.tools`: a declaration of an imported module, seen from that module.
                ExprKind::Name(ns) if !locals.iter().any(|(n, _)| *n == ns.name) && self.namespace(&ns.name, module).is_some() => {
                    let target = self.namespace(&ns.name, module).unwrap_or_default();
                    self.name(&field.name, field.span, &mut Vec::new(), &target)
                }
                _ => data(ops::field(self.value_in(base, locals, module)?, &field.name)),
            },
            ExprKind::Index(base, index) => {
                let (b, i) = (self.value_in(base, locals, module)?, self.value_in(index, locals, module)?);
                ops::index(b, &i).map(Val::Data).ok_or_else(|| EvalError { message: format!("index {i} is out of range"), span: index.span })
            }
            ExprKind::Call(callee, args) => {
                let f = self.callee(callee, locals, module)?;
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(&a.value, locals, module)?);
                }
                self.apply(&f, values, e.span).map(Val::Data)
            }
            ExprKind::Binary(ast::BinOp::Pipe, lhs, rhs) => {
                let input = self.eval(lhs, locals, module)?;
                let (callee, args): (&Expr, &[ast::Arg]) = match &rhs.kind {
                    ExprKind::Call(f, a) => (f, a),
                    _ => (rhs, &[]),
                };
                let f = self.callee(callee, locals, module)?;
                let mut values = vec![input];
                for a in args {
                    values.push(self.eval(&a.value, locals, module)?);
                }
                self.apply(&f, values, e.span).map(Val::Data)
            }
            ExprKind::Binary(op @ (ast::BinOp::And | ast::BinOp::Or), a, b) => {
                let left = ops::truthy(&self.value_in(a, locals, module)?, a.span)?;
                if left == (*op == ast::BinOp::Or) {
                    return data(Value::Bool(left));
                }
                data(Value::Bool(ops::truthy(&self.value_in(b, locals, module)?, b.span)?))
            }
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.value_in(a, locals, module)?, self.value_in(b, locals, module)?);
                ops::binary(*op, x, y, e.span).map(Val::Data)
            }
            ExprKind::Unary(op, x) => ops::unary(*op, self.value_in(x, locals, module)?, e.span).map(Val::Data),
            ExprKind::Lambda(params, body) => Ok(Val::Closure(Arc::new(Closure {
                params: params.iter().map(|p| p.name.clone()).collect(),
                body: (**body).clone(),
                captured: locals.clone(),
                module: module.to_string(),
            }))),
            ExprKind::If(c, t, f) => {
                let branch = if ops::truthy(&self.value_in(c, locals, module)?, c.span)? { t } else { f };
                self.eval(branch, locals, module)
            }
            ExprKind::Gate(cond, body) => {
                if ops::truthy(&self.value_in(cond, locals, module)?, cond.span)? {
                    self.eval(body, locals, module)
                } else {
                    data(Value::from(0.0))
                }
            }
            ExprKind::Match(scrutinee, arms) => {
                let v = self.value_in(scrutinee, locals, module)?;
                for arm in arms {
                    let hit = match &arm.pattern {
                        Pattern::Wildcard(_) => true,
                        Pattern::Name(n) => v.as_str() == Some(n.name.as_str()),
                        Pattern::Lit(l) => ops::equal(&v, &self.value_in(l, locals, module)?),
                    };
                    if hit {
                        return self.eval(&arm.body, locals, module);
                    }
                }
                fail(e.span, format!("no arm of this match accepts {v}"))
            }
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.value_in(i, locals, module)?);
                }
                data(Value::Array(out))
            }
            ExprKind::Paren(x) => self.eval(x, locals, module),
        }
    }

    fn name(&self, name: &str, span: Span, locals: &mut Locals, module: &str) -> Result<Val> {
        if let Some((_, v)) = locals.iter().rev().find(|(n, _)| n == name) {
            return Ok(v.clone());
        }
        if module == self.module {
            if let Some(v) = self.names.get(name) {
                return Ok(Val::Data((**v).clone()));
            }
            if let Some(e) = self.inline.get(name) {
                return self.memoised(name, || self.value_in(e, &mut Vec::new(), module)).map(Val::Data);
            }
        }
        if let Some(qualified) = self.plan.scopes.get(module).and_then(|s| s.get(name))
            && let Some(def) = self.plan.definitions.get(qualified)
        {
            return match &def.item.kind {
                ItemKind::Const(c) => {
                    let m = def.module.clone();
                    self.memoised(qualified, || self.value_in(&c.value, &mut Vec::new(), &m)).map(Val::Data)
                }
                ItemKind::Fn(_) | ItemKind::Verifier(_) => Ok(Val::Fn(qualified.clone())),
                ItemKind::Reward(_) => self.reward_in(&qualified.clone(), name, locals, span),
                _ => fail(span, format!("`{name}` is a {} and has no value inside an expression", pipec_compiler::sema::check::kind_word(&def.item.kind))),
            };
        }
        if self.is_variant(name, module) {
            return Ok(Val::Data(Value::String(name.to_string())));
        }
        match builtins::lookup(name) {
            Some(b) => Ok(Val::Builtin(b)),
            None => fail(span, format!("`{name}` has no value at run time")),
        }
    }

    /// What a call calls: a name that is both an enum variant and a builtin (`tool`, the `Role`
    /// variant and the tool constructor) is the builtin in call position, as the checker reads it.
    fn callee(&self, e: &Expr, locals: &mut Locals, module: &str) -> Result<Val> {
        if let ExprKind::Name(n) = &e.kind
            && let Some(b) = builtins::lookup(&n.name)
            && !locals.iter().any(|(l, _)| *l == n.name)
            && self.plan.scopes.get(module).and_then(|s| s.get(&n.name)).is_none()
            && self.is_variant(&n.name, module)
        {
            return Ok(Val::Builtin(b));
        }
        self.eval(e, locals, module)
    }

    /// The module a namespace import (`use std.swe` binds `swe`) names, seen from `module`.
    fn namespace(&self, name: &str, module: &str) -> Option<String> {
        let target = self.plan.scopes.get(module)?.get(name)?;
        self.plan.scopes.contains_key(target).then(|| target.clone())
    }

    fn is_variant(&self, name: &str, module: &str) -> bool {
        let Some(scope) = self.plan.scopes.get(module) else { return false };
        scope.values().filter_map(|q| self.plan.definitions.get(q)).any(|d| matches!(&d.item.kind, ItemKind::Enum(en) if en.variants.iter().any(|v| v.name == name)))
    }

    fn memoised(&self, key: &str, compute: impl FnOnce() -> Result<Value>) -> Result<Value> {
        if let Some(v) = self.memo.borrow().get(key) {
            return Ok(v.clone());
        }
        let v = compute()?;
        self.memo.borrow_mut().insert(key.to_string(), v.clone());
        Ok(v)
    }
}
