//! Checked model -> Plan (`pipeline_to_plan`): each pipeline's statements become nodes. Stage calls
//! are nodes, `let` names them (forward references allowed; a cycle is E0801), `for` unrolls over
//! a constant range (E0802 otherwise), `write`/`save`/`report` are sinks, datasets are sources.

use super::{ArgValue, Location, Node, NodeKind, NodePolicy, PipelinePlan, data_ty::ty_to_data, policy::attrs_to_policy};
use crate::ast::{BinOp, Expr, ExprKind, ItemKind, PipelineDecl, Stmt, StmtKind};
use crate::builtins::{self, Builtin, Effect, Namespace, Resource};
use crate::diagnostics::{Code, Diagnostic};
use crate::sema::check::call::ArgIn;
use crate::sema::check::{Checker, Env};
use crate::sema::modules::ModuleId;
use crate::sema::rewards::children;
use crate::sema::scope::{Def, ItemRef};
use crate::sema::ty::Ty;
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, HashMap};

#[derive(Clone)]
enum Value {
    Node(NodeIndex, Ty),
    /// Evaluated inline by its consumer; `deps` are the nodes it reads.
    Pure(Ty, Vec<NodeIndex>),
}

impl Value {
    fn ty(&self) -> Ty {
        match self {
            Value::Node(_, t) | Value::Pure(t, _) => t.clone(),
        }
    }
    fn deps(&self) -> Vec<NodeIndex> {
        match self {
            Value::Node(n, _) => vec![*n],
            Value::Pure(_, d) => d.clone(),
        }
    }
}

enum LetState<'a> {
    Pending(&'a Expr),
    InProgress,
    Done(Value),
}

pub struct Lowerer<'c, 'a> {
    c: &'c mut Checker<'a>,
    module: ModuleId,
    plan: PipelinePlan,
    scopes: Vec<HashMap<String, LetState<'a>>>,
    let_chain: Vec<String>,
    datasets: HashMap<ItemRef, NodeIndex>,
    bindings: BTreeMap<String, i64>,
    /// The expression of each `let`, for inlining pure ones into the nodes that read them.
    let_exprs: HashMap<String, &'a Expr>,
    /// The policy of each `let` statement, and the one in force for nodes being added now.
    let_policies: HashMap<String, NodePolicy>,
    policy: NodePolicy,
    /// Attributes already diagnosed (a `for` body is lowered once per iteration).
    reported: std::collections::HashSet<u32>,
    counter: usize,
    has_sink: bool,
}

/// Lower one pipeline; diagnostics go to the checker.
pub fn pipeline_to_plan<'a>(c: &mut Checker<'a>, module: ModuleId, p: &'a PipelineDecl) -> PipelinePlan {
    let mut l = Lowerer {
        c,
        module,
        plan: PipelinePlan { name: p.name.name.clone(), ..Default::default() },
        scopes: vec![HashMap::new()],
        let_chain: vec![],
        datasets: HashMap::new(),
        bindings: BTreeMap::new(),
        let_exprs: HashMap::new(),
        let_policies: HashMap::new(),
        policy: NodePolicy::default(),
        reported: Default::default(),
        counter: 0,
        has_sink: false,
    };
    l.block(&p.body);
    if !l.has_sink {
        l.c.error(Diagnostic::new(Code::NoSink, p.name.span, format!("pipeline `{}` has no sink", p.name.name))
            .primary("nothing is written, saved or reported")
            .help("end a chain with `write(...)`, `save(...)`, or add `report ...`; otherwise nothing runs"));
    }
    l.plan
}

impl<'c, 'a> Lowerer<'c, 'a> {
    fn block(&mut self, stmts: &'a [Stmt]) {
        for s in stmts {
            if let StmtKind::Let { name, value } = &s.kind {
                let scope = self.scopes.last_mut().unwrap_or_else(|| unreachable!("a scope is always open"));
                if scope.contains_key(&name.name) {
                    self.c.error(Diagnostic::new(Code::Duplicate, name.span, format!("`{}` is bound twice in this pipeline", name.name)).primary("bound again here"));
                    continue;
                }
                scope.insert(name.name.clone(), LetState::Pending(value));
                let policy = self.stmt_policy(s);
                self.let_policies.insert(name.name.clone(), policy);
            }
        }
        for s in stmts {
            let outer = match &s.kind {
                StmtKind::Let { .. } => self.policy.clone(),
                _ => {
                    let p = self.stmt_policy(s);
                    std::mem::replace(&mut self.policy, p)
                }
            };
            match &s.kind {
                StmtKind::Let { name, .. } => {
                    self.let_value(&name.name, name.span);
                }
                StmtKind::Expr(e) => {
                    self.value(e);
                }
                StmtKind::Report(items) => self.report(items, s),
                StmtKind::For { var, range, body } => self.unroll(var, range, body),
            }
            self.policy = outer;
        }
    }

    /// `@timeout`/`@retry` of a statement; malformed ones are reported once.
    fn stmt_policy(&mut self, s: &Stmt) -> NodePolicy {
        let (policy, errors) = attrs_to_policy(&s.attrs);
        for e in errors {
            if self.reported.insert(e.span().start) {
                self.c.error(e);
            }
        }
        policy
    }

    fn unroll(&mut self, var: &crate::ast::Ident, range: &Expr, body: &'a [Stmt]) {
        let Some((lo, hi)) = self.const_range(range) else {
            self.c.error(Diagnostic::new(Code::NonConstantLoop, range.span, "a `for` range must be known before the pipeline runs")
                .primary("not a constant range")
                .help("write integer literals or `const`s: `for i in 1..=3 { ... }`"));
            return;
        };
        for i in lo..hi {
            self.bindings.insert(var.name.clone(), i);
            self.scopes.push(HashMap::new());
            self.block(body);
            self.scopes.pop();
        }
        self.bindings.remove(&var.name);
    }

    fn const_range(&mut self, e: &Expr) -> Option<(i64, i64)> {
        let ExprKind::Binary(op @ (BinOp::Range | BinOp::RangeIncl), a, b) = &e.kind else { return None };
        let (lo, hi) = (self.const_int(a)?, self.const_int(b)?);
        Some((lo, if *op == BinOp::RangeIncl { hi + 1 } else { hi }))
    }

    fn const_int(&self, e: &Expr) -> Option<i64> {
        match &e.kind {
            ExprKind::Int(n) => Some(*n),
            ExprKind::Paren(x) => self.const_int(x),
            ExprKind::Unary(crate::ast::UnOp::Neg, x) => self.const_int(x).map(|n| -n),
            ExprKind::Name(n) => match self.bindings.get(&n.name) {
                Some(v) => Some(*v),
                None => match self.c.lookup(self.module, &n.name)? {
                    Def::Item(r) => match &self.c.item(r).kind {
                        ItemKind::Const(k) => self.const_int(&k.value),
                        _ => None,
                    },
                    Def::Namespace(_) => None,
                },
            },
            _ => None,
        }
    }

    fn let_value(&mut self, name: &str, span: crate::source::Span) -> Option<Value> {
        let depth = self.scopes.iter().rposition(|s| s.contains_key(name))?;
        let state = self.scopes[depth].insert(name.to_string(), LetState::InProgress);
        match state {
            Some(LetState::Done(v)) => {
                self.scopes[depth].insert(name.to_string(), LetState::Done(v.clone()));
                Some(v)
            }
            Some(LetState::Pending(e)) => {
                self.let_exprs.insert(name.to_string(), e);
                self.let_chain.push(name.to_string());
                let own = self.let_policies.get(name).cloned().unwrap_or_default();
                let outer = std::mem::replace(&mut self.policy, own);
                let v = self.value(e);
                self.policy = outer;
                self.let_chain.pop();
                // Name the node after the first `let` that binds it; `let b = a` is an alias.
                if let Value::Node(n, _) = &v
                    && self.plan.graph[*n].id.contains('#')
                {
                    let suffix: Vec<String> = self.bindings.values().map(|i| i.to_string()).collect();
                    self.plan.graph[*n].id = if suffix.is_empty() { name.to_string() } else { format!("{name}[{}]", suffix.join(",")) };
                }
                self.scopes[depth].insert(name.to_string(), LetState::Done(v.clone()));
                Some(v)
            }
            Some(LetState::InProgress) | None => {
                let mut chain = self.let_chain.clone();
                chain.push(name.to_string());
                self.c.error(Diagnostic::new(Code::DependencyCycle, span, format!("`{name}` depends on itself"))
                    .primary("cycle closes here")
                    .note(format!("cycle: {}", chain.join(" -> ")))
                    .help("a pipeline is a DAG; to iterate, unroll with `for i in 1..=N { ... }`"));
                self.scopes[depth].insert(name.to_string(), LetState::Done(Value::Pure(Ty::Unknown, vec![])));
                Some(Value::Pure(Ty::Unknown, vec![]))
            }
        }
    }

    /// The environment `exprs` are typed in: the lowered lets they read (innermost binding wins)
    /// and the loop variables. Only the names read, so lowering stays linear in pipeline size.
    fn env_for<'e>(&self, exprs: impl IntoIterator<Item = &'e Expr>) -> Env {
        let mut env = Env::new(self.module);
        let mut names = Vec::new();
        exprs.into_iter().for_each(|e| free_lets(e, &mut names));
        names.sort_by(|a, b| a.0.cmp(&b.0));
        names.dedup_by(|a, b| a.0 == b.0);
        for (n, _) in names {
            if let Some(LetState::Done(v)) = self.scopes.iter().rev().find_map(|s| s.get(&n)) {
                env.locals.push((n, v.ty()));
            }
        }
        for k in self.bindings.keys() {
            env.locals.push((k.clone(), Ty::Int));
        }
        env
    }

    fn is_let(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.contains_key(name))
    }

    fn value(&mut self, e: &'a Expr) -> Value {
        match &e.kind {
            ExprKind::Name(n) if self.is_let(&n.name) => self.let_value(&n.name, n.span).unwrap_or(Value::Pure(Ty::Unknown, vec![])),
            ExprKind::Name(n) if !self.bindings.contains_key(&n.name) => match self.c.lookup(self.module, &n.name) {
                Some(Def::Item(r)) if matches!(self.c.item(r).kind, ItemKind::Dataset(_)) => self.dataset(r),
                _ => self.pure(e),
            },
            ExprKind::Paren(x) => self.value(x),
            ExprKind::Binary(BinOp::Pipe, lhs, rhs) => {
                let input = self.value(lhs);
                let (callee, args): (&Expr, &[crate::ast::Arg]) = match &rhs.kind {
                    ExprKind::Call(f, a) => (f, a),
                    _ => (rhs, &[]),
                };
                match self.stage_builtin(callee) {
                    Some(b) => self.stage(b, Some((input, lhs)), args, e),
                    None => self.pure_with(e, input.deps()),
                }
            }
            ExprKind::Call(callee, args) => match self.stage_builtin(callee) {
                Some(b) => self.stage(b, None, args, e),
                None => self.pure(e),
            },
            ExprKind::Field(base, field) if self.reads_nodes(base) => {
                let base_v = self.value(base);
                let t = self.c.field_of(&base_v.ty(), field);
                self.pure_typed(t, base_v.deps())
            }
            _ => self.pure(e),
        }
    }

    fn reads_nodes(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(n) => self.is_let(&n.name),
            _ => children(e).into_iter().any(|c| self.reads_nodes(c)),
        }
    }

    fn stage_builtin(&self, callee: &Expr) -> Option<&'static Builtin> {
        let ExprKind::Name(n) = &callee.kind else { return None };
        if self.is_let(&n.name) || self.c.lookup(self.module, &n.name).is_some() {
            return None;
        }
        builtins::lookup(Namespace::Value, &n.name).filter(|b| b.effect != Effect::Pure)
    }

    /// A pure expression: lower the lets it reads first, then type it.
    fn pure(&mut self, e: &'a Expr) -> Value {
        self.pure_with(e, vec![])
    }

    fn pure_with(&mut self, e: &'a Expr, mut deps: Vec<NodeIndex>) -> Value {
        let mut names = Vec::new();
        free_lets(e, &mut names);
        for (n, span) in names {
            if self.is_let(&n) {
                if let Some(v) = self.let_value(&n, span) {
                    deps.extend(v.deps());
                }
            } else if let Some(r) = self.dataset_ref(&n) {
                deps.extend(self.dataset(r).deps());
            }
        }
        let env = self.env_for([e]);
        let t = self.c.expr(&env, e, None);
        self.pure_typed(t, deps)
    }

    fn pure_typed(&self, t: Ty, mut deps: Vec<NodeIndex>) -> Value {
        deps.sort();
        deps.dedup();
        Value::Pure(t, deps)
    }

    /// The dataset a free name means here, unless a loop variable shadows it.
    fn dataset_ref(&self, name: &str) -> Option<ItemRef> {
        if self.bindings.contains_key(name) {
            return None;
        }
        match self.c.lookup(self.module, name)? {
            Def::Item(r) if matches!(self.c.item(r).kind, ItemKind::Dataset(_)) => Some(r),
            _ => None,
        }
    }

    /// Fill a node's `refs`: every pipeline name its expressions read, as a node output (with an
    /// edge, so it runs first) or as a pure `let` inlined (whose own names are followed too).
    fn collect_refs(&mut self, n: NodeIndex) {
        let mut queue: Vec<&'a Expr> = Vec::new();
        let own: Vec<Expr> = self.plan.graph[n].args.values().filter_map(|a| if let ArgValue::Expr { ast, .. } = a { Some(ast.clone()) } else { None }).collect();
        let mut names = Vec::new();
        own.iter().for_each(|e| free_lets(e, &mut names));
        let funnel_names = self.funnel_names(&names);
        let mut refs = BTreeMap::new();
        loop {
            for (name, span) in std::mem::take(&mut names) {
                if refs.contains_key(&name) || self.bindings.contains_key(&name) {
                    continue;
                }
                let value = if self.is_let(&name) {
                    if self.scopes.iter().any(|sc| matches!(sc.get(&name), Some(LetState::InProgress))) {
                        continue; // a cycle, already reported
                    }
                    self.let_value(&name, span)
                } else {
                    self.dataset_ref(&name).map(|r| self.dataset(r))
                };
                match value {
                    Some(Value::Node(m, _)) => {
                        refs.insert(name, self.input_from(m, n));
                    }
                    Some(Value::Pure(..)) => {
                        if let Some(e) = self.let_exprs.get(&name).copied() {
                            refs.insert(name, expr_arg(self.c, e));
                            queue.push(e);
                        }
                    }
                    None => {}
                }
            }
            match queue.pop() {
                Some(e) => free_lets(e, &mut names),
                None => break,
            }
        }
        for (name, _) in funnel_names {
            if !refs.contains_key(&name)
                && let Some(r) = self.dataset_ref(&name)
                && let Value::Node(m, _) = self.dataset(r)
            {
                refs.insert(name, self.input_from(m, n));
            }
        }
        self.plan.graph[n].refs = refs;
    }

    /// Node `m`'s output as an input of node `n` (with the edge, so `m` runs first).
    fn input_from(&mut self, m: NodeIndex, n: NodeIndex) -> ArgValue {
        let id = self.plan.graph[m].id.clone();
        if m != n && !self.plan.graph[n].inputs.contains(&id) {
            self.plan.graph.update_edge(m, n, ());
            self.plan.graph[n].inputs.push(id.clone());
        }
        ArgValue::Input { node: id }
    }

    /// The names read by the stages of the funnels among `names` (`retrieve(wiki, ...)` runs
    /// `wiki`, whose stages read datasets such as `kb`: those become the node's inputs too).
    fn funnel_names(&self, names: &[(String, crate::source::Span)]) -> Vec<(String, crate::source::Span)> {
        let mut out = Vec::new();
        for (name, _) in names {
            if self.is_let(name) || self.bindings.contains_key(name) {
                continue;
            }
            if let Some(Def::Item(r)) = self.c.lookup(self.module, name)
                && let ItemKind::Funnel(f) = &self.c.item(r).kind
            {
                f.stages.iter().for_each(|s| free_lets(&s.value, &mut out));
            }
        }
        out
    }

    fn dataset(&mut self, r: ItemRef) -> Value {
        let ty = self.c.item_ty(r);
        if let Some(n) = self.datasets.get(&r) {
            return Value::Node(*n, ty);
        }
        let item = self.c.item(r);
        let ItemKind::Dataset(d) = &item.kind else { return Value::Pure(ty, vec![]) };
        let saved_module = std::mem::replace(&mut self.module, r.module);
        let saved_scopes = std::mem::replace(&mut self.scopes, vec![HashMap::new()]);
        let v = self.value(&d.source);
        self.module = saved_module;
        self.scopes = saved_scopes;
        let n = match v {
            Value::Node(n, _) => n,
            Value::Pure(_, deps) => {
                let n = self.add_node("const", NodeKind::Source, Resource::Cpu, 1, &d.source, &ty, deps);
                self.plan.graph[n].args.insert("value".into(), expr_arg(self.c, &d.source));
                self.collect_refs(n);
                n
            }
        };
        self.plan.graph[n].id = format!("dataset:{}", d.name.name);
        self.plan.graph[n].eval_tainted = item.has_attr("eval");
        self.plan.graph[n].output = self.c.types.display(&ty);
        self.plan.graph[n].data = ty_to_data(&self.c.types, &ty);
        self.datasets.insert(r, n);
        Value::Node(n, ty)
    }

    fn stage(&mut self, b: &'static Builtin, piped: Option<(Value, &'a Expr)>, args: &'a [crate::ast::Arg], whole: &'a Expr) -> Value {
        let mut ins: Vec<ArgIn> = Vec::new();
        let mut values: Vec<Option<Value>> = Vec::new();
        if let Some((v, lhs)) = &piped {
            ins.push(ArgIn { name: None, expr: None, ty: Some(v.ty()), span: lhs.span });
            values.push(Some(v.clone()));
        }
        for a in args {
            if self.reads_nodes(&a.value) || self.stage_like(&a.value) {
                let v = self.value(&a.value);
                ins.push(ArgIn { name: a.name.clone(), expr: None, ty: Some(v.ty()), span: a.value.span });
                values.push(Some(v));
            } else {
                ins.push(ArgIn::from_arg(a));
                values.push(None);
            }
        }
        let env = self.env_for(args.iter().map(|a| &a.value));
        let ty = self.c.call_builtin(&env, b, ins.clone(), whole.span, whole.span);
        let mut deps: Vec<NodeIndex> = values.iter().flatten().flat_map(Value::deps).collect();
        deps.dedup();
        let kind = match b.effect {
            Effect::Source => NodeKind::Source,
            Effect::Sink => NodeKind::Sink,
            Effect::Train => NodeKind::Train,
            _ => NodeKind::Stage,
        };
        if matches!(kind, NodeKind::Sink | NodeKind::Train) {
            self.has_sink = true;
        }
        let n = self.add_node(b.name, kind, b.resource, b.version, whole, &ty, deps);
        let names: Vec<&str> = b.signature().params.iter().map(|p| p.name).collect();
        self.record_args(n, &names, &ins, &values, piped.map(|(_, lhs)| lhs));
        self.collect_refs(n);
        Value::Node(n, ty)
    }

    fn stage_like(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Binary(BinOp::Pipe, ..) => true,
            ExprKind::Call(f, _) => self.stage_builtin(f).is_some(),
            ExprKind::Name(n) => matches!(self.c.lookup(self.module, &n.name), Some(Def::Item(r)) if matches!(self.c.item(r).kind, ItemKind::Dataset(_))),
            _ => false,
        }
    }

    /// Store each argument under its parameter name (positional ones in order). A piped value that
    /// is not a node (`parts.train |> write(...)`) is kept as its expression.
    fn record_args(&mut self, n: NodeIndex, names: &[&str], ins: &[ArgIn], values: &[Option<Value>], piped: Option<&'a Expr>) {
        let mut next = 0;
        for (i, (a, v)) in ins.iter().zip(values).enumerate() {
            let name = match &a.name {
                Some(n) => n.name.clone(),
                None => {
                    while next < names.len() && ins.iter().any(|x| x.name.as_ref().is_some_and(|n| n.name == names[next])) {
                        next += 1;
                    }
                    next += 1;
                    names.get(next - 1).map_or_else(|| format!("arg{next}"), |s| s.to_string())
                }
            };
            let value = match (v, a.expr.or(if i == 0 { piped } else { None })) {
                (Some(Value::Node(m, _)), _) => ArgValue::Input { node: self.plan.graph[*m].id.clone() },
                (_, Some(e)) => expr_arg(self.c, e),
                (Some(Value::Pure(..)), None) | (None, None) => continue,
            };
            self.plan.graph[n].args.insert(name, value);
        }
    }

    fn report(&mut self, items: &'a [Expr], stmt: &'a Stmt) {
        let mut deps = Vec::new();
        let mut metrics = Vec::new();
        for e in items {
            let v = self.pure(e);
            deps.extend(v.deps());
            metrics.push(e);
        }
        deps.sort();
        deps.dedup();
        let n = self.add_node("report", NodeKind::Report, Resource::Cpu, 1, &Expr { kind: ExprKind::List(vec![]), span: stmt.span }, &Ty::Unknown, deps);
        for (i, e) in metrics.into_iter().enumerate() {
            let arg = expr_arg(self.c, e);
            self.plan.graph[n].args.insert(format!("{i:02}"), arg);
        }
        self.collect_refs(n);
        self.has_sink = true;
    }

    #[allow(clippy::too_many_arguments)]
    fn add_node(&mut self, builtin: &str, kind: NodeKind, resource: Resource, version: u32, at: &Expr, ty: &Ty, deps: Vec<NodeIndex>) -> NodeIndex {
        self.counter += 1;
        let file = self.c.program.sources.get(at.span.file);
        let (line, column) = file.line_col(at.span.start as usize);
        let node = Node {
            id: format!("{builtin}#{}", self.counter),
            kind,
            builtin: builtin.to_string(),
            builtin_version: version,
            module: self.c.program.name(self.module).to_string(),
            args: BTreeMap::new(),
            refs: BTreeMap::new(),
            bindings: self.bindings.clone(),
            inputs: deps.iter().map(|d| self.plan.graph[*d].id.clone()).collect(),
            output: self.c.types.display(ty),
            data: ty_to_data(&self.c.types, ty),
            resource,
            policy: self.policy.clone(),
            location: Location { file: file.name.clone(), line, column, start: at.span.start, end: at.span.end },
            eval_tainted: false,
            span: at.span,
        };
        let n = self.plan.graph.add_node(node);
        for d in deps {
            self.plan.graph.update_edge(d, n, ());
        }
        n
    }
}

fn expr_arg(c: &Checker, e: &Expr) -> ArgValue {
    ArgValue::Expr { source: c.program.sources.text(e.span).to_string(), ast: e.clone() }
}

/// Names an expression reads that are not bound by its own lambdas.
fn free_lets(e: &Expr, out: &mut Vec<(String, crate::source::Span)>) {
    match &e.kind {
        ExprKind::Name(n) => out.push((n.name.clone(), n.span)),
        ExprKind::Lambda(params, body) => {
            let mut inner = Vec::new();
            free_lets(body, &mut inner);
            out.extend(inner.into_iter().filter(|(n, _)| !params.iter().any(|p| p.name == *n)));
        }
        _ => children(e).into_iter().for_each(|c| free_lets(c, out)),
    }
}
