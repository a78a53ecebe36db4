//! pipec-compiler: the pure front end. Source -> AST -> checked model -> Plan, plus diagnostics.
//! No file system, environment, clock, network, async or printing: IO comes in through
//! [`source::SourceLoader`], and results go out as values.

#![deny(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods, clippy::disallowed_types)]

pub mod ast;
pub mod diagnostics;
pub mod source;
pub mod syntax;
pub mod builtins;
pub mod sema;
pub mod stdlib;
pub mod fmt;
pub mod plan;

use diagnostics::Diagnostic;
use source::{SourceLoader, SourceMap};
use std::collections::BTreeMap;

/// Everything `compile` learned: the sources (for rendering), sorted diagnostics, and the Plan when
/// there were no errors.
pub struct Compiled {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub plan: Option<plan::Plan>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Source texts -> diagnostics and Plan. `entries` are `(display name, text)`; imports are read
/// through `loader`. Every independent error is reported in one run.
pub fn compile(entries: &[(String, String)], loader: &dyn SourceLoader) -> Compiled {
    let (program, mut diags) = sema::modules::sources_to_program(entries, loader);
    if program.modules.iter().any(|m| !m.parsed_clean) {
        return Compiled { sources: program.sources, diagnostics: diags.into_sorted(), plan: None };
    }
    let scopes = sema::scope::program_to_scopes(&program, &mut diags);
    let mut checker = sema::check::Checker::new(&program, &scopes);
    checker.check_bodies();
    let mut pipelines = Vec::new();
    for id in program.ids().filter(|m| program.module(*m).is_entry) {
        for item in &program.module(id).ast.items {
            if let ast::ItemKind::Pipeline(p) = &item.kind {
                let mut plan = plan::lower::pipeline_to_plan(&mut checker, id, p);
                plan::taint::check_taint(&mut plan, &mut checker.diags);
                pipelines.push(plan);
            }
        }
    }
    diags.extend(std::mem::take(&mut checker.diags));
    let definitions = program_definitions(&program);
    let has_errors = diags.has_errors();
    let plan = (!has_errors).then(|| plan::Plan { version: plan::PLAN_VERSION, pipelines, definitions, scopes: program_scopes(&program, &scopes) });
    let diagnostics = diags.into_sorted();
    Compiled { sources: program.sources, diagnostics, plan }
}

fn program_definitions(program: &sema::modules::Program) -> BTreeMap<String, plan::Definition> {
    let mut out = BTreeMap::new();
    for id in program.ids() {
        let module = program.name(id).to_string();
        for item in &program.module(id).ast.items {
            if matches!(item.kind, ast::ItemKind::Use(_) | ast::ItemKind::Pipeline(_)) {
                continue;
            }
            if let Some(name) = item.name() {
                out.insert(format!("{module}::{}", name.name), plan::Definition { module: module.clone(), item: item.clone() });
            }
        }
    }
    out
}

/// Each module's visible top-level names, with the prelude's as fallback, as qualified names.
fn program_scopes(program: &sema::modules::Program, scopes: &sema::scope::Scopes) -> BTreeMap<String, BTreeMap<String, String>> {
    use sema::scope::Def;
    let qualified = |def: Def| match def {
        Def::Item(r) => {
            let name = program.module(r.module).ast.items[r.index].name().map_or("", |n| n.name.as_str());
            format!("{}::{name}", program.name(r.module))
        }
        Def::Namespace(m) => program.name(m).to_string(),
    };
    program
        .ids()
        .map(|id| {
            let names = scopes.names(id).filter_map(|n| Some((n.to_string(), qualified(scopes.lookup(id, n)?)))).collect();
            (program.name(id).to_string(), names)
        })
        .collect()
}
