//! Checked types -> `DataTy`: the self-contained, serialisable shape of a node's output that the
//! runtime validates records against (no ids into the checker's tables).

use crate::sema::ty::{Ty, Types};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DataTy {
    Int,
    Float,
    Bool,
    Str,
    List { of: Box<DataTy> },
    Optional { of: Box<DataTy> },
    Record { name: String, fields: Vec<Field> },
    Enum { name: String, variants: Vec<String> },
    /// A vector of floats; `dim` when known statically.
    Embedding { dim: Option<u64> },
    /// Not data (models, rewards, ...) or not known statically: not validated.
    Any,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub ty: DataTy,
}

impl DataTy {
    /// The element type of a list, or `Any`.
    pub fn elem(&self) -> &DataTy {
        match self {
            DataTy::List { of } => of,
            _ => &DataTy::Any,
        }
    }

    /// How the type reads in a message (`[Example]`, `str?`).
    pub fn display(&self) -> String {
        match self {
            DataTy::Int => "int".into(),
            DataTy::Float => "float".into(),
            DataTy::Bool => "bool".into(),
            DataTy::Str => "str".into(),
            DataTy::List { of } => format!("[{}]", of.display()),
            DataTy::Optional { of } => format!("{}?", of.display()),
            DataTy::Record { name, .. } | DataTy::Enum { name, .. } => name.clone(),
            DataTy::Embedding { dim: Some(d) } => format!("Embedding<{d}>"),
            DataTy::Embedding { dim: None } => "Embedding".into(),
            DataTy::Any => "_".into(),
        }
    }
}

/// The data shape of a checked type; records are expanded (depth-limited against recursion).
pub fn ty_to_data(types: &Types, ty: &Ty) -> DataTy {
    convert(types, ty, 0)
}

fn convert(types: &Types, ty: &Ty, depth: u32) -> DataTy {
    if depth > 16 {
        return DataTy::Any;
    }
    let of = |t: &Ty| Box::new(convert(types, t, depth + 1));
    match ty {
        Ty::Int | Ty::Duration | Ty::Size => DataTy::Int,
        Ty::Float => DataTy::Float,
        Ty::Bool => DataTy::Bool,
        Ty::Str | Ty::Path => DataTy::Str,
        Ty::List(t) => DataTy::List { of: of(t) },
        Ty::Opt(t) => DataTy::Optional { of: of(t) },
        Ty::Record(id) => {
            let def = types.record(*id);
            let fields = def.fields.iter().map(|(n, t)| Field { name: n.clone(), ty: convert(types, t, depth + 1) }).collect();
            DataTy::Record { name: def.name.clone(), fields }
        }
        Ty::Enum(id) => {
            let def = types.enum_def(*id);
            DataTy::Enum { name: def.name.clone(), variants: def.variants.clone() }
        }
        Ty::Embedding(dim) => DataTy::Embedding { dim: *dim },
        _ => DataTy::Any,
    }
}
