//! The syntax tree: what `syntax::source_to_ast` produces. Spans everywhere, no pest types.

use crate::source::Span;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attribute {
    pub name: Ident,
    pub args: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub attrs: Vec<Attribute>,
    pub kind: ItemKind,
    pub span: Span,
}

impl Item {
    /// The declared name, if the item declares one (`use` does not).
    pub fn name(&self) -> Option<&Ident> {
        match &self.kind {
            ItemKind::Use(_) => None,
            ItemKind::Const(c) => Some(&c.name),
            ItemKind::Schema(s) => Some(&s.name),
            ItemKind::Enum(e) => Some(&e.name),
            ItemKind::Dataset(d) => Some(&d.name),
            ItemKind::Model(b) | ItemKind::Sandbox(b) => Some(&b.name),
            ItemKind::Fn(f) => Some(&f.name),
            ItemKind::Verifier(v) => Some(&v.name),
            ItemKind::Reward(r) => Some(&r.name),
            ItemKind::Funnel(f) => Some(&f.name),
            ItemKind::Pipeline(p) => Some(&p.name),
        }
    }
    pub fn has_attr(&self, name: &str) -> bool {
        self.attrs.iter().any(|a| a.name.name == name)
    }
    /// `@allow(x)` on this item.
    pub fn allows(&self, lint: &str) -> bool {
        self.attrs.iter().any(|a| a.name.name == "allow" && a.args.iter().any(|x| x.name == lint))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ItemKind {
    Use(UseDecl),
    Const(ConstDecl),
    Schema(SchemaDecl),
    Enum(EnumDecl),
    Dataset(DatasetDecl),
    Model(Binding),
    Sandbox(Binding),
    Fn(FnDecl),
    Verifier(VerifierDecl),
    Reward(RewardDecl),
    Funnel(FunnelDecl),
    Pipeline(PipelineDecl),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ModuleRef {
    /// `std.rewards` (segments after `std`) or any dotted path.
    Path(Vec<Ident>),
    /// `"./common.pipe"`
    File(String, Span),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum UseKind {
    /// `use std.rewards` binds the namespace `rewards`; `as` renames it.
    Namespace(Option<Ident>),
    /// `use std.rewards.{a, b}`
    Names(Vec<Ident>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UseDecl {
    pub module: ModuleRef,
    pub kind: UseKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConstDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SchemaDecl {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnumDecl {
    pub name: Ident,
    pub variants: Vec<Ident>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub source: Expr,
}

/// `model NAME = EXPR` and `sandbox NAME = EXPR`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Binding {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: TypeExpr,
    pub body: Expr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifierDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: TypeExpr,
    pub body: VerifierBody,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum VerifierBody {
    /// `= math_equal(...)`: a pure check, no sandbox.
    Expr(Expr),
    Block(Vec<VerifierClause>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum VerifierClause {
    Sandbox { sandbox: Ident, commands: Vec<Command>, span: Span },
    PassWhen(Expr),
    On { event: Ident, policy: Policy, span: Span },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Command {
    Copy { from: Expr, to: Expr, span: Span },
    /// `mount FROM at PATH`: host files visible read-only at PATH.
    Mount { from: Expr, at: Expr, span: Span },
    Apply { patch: Expr, at: Expr, span: Span },
    Run { cmd: Expr, at: Option<Expr>, timeout: Option<Expr>, span: Span },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Policy {
    /// `fail`, `pass`, `drop`, or a misspelling the checker reports.
    Simple(Ident),
    Retry { times: u32, otherwise: Option<Box<Policy>>, span: Span },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RewardDecl {
    pub name: Ident,
    pub params: Option<Vec<Param>>,
    pub level: Option<Ident>,
    pub body: Expr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunnelDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: TypeExpr,
    pub stages: Vec<StageDecl>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageDecl {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineDecl {
    pub name: Ident,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stmt {
    pub attrs: Vec<Attribute>,
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StmtKind {
    Let { name: Ident, value: Expr },
    For { var: Ident, range: Expr, body: Vec<Stmt> },
    Report(Vec<Expr>),
    Expr(Expr),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum TypeExprKind {
    Name(Ident),
    List(Box<TypeExpr>),
    /// `Embedding<384>`
    GenericInt(Ident, u64),
    /// `Group<Task>`
    Generic(Ident, Box<TypeExpr>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Pipe,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Range,
    RangeIncl,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Pipe => "|>",
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Range => "..",
            BinOp::RangeIncl => "..=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
    /// Binding power: higher binds tighter. Shared by the parser and the formatter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Pipe => 1,
            BinOp::Range | BinOp::RangeIncl => 2,
            BinOp::Or => 3,
            BinOp::And => 4,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 7,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StrPart {
    Text(String),
    Interp(Expr),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Pattern {
    Wildcard(Span),
    Lit(Expr),
    /// An enum variant name.
    Name(Ident),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchArm {
    pub pattern: Pattern,
    pub body: Expr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Vec<StrPart>),
    /// Milliseconds.
    Duration(u64),
    /// Bytes.
    Size(u64),
    Name(Ident),
    /// `.a.b`: shorthand for `|x| x.a.b`.
    Shorthand(Vec<Ident>),
    Field(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Arg>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Lambda(Vec<Ident>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Match(Box<Expr>, Vec<MatchArm>),
    Gate(Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Paren(Box<Expr>),
}
