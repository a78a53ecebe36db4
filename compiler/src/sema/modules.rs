//! Entry sources -> `Program`: every module parsed, `use` edges resolved (stdlib by name, user
//! modules by relative path through the `SourceLoader`), import cycles reported with the chain.

use crate::ast::{self, ItemKind, ModuleRef};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, suggest};
use crate::source::{FileId, SourceFile, SourceLoader, SourceMap, Span, join_relative};
use crate::stdlib;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ModuleId(pub u32);

/// The prelude is always module 0.
pub const PRELUDE: ModuleId = ModuleId(0);

#[derive(Debug)]
pub struct Module {
    pub file: FileId,
    pub ast: ast::Module,
    /// Target of each `use` item, by item index; `None` when it failed to load.
    pub imports: HashMap<usize, ModuleId>,
    pub is_entry: bool,
    /// Whether the file parsed without syntax errors.
    pub parsed_clean: bool,
}

#[derive(Debug, Default)]
pub struct Program {
    pub sources: SourceMap,
    pub modules: Vec<Module>,
}

impl Program {
    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules[id.0 as usize]
    }
    pub fn ids(&self) -> impl Iterator<Item = ModuleId> {
        (0..self.modules.len() as u32).map(ModuleId)
    }
    pub fn name(&self, id: ModuleId) -> &str {
        &self.sources.get(self.module(id).file).name
    }
}

struct Loader<'a> {
    program: Program,
    by_name: HashMap<String, ModuleId>,
    pending: Vec<ModuleId>,
    loader: &'a dyn SourceLoader,
    diags: Diagnostics,
}

/// Load the entry files and everything they import.
pub fn sources_to_program(entries: &[(String, String)], loader: &dyn SourceLoader) -> (Program, Diagnostics) {
    let mut l = Loader { program: Program::default(), by_name: HashMap::new(), pending: vec![], loader, diags: Diagnostics::default() };
    l.add(stdlib::path("prelude"), stdlib::source("prelude").unwrap_or_default().to_string(), false);
    for (name, text) in entries {
        if !l.by_name.contains_key(name) {
            l.add(name.clone(), text.clone(), true);
        }
    }
    while let Some(id) = l.pending.pop() {
        l.resolve_uses(id);
    }
    report_cycles(&l.program, &mut l.diags);
    (l.program, l.diags)
}

impl Loader<'_> {
    fn add(&mut self, name: String, text: String, is_entry: bool) -> ModuleId {
        let file = self.program.sources.add(SourceFile::new(name.clone(), text));
        let (ast, diags) = self.loader.parse(&name, file, &self.program.sources.get(file).text);
        let parsed_clean = !diags.has_errors();
        self.diags.extend(diags);
        self.program.modules.push(Module { file, ast, imports: HashMap::new(), is_entry, parsed_clean });
        let id = ModuleId(self.program.modules.len() as u32 - 1);
        self.by_name.insert(name, id);
        self.pending.push(id);
        id
    }

    fn resolve_uses(&mut self, id: ModuleId) {
        let importer = self.program.name(id).to_string();
        let uses: Vec<(usize, ModuleRef, Span)> = self.program.modules[id.0 as usize]
            .ast
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| match &it.kind {
                ItemKind::Use(u) => Some((i, u.module.clone(), it.span)),
                _ => None,
            })
            .collect();
        for (index, module, span) in uses {
            if let Some(target) = self.load_ref(&importer, &module, span) {
                self.program.modules[id.0 as usize].imports.insert(index, target);
            }
        }
    }

    fn load_ref(&mut self, importer: &str, module: &ModuleRef, item_span: Span) -> Option<ModuleId> {
        match module {
            ModuleRef::Path(segs) => {
                let span = segs.first().map_or(item_span, |f| f.span.to(segs[segs.len() - 1].span));
                let names: Vec<&str> = segs.iter().map(|s| s.name.as_str()).collect();
                let [root, name] = names.as_slice() else {
                    self.diags.push(Diagnostic::new(Code::ModuleNotFound, span, format!("cannot find module `{}`", names.join(".")))
                        .primary("not a module")
                        .help("stdlib modules are written `std.NAME`; your own modules `\"./file.pipe\"`"));
                    return None;
                };
                match (*root, stdlib::source(name)) {
                    ("std", Some(text)) if *name != "prelude" => {
                        let path = stdlib::path(name);
                        Some(self.by_name.get(&path).copied().unwrap_or_else(|| self.add(path, text.to_string(), false)))
                    }
                    _ => {
                        let known = stdlib::MODULES.iter().map(|(n, _)| *n).filter(|n| *n != "prelude");
                        let mut d = Diagnostic::new(Code::ModuleNotFound, span, format!("cannot find module `{}`", names.join(".")))
                            .primary("no such standard module");
                        d = match suggest(name, known.clone()) {
                            Some(s) => d.help(format!("did you mean `std.{s}`?")),
                            None => d.help(format!("standard modules: {}", known.collect::<Vec<_>>().join(", "))),
                        };
                        self.diags.push(d);
                        None
                    }
                }
            }
            ModuleRef::File(rel, span) => {
                let path = join_relative(importer, rel);
                if let Some(id) = self.by_name.get(&path) {
                    return Some(*id);
                }
                match self.loader.load(&path) {
                    Ok(text) => Some(self.add(path, text, false)),
                    Err(reason) => {
                        self.diags.push(Diagnostic::new(Code::ModuleNotFound, *span, format!("cannot read module `{path}`"))
                            .primary(reason)
                            .help("paths are relative to the importing file"));
                        None
                    }
                }
            }
        }
    }
}

/// Report each import cycle once, at the `use` that closes it.
fn report_cycles(program: &Program, diags: &mut Diagnostics) {
    let n = program.modules.len();
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    let mut stack: Vec<ModuleId> = Vec::new();
    for start in program.ids() {
        if state[start.0 as usize] == 0 {
            visit(program, start, &mut state, &mut stack, diags);
        }
    }
}

fn visit(program: &Program, id: ModuleId, state: &mut [u8], stack: &mut Vec<ModuleId>, diags: &mut Diagnostics) {
    state[id.0 as usize] = 1;
    stack.push(id);
    let module = program.module(id);
    let mut edges: Vec<(&usize, &ModuleId)> = module.imports.iter().collect();
    edges.sort();
    for (item, target) in edges {
        match state[target.0 as usize] {
            0 => visit(program, *target, state, stack, diags),
            1 => {
                let from = stack.iter().position(|m| m == target).unwrap_or(0);
                let mut chain: Vec<&str> = stack[from..].iter().map(|m| program.name(*m)).collect();
                chain.push(program.name(*target));
                let span = module.ast.items[*item].span;
                diags.push(Diagnostic::new(Code::ImportCycle, span, "modules import each other in a cycle")
                    .primary("this import closes the cycle")
                    .note(format!("cycle: {}", chain.join(" -> ")))
                    .help("move the shared declarations into a module that both import"));
            }
            _ => {}
        }
    }
    stack.pop();
    state[id.0 as usize] = 2;
}
