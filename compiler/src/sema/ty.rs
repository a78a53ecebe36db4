//! Types of the checked model and the table of record/enum definitions they point into.

use crate::source::Span;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RecordId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EnumId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Outcome,
    Step,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Path,
    Duration,
    Size,
    Range,
    List(Box<Ty>),
    Opt(Box<Ty>),
    Record(RecordId),
    Enum(EnumId),
    /// `Embedding<d>`; `None` when the dimension is not known statically.
    Embedding(Option<u64>),
    Tensor,
    Fn(Vec<Ty>, Box<Ty>),
    /// A model; embedding models may declare their dimension.
    Model(Option<u64>),
    Sandbox,
    Reward(Level),
    Funnel,
    Checkpoint,
    /// A bare word chosen from a builtin parameter's fixed set (`pooling: mean`).
    Symbol(Vec<&'static str>),
    /// A type variable of a builtin signature.
    Var(u32),
    /// Anything: untyped data, or a value whose type already produced an error.
    Unknown,
}

impl Ty {
    pub fn list(t: Ty) -> Ty {
        Ty::List(Box::new(t))
    }
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Unknown)
    }
    pub fn elem(&self) -> Option<&Ty> {
        match self {
            Ty::List(t) => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RecordDef {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
    pub span: Option<Span>,
    /// For `Trajectory<Task>` and records derived from it: `("Trajectory", Task)`.
    pub generic: Option<(String, Ty)>,
}

/// Generic prelude records: the fields that hold their type argument, and whether as a list.
pub const GENERIC_RECORDS: &[(&str, &[(&str, bool)])] = &[
    ("Trajectory", &[("task", false)]),
    ("Sample", &[("input", false)]),
    ("StepPrefix", &[("input", false)]),
    ("StepValue", &[("input", false)]),
    ("Group", &[("items", true)]),
    ("Batch", &[("items", true)]),
    ("Split", &[("train", true), ("test", true)]),
    ("Hits", &[("query", false)]),
    ("Triple", &[("query", false)]),
    ("Retrieved", &[("query", false)]),
    ("PicaAnswer", &[("input", false)]),
];

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub variants: Vec<String>,
}

/// Every record and enum in the program, schemas first, then records derived by stages.
#[derive(Debug, Default, Clone)]
pub struct Types {
    pub records: Vec<RecordDef>,
    pub enums: Vec<EnumDef>,
}

impl Types {
    pub fn add_record(&mut self, def: RecordDef) -> RecordId {
        self.records.push(def);
        RecordId(self.records.len() as u32 - 1)
    }
    pub fn add_enum(&mut self, def: EnumDef) -> EnumId {
        self.enums.push(def);
        EnumId(self.enums.len() as u32 - 1)
    }
    pub fn record(&self, id: RecordId) -> &RecordDef {
        &self.records[id.0 as usize]
    }
    pub fn enum_def(&self, id: EnumId) -> &EnumDef {
        &self.enums[id.0 as usize]
    }
    pub fn field(&self, id: RecordId, name: &str) -> Option<&Ty> {
        self.record(id).fields.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
    pub fn record_by_name(&self, name: &str) -> Option<RecordId> {
        self.records.iter().position(|r| r.name == name).map(|i| RecordId(i as u32))
    }

    /// `base + {name: ty}`: a new record with one field added (or replaced).
    pub fn extend(&mut self, base: &Ty, name: &str, ty: Ty) -> Ty {
        let Ty::Record(id) = base else { return Ty::Unknown };
        let base_def = self.record(*id).clone();
        let mut fields = base_def.fields;
        fields.retain(|(n, _)| n != name);
        fields.push((name.to_string(), ty));
        let name = format!("{} + {{{name}}}", base_def.name);
        self.intern(RecordDef { name, fields, span: None, generic: base_def.generic })
    }

    /// `Trajectory<Task>`: the base record plus its generic fields holding `arg`.
    pub fn apply(&mut self, base: &str, arg: Ty) -> Ty {
        let (Some(id), Some((_, holders))) = (self.record_by_name(base), GENERIC_RECORDS.iter().find(|(n, _)| *n == base)) else {
            return Ty::Unknown;
        };
        let mut fields = self.record(id).fields.clone();
        for (field, is_list) in holders.iter() {
            let t = if *is_list { Ty::list(arg.clone()) } else { arg.clone() };
            fields.push((field.to_string(), t));
        }
        let name = format!("{base}<{}>", self.display(&arg));
        self.intern(RecordDef { name, fields, span: None, generic: Some((base.to_string(), arg)) })
    }

    fn intern(&mut self, def: RecordDef) -> Ty {
        if let Some(id) = self.records.iter().position(|r| r.name == def.name && r.fields == def.fields) {
            return Ty::Record(RecordId(id as u32));
        }
        Ty::Record(self.add_record(def))
    }

    /// Record with all fields of both sides (right wins on clashes).
    pub fn merge(&mut self, left: &Ty, right: &Ty) -> Ty {
        let mut out = left.clone();
        if let Ty::Record(r) = right {
            for (n, t) in self.record(*r).fields.clone() {
                out = self.extend(&out, &n, t);
            }
        }
        out
    }

    pub fn display(&self, ty: &Ty) -> String {
        match ty {
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::Str => "str".into(),
            Ty::Path => "path".into(),
            Ty::Duration => "duration".into(),
            Ty::Size => "size".into(),
            Ty::Range => "range".into(),
            Ty::List(t) => format!("[{}]", self.display(t)),
            Ty::Opt(t) => format!("{}?", self.display(t)),
            Ty::Record(id) => self.record(*id).name.clone(),
            Ty::Enum(id) => self.enum_def(*id).name.clone(),
            Ty::Embedding(Some(d)) => format!("Embedding<{d}>"),
            Ty::Embedding(None) => "Embedding".into(),
            Ty::Tensor => "Tensor".into(),
            Ty::Fn(params, ret) => {
                let ps: Vec<String> = params.iter().map(|p| self.display(p)).collect();
                format!("fn({}) -> {}", ps.join(", "), self.display(ret))
            }
            Ty::Model(Some(d)) => format!("model (embedding, {d} dims)"),
            Ty::Model(None) => "model".into(),
            Ty::Sandbox => "sandbox".into(),
            Ty::Reward(Level::Outcome) => "reward (outcome)".into(),
            Ty::Reward(Level::Step) => "reward (step)".into(),
            Ty::Funnel => "funnel".into(),
            Ty::Checkpoint => "checkpoint".into(),
            Ty::Symbol(options) => options.join(" | "),
            Ty::Var(_) | Ty::Unknown => "_".into(),
        }
    }
}
