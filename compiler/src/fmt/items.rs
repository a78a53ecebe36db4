//! Items, statements and verifier clauses -> canonical lines.

use super::Printer;
use super::expr::{expr_text, statement_text, ty_text};
use crate::ast::*;

fn params_text(ps: &[Param]) -> String {
    let parts: Vec<String> = ps.iter().map(|p| format!("{}: {}", p.name.name, ty_text(&p.ty))).collect();
    parts.join(", ")
}

fn attr_text(a: &Attribute) -> String {
    if a.args.is_empty() {
        format!("@{}", a.name.name)
    } else {
        let args: Vec<&str> = a.args.iter().map(|x| x.name.as_str()).collect();
        format!("@{}({})", a.name.name, args.join(", "))
    }
}

fn policy_text(p: &Policy) -> String {
    match p {
        Policy::Simple(w) => w.name.clone(),
        Policy::Retry { times, otherwise: Some(o), .. } => format!("retry({times}) else {}", policy_text(o)),
        Policy::Retry { times, otherwise: None, .. } => format!("retry({times})"),
    }
}

impl Printer<'_> {
    /// Print a possibly multi-line text block at the current indentation.
    fn block_text(&mut self, s: &str) {
        let mut lines = s.lines();
        if let Some(first) = lines.next() {
            self.line(first);
        }
        for l in lines {
            self.out.push_str(l);
            self.out.push('\n');
        }
    }

    pub(super) fn items(&mut self, items: &[Item]) {
        for item in items {
            self.begin(item.span);
            for a in &item.attrs {
                self.line(&attr_text(a));
            }
            self.item(item);
            self.end(item.span);
        }
    }

    fn item(&mut self, item: &Item) {
        let i = self.indent;
        match &item.kind {
            ItemKind::Use(u) => {
                let module = match &u.module {
                    ModuleRef::Path(segs) => segs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("."),
                    ModuleRef::File(p, _) => format!("{p:?}"),
                };
                let tail = match &u.kind {
                    UseKind::Namespace(None) => String::new(),
                    UseKind::Namespace(Some(a)) => format!(" as {}", a.name),
                    UseKind::Names(ns) => format!(".{{{}}}", ns.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")),
                };
                self.line(&format!("use {module}{tail}"));
            }
            ItemKind::Const(c) => {
                let ty = c.ty.as_ref().map(|t| format!(": {}", ty_text(t))).unwrap_or_default();
                self.block_text(&statement_text(&format!("const {}{ty} = ", c.name.name), &c.value, i));
            }
            ItemKind::Schema(s) => {
                self.line(&format!("schema {} {{", s.name.name));
                self.open();
                for f in &s.fields {
                    let span = f.name.span.to(f.ty.span);
                    self.begin(span);
                    self.line(&format!("{}: {}", f.name.name, ty_text(&f.ty)));
                    self.end(span);
                }
                self.close(item.span.end);
            }
            ItemKind::Enum(e) => {
                let vs: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
                self.line(&format!("enum {} {{ {} }}", e.name.name, vs.join(", ")));
            }
            ItemKind::Dataset(d) => {
                let ty = d.ty.as_ref().map(|t| format!(": {}", ty_text(t))).unwrap_or_default();
                self.block_text(&statement_text(&format!("dataset {}{ty} = ", d.name.name), &d.source, i));
            }
            ItemKind::Model(b) => self.block_text(&statement_text(&format!("model {} = ", b.name.name), &b.value, i)),
            ItemKind::Sandbox(b) => self.block_text(&statement_text(&format!("sandbox {} = ", b.name.name), &b.value, i)),
            ItemKind::Fn(f) => {
                let head = format!("fn {}({}) -> {} = ", f.name.name, params_text(&f.params), ty_text(&f.ret));
                self.block_text(&statement_text(&head, &f.body, i));
            }
            ItemKind::Verifier(v) => self.verifier(v, item.span.end),
            ItemKind::Reward(r) => {
                let params = r.params.as_ref().map(|p| format!("({})", params_text(p))).unwrap_or_default();
                let level = r.level.as_ref().map(|l| format!(": {}", l.name)).unwrap_or_default();
                self.block_text(&statement_text(&format!("reward {}{params}{level} = ", r.name.name), &r.body, i));
            }
            ItemKind::Funnel(f) => {
                self.line(&format!("funnel {}({}) -> {} {{", f.name.name, params_text(&f.params), ty_text(&f.ret)));
                self.open();
                for s in &f.stages {
                    self.begin(s.span);
                    let text = statement_text(&format!("stage {} = ", s.name.name), &s.value, self.indent);
                    self.block_text(&text);
                    self.end(s.span);
                }
                self.close(item.span.end);
            }
            ItemKind::Pipeline(p) => {
                self.line(&format!("pipeline {} {{", p.name.name));
                self.open();
                self.stmts(&p.body);
                self.close(item.span.end);
            }
        }
    }

    fn verifier(&mut self, v: &VerifierDecl, end: u32) {
        let head = format!("verifier {}({}) -> {}", v.name.name, params_text(&v.params), ty_text(&v.ret));
        let clauses = match &v.body {
            VerifierBody::Expr(e) => {
                let text = statement_text(&format!("{head} = "), e, self.indent);
                self.block_text(&text);
                return;
            }
            VerifierBody::Block(c) => c,
        };
        self.line(&format!("{head} {{"));
        self.open();
        for c in clauses {
            match c {
                VerifierClause::Sandbox { sandbox, commands, span } => {
                    self.begin(*span);
                    self.line(&format!("in {} {{", sandbox.name));
                    self.open();
                    for cmd in commands {
                        self.command(cmd);
                    }
                    self.close(span.end);
                    self.end(*span);
                }
                VerifierClause::PassWhen(e) => {
                    self.begin(e.span);
                    let text = format!("pass when {}", expr_text(e, self.indent));
                    self.line(&text);
                    self.end(e.span);
                }
                VerifierClause::On { event, policy, span } => {
                    self.begin(*span);
                    self.line(&format!("on {} => {}", event.name, policy_text(policy)));
                    self.end(*span);
                }
            }
        }
        self.close(end);
    }

    fn command(&mut self, cmd: &Command) {
        let i = self.indent;
        let (text, span) = match cmd {
            Command::Copy { from, to, span } => (format!("copy {} to {}", expr_text(from, i), expr_text(to, i)), *span),
            Command::Mount { from, at, span } => (format!("mount {} at {}", expr_text(from, i), expr_text(at, i)), *span),
            Command::Apply { patch, at, span } => (format!("apply {} at {}", expr_text(patch, i), expr_text(at, i)), *span),
            Command::Run { cmd, at, timeout, span } => {
                let mut t = format!("run {}", expr_text(cmd, i));
                if let Some(a) = at {
                    t.push_str(&format!(" at {}", expr_text(a, i)));
                }
                if let Some(d) = timeout {
                    t.push_str(&format!(" timeout {}", expr_text(d, i)));
                }
                (t, *span)
            }
        };
        self.begin(span);
        self.line(&text);
        self.end(span);
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.begin(s.span);
            for a in &s.attrs {
                self.line(&attr_text(a));
            }
            let i = self.indent;
            match &s.kind {
                StmtKind::Let { name, value } => self.block_text(&statement_text(&format!("let {} = ", name.name), value, i)),
                StmtKind::Expr(e) => self.block_text(&statement_text("", e, i)),
                StmtKind::Report(items) => {
                    let parts: Vec<String> = items.iter().map(|x| expr_text(x, i)).collect();
                    self.line(&format!("report {}", parts.join(", ")));
                }
                StmtKind::For { var, range, body } => {
                    self.line(&format!("for {} in {} {{", var.name, expr_text(range, i)));
                    self.open();
                    self.stmts(body);
                    self.close(s.span.end);
                }
            }
            self.end(s.span);
        }
    }
}
