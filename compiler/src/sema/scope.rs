//! Program -> top-level scopes: each module's own items plus its imports; duplicates (E0202) and
//! missing imported names (E0103) are reported here. Lookup falls back to the prelude.

use super::modules::{ModuleId, PRELUDE, Program};
use crate::ast::{ItemKind, ModuleRef, UseKind};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, suggest};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ItemRef {
    pub module: ModuleId,
    pub index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Def {
    Item(ItemRef),
    Namespace(ModuleId),
}

#[derive(Debug, Default)]
pub struct Scopes {
    /// Per module: the names it declares (no imports).
    pub own: Vec<HashMap<String, ItemRef>>,
    /// Per module: everything visible at top level (own + imports).
    pub visible: Vec<HashMap<String, Def>>,
}

impl Scopes {
    pub fn lookup(&self, module: ModuleId, name: &str) -> Option<Def> {
        self.visible[module.0 as usize].get(name).copied().or_else(|| self.own[PRELUDE.0 as usize].get(name).map(|r| Def::Item(*r)))
    }
    /// Every top-level name visible in a module, for suggestions.
    pub fn names(&self, module: ModuleId) -> impl Iterator<Item = &str> {
        self.visible[module.0 as usize].keys().chain(self.own[PRELUDE.0 as usize].keys()).map(String::as_str)
    }
}

pub fn program_to_scopes(program: &Program, diags: &mut Diagnostics) -> Scopes {
    let mut scopes = Scopes::default();
    for id in program.ids() {
        let mut own: HashMap<String, ItemRef> = HashMap::new();
        for (index, item) in program.module(id).ast.items.iter().enumerate() {
            let Some(name) = item.name() else { continue };
            if let Some(first) = own.get(&name.name) {
                let first_span = program.module(id).ast.items[first.index].name().map_or(item.span, |n| n.span);
                diags.push(Diagnostic::new(Code::Duplicate, name.span, format!("`{}` is defined twice", name.name))
                    .primary("defined again here")
                    .label(first_span, "first defined here")
                    .help("rename one of them"));
                continue;
            }
            own.insert(name.name.clone(), ItemRef { module: id, index });
        }
        scopes.own.push(own);
    }
    for id in program.ids() {
        let mut visible: HashMap<String, Def> = scopes.own[id.0 as usize].iter().map(|(k, v)| (k.clone(), Def::Item(*v))).collect();
        let module = program.module(id);
        for (index, item) in module.ast.items.iter().enumerate() {
            let (ItemKind::Use(u), Some(target)) = (&item.kind, module.imports.get(&index)) else { continue };
            match &u.kind {
                UseKind::Namespace(alias) => {
                    let name = match (alias, &u.module) {
                        (Some(a), _) => a.name.clone(),
                        (None, ModuleRef::Path(segs)) => segs.last().map(|s| s.name.clone()).unwrap_or_default(),
                        (None, ModuleRef::File(p, _)) => file_stem(p),
                    };
                    visible.insert(name, Def::Namespace(*target));
                }
                UseKind::Names(names) => {
                    let exported = &scopes.own[target.0 as usize];
                    for n in names {
                        match exported.get(&n.name) {
                            Some(r) => {
                                visible.insert(n.name.clone(), Def::Item(*r));
                            }
                            None => {
                                let mut d = Diagnostic::new(Code::NotExported, n.span, format!("`{}` is not declared in `{}`", n.name, program.name(*target)))
                                    .primary("not found in that module");
                                if let Some(s) = suggest(&n.name, exported.keys().map(String::as_str)) {
                                    d = d.help(format!("did you mean `{s}`?"));
                                }
                                diags.push(d);
                            }
                        }
                    }
                }
            }
        }
        scopes.visible.push(visible);
    }
    scopes
}

fn file_stem(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".pipe").unwrap_or(file).to_string()
}
