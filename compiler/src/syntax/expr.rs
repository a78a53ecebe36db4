//! pest pairs for expressions, types and literals -> `ast::Expr` / `ast::TypeExpr` (Pratt parsing).

use super::Rule;
use crate::ast::*;
use crate::source::{FileId, Span};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

/// Where pairs come from: the file and the byte offset of the parsed chunk.
pub struct Cx {
    pub file: FileId,
    pub base: usize,
}

impl Cx {
    /// The pair's span without the whitespace and comments pest lets trail inside it.
    pub fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        let len = trimmed_len(pair.as_str());
        Span::new(self.file, s.start() + self.base, s.start() + len + self.base)
    }
}

/// Length of `text` once trailing whitespace and trailing `//` comment lines are cut.
fn trimmed_len(text: &str) -> usize {
    let mut t = text.trim_end();
    loop {
        let line_start = t.rfind('\n').map_or(0, |i| i + 1);
        let comments = super::comments::source_comments(FileId(0), &t[line_start..]);
        match comments.last() {
            Some(c) if c.span.end as usize + line_start == t.len() => t = t[..line_start + c.span.start as usize].trim_end(),
            _ => return t.len(),
        }
    }
}

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    use Assoc::Left;
    use Rule::*;
    PrattParser::new()
        .op(Op::infix(op_pipe, Left))
        .op(Op::infix(op_range, Left) | Op::infix(op_range_incl, Left))
        .op(Op::infix(op_or, Left))
        .op(Op::infix(op_and, Left))
        .op(Op::infix(op_eq, Left)
            | Op::infix(op_ne, Left)
            | Op::infix(op_lt, Left)
            | Op::infix(op_le, Left)
            | Op::infix(op_gt, Left)
            | Op::infix(op_ge, Left))
        .op(Op::infix(op_add, Left) | Op::infix(op_sub, Left))
        .op(Op::infix(op_mul, Left) | Op::infix(op_div, Left) | Op::infix(op_rem, Left))
        .op(Op::prefix(op_neg) | Op::prefix(op_not))
});

pub fn pair_to_ident(cx: &Cx, pair: Pair<Rule>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: cx.span(&pair) }
}

fn binop(rule: Rule) -> BinOp {
    match rule {
        Rule::op_pipe => BinOp::Pipe,
        Rule::op_or => BinOp::Or,
        Rule::op_and => BinOp::And,
        Rule::op_eq => BinOp::Eq,
        Rule::op_ne => BinOp::Ne,
        Rule::op_lt => BinOp::Lt,
        Rule::op_le => BinOp::Le,
        Rule::op_gt => BinOp::Gt,
        Rule::op_ge => BinOp::Ge,
        Rule::op_range => BinOp::Range,
        Rule::op_range_incl => BinOp::RangeIncl,
        Rule::op_add => BinOp::Add,
        Rule::op_sub => BinOp::Sub,
        Rule::op_mul => BinOp::Mul,
        Rule::op_div => BinOp::Div,
        _ => BinOp::Rem,
    }
}

pub fn pair_to_expr(cx: &Cx, pair: Pair<Rule>) -> Expr {
    PRATT
        .map_primary(|p| postfix_to_expr(cx, p))
        .map_prefix(|op, rhs| {
            let span = cx.span(&op).to(rhs.span);
            let op = if op.as_rule() == Rule::op_neg { UnOp::Neg } else { UnOp::Not };
            Expr { kind: ExprKind::Unary(op, Box::new(rhs)), span }
        })
        .map_infix(|lhs, op, rhs| {
            let span = lhs.span.to(rhs.span);
            Expr { kind: ExprKind::Binary(binop(op.as_rule()), Box::new(lhs), Box::new(rhs)), span }
        })
        .parse(pair.into_inner())
}

fn postfix_to_expr(cx: &Cx, pair: Pair<Rule>) -> Expr {
    let mut it = pair.into_inner();
    let mut e = primary_to_expr(cx, it.next().unwrap_or_else(|| unreachable!("grammar: primary")));
    for post in it {
        let span = e.span.to(cx.span(&post));
        let kind = match post.as_rule() {
            Rule::call_args => ExprKind::Call(Box::new(e), post.into_inner().map(|a| pair_to_arg(cx, a)).collect()),
            Rule::field_access => {
                let label = post.into_inner().next().unwrap_or_else(|| unreachable!());
                ExprKind::Field(Box::new(e), pair_to_ident(cx, label))
            }
            _ => {
                let idx = post.into_inner().next().unwrap_or_else(|| unreachable!());
                ExprKind::Index(Box::new(e), Box::new(pair_to_expr(cx, idx)))
            }
        };
        e = Expr { kind, span };
    }
    e
}

fn pair_to_arg(cx: &Cx, pair: Pair<Rule>) -> Arg {
    let inner = pair.into_inner().next().unwrap_or_else(|| unreachable!());
    if inner.as_rule() == Rule::named_arg {
        let mut it = inner.into_inner();
        let name = pair_to_ident(cx, it.next().unwrap_or_else(|| unreachable!()));
        Arg { name: Some(name), value: pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!())) }
    } else {
        Arg { name: None, value: pair_to_expr(cx, inner) }
    }
}

fn primary_to_expr(cx: &Cx, pair: Pair<Rule>) -> Expr {
    let span = cx.span(&pair);
    let text = pair.as_str();
    let kind = match pair.as_rule() {
        Rule::int_lit => ExprKind::Int(text.parse().unwrap_or(i64::MAX)),
        Rule::float_lit => ExprKind::Float(text.parse().unwrap_or(f64::MAX)),
        Rule::bool_lit => ExprKind::Bool(text == "true"),
        Rule::duration_lit => ExprKind::Duration(parse_duration_ms(text)),
        Rule::size_lit => ExprKind::Size(parse_size_bytes(text)),
        Rule::string => ExprKind::Str(pair.into_inner().map(|p| str_part(cx, p)).collect()),
        Rule::ident => ExprKind::Name(pair_to_ident(cx, pair)),
        Rule::shorthand => ExprKind::Shorthand(pair.into_inner().map(|p| pair_to_ident(cx, p)).collect()),
        Rule::paren => ExprKind::Paren(Box::new(first_expr(cx, pair))),
        Rule::list => ExprKind::List(pair.into_inner().map(|p| pair_to_expr(cx, p)).collect()),
        Rule::lambda => {
            let mut parts: Vec<Pair<Rule>> = pair.into_inner().collect();
            let body = pair_to_expr(cx, parts.pop().unwrap_or_else(|| unreachable!()));
            ExprKind::Lambda(parts.into_iter().map(|p| pair_to_ident(cx, p)).collect(), Box::new(body))
        }
        Rule::if_expr => {
            let mut it = pair.into_inner();
            let cond = pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!()));
            let then = pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!()));
            let other = it.next().unwrap_or_else(|| unreachable!());
            let other = if other.as_rule() == Rule::if_expr { primary_to_expr(cx, other) } else { pair_to_expr(cx, other) };
            ExprKind::If(Box::new(cond), Box::new(then), Box::new(other))
        }
        Rule::match_expr => {
            let mut it = pair.into_inner();
            let scrutinee = pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!()));
            ExprKind::Match(Box::new(scrutinee), it.map(|a| pair_to_arm(cx, a)).collect())
        }
        Rule::gate_expr => {
            let mut it = pair.into_inner();
            let cond = pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!()));
            let body = pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!()));
            ExprKind::Gate(Box::new(cond), Box::new(body))
        }
        other => unreachable!("grammar: unexpected primary {other:?}"),
    };
    Expr { kind, span }
}

fn first_expr(cx: &Cx, pair: Pair<Rule>) -> Expr {
    pair_to_expr(cx, pair.into_inner().next().unwrap_or_else(|| unreachable!()))
}

fn pair_to_arm(cx: &Cx, pair: Pair<Rule>) -> MatchArm {
    let mut it = pair.into_inner();
    let pat = it.next().unwrap_or_else(|| unreachable!()).into_inner().next().unwrap_or_else(|| unreachable!());
    let pattern = match pat.as_rule() {
        Rule::wildcard => Pattern::Wildcard(cx.span(&pat)),
        Rule::label => Pattern::Name(pair_to_ident(cx, pat)),
        _ => Pattern::Lit(primary_to_expr(cx, pat)),
    };
    MatchArm { pattern, body: pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!())) }
}

fn str_part(cx: &Cx, pair: Pair<Rule>) -> StrPart {
    match pair.as_rule() {
        Rule::interp => StrPart::Interp(first_expr(cx, pair)),
        _ => StrPart::Text(unescape(pair.as_str())),
    }
}

/// Resolve the escapes of a string literal's text.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn split_unit(text: &str) -> (f64, &str) {
    let cut = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    (text[..cut].parse().unwrap_or(0.0), &text[cut..])
}

pub fn parse_duration_ms(text: &str) -> u64 {
    let (n, unit) = split_unit(text);
    let ms = match unit {
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        _ => 86400e3,
    };
    (n * ms).round() as u64
}

pub fn parse_size_bytes(text: &str) -> u64 {
    let (n, unit) = split_unit(text);
    let mult: f64 = match unit {
        "KiB" => 1024.0,
        "MiB" => 1024f64.powi(2),
        "GiB" => 1024f64.powi(3),
        "TiB" => 1024f64.powi(4),
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => 1.0,
    };
    (n * mult).round() as u64
}

pub fn pair_to_type(cx: &Cx, pair: Pair<Rule>) -> TypeExpr {
    let span = cx.span(&pair);
    let mut it = pair.into_inner();
    let base = it.next().unwrap_or_else(|| unreachable!("grammar: type"));
    let optional = it.next().is_some();
    let kind = match base.as_rule() {
        Rule::ty_list => TypeExprKind::List(Box::new(pair_to_type(cx, base.into_inner().next().unwrap_or_else(|| unreachable!())))),
        Rule::ty_generic => {
            let mut g = base.into_inner();
            let name = pair_to_ident(cx, g.next().unwrap_or_else(|| unreachable!()));
            let arg = g.next().unwrap_or_else(|| unreachable!());
            if arg.as_rule() == Rule::int_lit {
                TypeExprKind::GenericInt(name, arg.as_str().parse().unwrap_or(u64::MAX))
            } else {
                TypeExprKind::Generic(name, Box::new(pair_to_type(cx, arg)))
            }
        }
        _ => TypeExprKind::Name(pair_to_ident(cx, base.into_inner().next().unwrap_or_else(|| unreachable!()))),
    };
    TypeExpr { kind, optional, span }
}
