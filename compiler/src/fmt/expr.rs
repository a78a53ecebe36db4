//! Expressions, types and literals -> canonical text.

use crate::ast::*;

pub fn ty_text(t: &TypeExpr) -> String {
    let base = match &t.kind {
        TypeExprKind::Name(n) => n.name.clone(),
        TypeExprKind::List(i) => format!("[{}]", ty_text(i)),
        TypeExprKind::GenericInt(n, d) => format!("{}<{d}>", n.name),
        TypeExprKind::Generic(n, a) => format!("{}<{}>", n.name, ty_text(a)),
    };
    if t.optional { format!("{base}?") } else { base }
}

fn string_text(parts: &[StrPart], indent: usize) -> String {
    let mut s = String::from("\"");
    for p in parts {
        match p {
            StrPart::Text(t) => {
                for c in t.chars() {
                    match c {
                        '"' => s.push_str("\\\""),
                        '\\' => s.push_str("\\\\"),
                        '{' => s.push_str("\\{"),
                        '}' => s.push_str("\\}"),
                        '\n' => s.push_str("\\n"),
                        '\t' => s.push_str("\\t"),
                        c => s.push(c),
                    }
                }
            }
            StrPart::Interp(e) => {
                s.push('{');
                s.push_str(&expr_text(e, indent));
                s.push('}');
            }
        }
    }
    s.push('"');
    s
}

fn float_text(f: f64) -> String {
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'i', 'N']) { s } else { format!("{s}.0") }
}

pub fn args_text(args: &[Arg], indent: usize) -> String {
    let parts: Vec<String> = args
        .iter()
        .map(|a| match &a.name {
            Some(n) => format!("{}: {}", n.name, expr_text(&a.value, indent)),
            None => expr_text(&a.value, indent),
        })
        .collect();
    parts.join(", ")
}

/// One expression on one line (`match` spans lines, indented from `indent`).
pub fn expr_text(e: &Expr, indent: usize) -> String {
    match &e.kind {
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Float(f) => float_text(*f),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Str(parts) => string_text(parts, indent),
        ExprKind::Duration(ms) => super::duration_text(*ms),
        ExprKind::Size(b) => super::size_text(*b),
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::Shorthand(path) => path.iter().map(|p| format!(".{}", p.name)).collect(),
        ExprKind::Field(b, f) => format!("{}.{}", expr_text(b, indent), f.name),
        ExprKind::Index(b, i) => format!("{}[{}]", expr_text(b, indent), expr_text(i, indent)),
        ExprKind::Call(f, args) => format!("{}({})", expr_text(f, indent), args_text(args, indent)),
        ExprKind::Binary(op @ (BinOp::Range | BinOp::RangeIncl), l, r) => format!("{}{}{}", expr_text(l, indent), op.symbol(), expr_text(r, indent)),
        ExprKind::Binary(op, l, r) => format!("{} {} {}", expr_text(l, indent), op.symbol(), expr_text(r, indent)),
        ExprKind::Unary(UnOp::Neg, x) => format!("-{}", expr_text(x, indent)),
        ExprKind::Unary(UnOp::Not, x) => format!("!{}", expr_text(x, indent)),
        ExprKind::Lambda(ps, body) => {
            let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
            format!("|{}| {}", names.join(", "), expr_text(body, indent))
        }
        ExprKind::If(c, a, b) => {
            let other = match &b.kind {
                ExprKind::If(..) => expr_text(b, indent),
                _ => format!("{{ {} }}", expr_text(b, indent)),
            };
            format!("if {} {{ {} }} else {other}", expr_text(c, indent), expr_text(a, indent))
        }
        ExprKind::Match(s, arms) => {
            let pad = "  ".repeat(indent + 1);
            let mut out = format!("match {} {{\n", expr_text(s, indent));
            for arm in arms {
                let pat = match &arm.pattern {
                    Pattern::Wildcard(_) => "_".to_string(),
                    Pattern::Name(n) => n.name.clone(),
                    Pattern::Lit(l) => expr_text(l, indent),
                };
                out.push_str(&format!("{pad}{pat} => {},\n", expr_text(&arm.body, indent + 1)));
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
            out
        }
        ExprKind::Gate(c, b) => format!("gate({}) {{ {} }}", expr_text(c, indent), expr_text(b, indent)),
        ExprKind::List(xs) => {
            let parts: Vec<String> = xs.iter().map(|x| expr_text(x, indent)).collect();
            format!("[{}]", parts.join(", "))
        }
        ExprKind::Paren(x) => format!("({})", expr_text(x, indent)),
    }
}

/// The stages of a top-level pipe chain, left to right.
fn pipe_parts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Binary(BinOp::Pipe, l, r) => {
            let mut v = pipe_parts(l);
            v.push(r);
            v
        }
        _ => vec![e],
    }
}

/// `prefix + expr`, breaking a long pipe chain onto continuation lines.
pub fn statement_text(prefix: &str, e: &Expr, indent: usize) -> String {
    let one = format!("{prefix}{}", expr_text(e, indent));
    let parts = pipe_parts(e);
    let width = indent * 2 + one.lines().map(str::len).max().unwrap_or(0);
    if width <= super::MAX_WIDTH {
        return one;
    }
    if let ExprKind::List(items) = &e.kind {
        let pad = "  ".repeat(indent + 1);
        let body: Vec<String> = items.iter().map(|x| format!("{pad}{},\n", expr_text(x, indent + 1))).collect();
        return format!("{prefix}[\n{}{}]", body.concat(), "  ".repeat(indent));
    }
    if parts.len() < 2 {
        return one;
    }
    let pad = "  ".repeat(indent + 2);
    let mut out = format!("{prefix}{}", expr_text(parts[0], indent));
    for p in &parts[1..] {
        out.push_str(&format!("\n{pad}|> {}", expr_text(p, indent + 2)));
    }
    out
}
