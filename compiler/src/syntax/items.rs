//! pest pairs for items and statements -> `ast::Item`s.

use super::Rule;
use super::expr::{Cx, pair_to_expr, pair_to_ident, pair_to_type};
use crate::ast::*;
use crate::source::FileId;
use pest::iterators::{Pair, Pairs};

pub fn file_to_items(mut pairs: Pairs<Rule>, file: FileId, base: usize) -> Vec<Item> {
    let cx = Cx { file, base };
    let Some(file_pair) = pairs.next() else { return vec![] };
    file_pair.into_inner().filter(|p| p.as_rule() == Rule::item).map(|p| pair_to_item(&cx, p)).collect()
}

fn pair_to_item(cx: &Cx, pair: Pair<Rule>) -> Item {
    let span = cx.span(&pair);
    let mut attrs = Vec::new();
    let mut kind = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::attribute => attrs.push(pair_to_attr(cx, p)),
            _ => kind = Some(decl_to_kind(cx, p)),
        }
    }
    let kind = kind.unwrap_or_else(|| unreachable!("grammar: item has a declaration"));
    Item { attrs, kind, span }
}

pub(super) fn pair_to_attr(cx: &Cx, pair: Pair<Rule>) -> Attribute {
    let span = cx.span(&pair);
    let mut labels = pair.into_inner().map(|p| pair_to_ident(cx, p));
    let name = labels.next().unwrap_or_else(|| unreachable!("grammar: attribute has a name"));
    Attribute { name, args: labels.collect(), span }
}

fn decl_to_kind(cx: &Cx, pair: Pair<Rule>) -> ItemKind {
    let rule = pair.as_rule();
    let mut it = pair.into_inner().peekable();
    let mut next = || it.next().unwrap_or_else(|| unreachable!("grammar shape of {rule:?}"));
    match rule {
        Rule::use_decl => {
            let m = next();
            let module = match m.clone().into_inner().next() {
                Some(s) if s.as_rule() == Rule::string => {
                    let span = cx.span(&s);
                    ModuleRef::File(plain_string(s.as_str()), span)
                }
                _ => ModuleRef::Path(m.into_inner().map(|p| pair_to_ident(cx, p)).collect()),
            };
            let kind = match it.next() {
                Some(p) if p.as_rule() == Rule::use_names => {
                    UseKind::Names(p.into_inner().map(|p| pair_to_ident(cx, p)).collect())
                }
                Some(p) => UseKind::Namespace(p.into_inner().next().map(|p| pair_to_ident(cx, p))),
                None => UseKind::Namespace(None),
            };
            ItemKind::Use(UseDecl { module, kind })
        }
        Rule::const_decl => {
            let name = pair_to_ident(cx, next());
            let (ty, value) = typed_value(cx, &mut it);
            ItemKind::Const(ConstDecl { name, ty, value })
        }
        Rule::schema_decl => {
            let name = pair_to_ident(cx, next());
            let fields = it
                .map(|f| {
                    let mut f = f.into_inner();
                    let name = pair_to_ident(cx, f.next().unwrap_or_else(|| unreachable!()));
                    let ty = pair_to_type(cx, f.next().unwrap_or_else(|| unreachable!()));
                    FieldDecl { name, ty }
                })
                .collect();
            ItemKind::Schema(SchemaDecl { name, fields })
        }
        Rule::enum_decl => {
            let name = pair_to_ident(cx, next());
            ItemKind::Enum(EnumDecl { name, variants: it.map(|p| pair_to_ident(cx, p)).collect() })
        }
        Rule::dataset_decl => {
            let name = pair_to_ident(cx, next());
            let (ty, source) = typed_value(cx, &mut it);
            ItemKind::Dataset(DatasetDecl { name, ty, source })
        }
        Rule::model_decl | Rule::sandbox_decl => {
            let name = pair_to_ident(cx, next());
            let value = pair_to_expr(cx, next());
            let b = Binding { name, value };
            if rule == Rule::model_decl { ItemKind::Model(b) } else { ItemKind::Sandbox(b) }
        }
        Rule::fn_decl => {
            let name = pair_to_ident(cx, next());
            let params = pair_to_params(cx, next());
            let ret = pair_to_type(cx, next());
            let body = pair_to_expr(cx, next());
            ItemKind::Fn(FnDecl { name, params, ret, body })
        }
        Rule::verifier_decl => {
            let name = pair_to_ident(cx, next());
            let params = pair_to_params(cx, next());
            let ret = pair_to_type(cx, next());
            let b = next();
            let body = match b.as_rule() {
                Rule::verifier_body => VerifierBody::Block(b.into_inner().map(|c| pair_to_clause(cx, c)).collect()),
                _ => VerifierBody::Expr(pair_to_expr(cx, b)),
            };
            ItemKind::Verifier(VerifierDecl { name, params, ret, body })
        }
        Rule::reward_decl => {
            let name = pair_to_ident(cx, next());
            let (mut params, mut level) = (None, None);
            let mut body = None;
            for p in it {
                match p.as_rule() {
                    Rule::params => params = Some(pair_to_params(cx, p)),
                    Rule::label => level = Some(pair_to_ident(cx, p)),
                    _ => body = Some(pair_to_expr(cx, p)),
                }
            }
            let body = body.unwrap_or_else(|| unreachable!("grammar: reward has a body"));
            ItemKind::Reward(RewardDecl { name, params, level, body })
        }
        Rule::funnel_decl => {
            let name = pair_to_ident(cx, next());
            let params = pair_to_params(cx, next());
            let ret = pair_to_type(cx, next());
            let stages = it
                .map(|s| {
                    let span = cx.span(&s);
                    let mut s = s.into_inner();
                    let name = pair_to_ident(cx, s.next().unwrap_or_else(|| unreachable!()));
                    let value = pair_to_expr(cx, s.next().unwrap_or_else(|| unreachable!()));
                    StageDecl { name, value, span }
                })
                .collect();
            ItemKind::Funnel(FunnelDecl { name, params, ret, stages })
        }
        Rule::pipeline_decl => {
            let name = pair_to_ident(cx, next());
            let body = pair_to_block(cx, next());
            ItemKind::Pipeline(PipelineDecl { name, body })
        }
        other => unreachable!("grammar: unexpected item rule {other:?}"),
    }
}

fn typed_value<'a>(cx: &Cx, it: &mut impl Iterator<Item = Pair<'a, Rule>>) -> (Option<TypeExpr>, Expr) {
    let first = it.next().unwrap_or_else(|| unreachable!());
    if first.as_rule() == Rule::ty {
        let ty = pair_to_type(cx, first);
        (Some(ty), pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!())))
    } else {
        (None, pair_to_expr(cx, first))
    }
}

pub(super) fn pair_to_params(cx: &Cx, pair: Pair<Rule>) -> Vec<Param> {
    pair.into_inner()
        .map(|p| {
            let mut p = p.into_inner();
            let name = pair_to_ident(cx, p.next().unwrap_or_else(|| unreachable!()));
            let ty = pair_to_type(cx, p.next().unwrap_or_else(|| unreachable!()));
            Param { name, ty }
        })
        .collect()
}

fn pair_to_clause(cx: &Cx, pair: Pair<Rule>) -> VerifierClause {
    let span = cx.span(&pair);
    let rule = pair.as_rule();
    let mut it = pair.into_inner();
    match rule {
        Rule::sandbox_block => {
            let sandbox = pair_to_ident(cx, it.next().unwrap_or_else(|| unreachable!()));
            let commands = it.map(|c| pair_to_command(cx, c)).collect();
            VerifierClause::Sandbox { sandbox, commands, span }
        }
        Rule::pass_clause => VerifierClause::PassWhen(pair_to_expr(cx, it.next().unwrap_or_else(|| unreachable!()))),
        _ => {
            let event = pair_to_ident(cx, it.next().unwrap_or_else(|| unreachable!()));
            let policy = pair_to_policy(cx, it.next().unwrap_or_else(|| unreachable!()));
            VerifierClause::On { event, policy, span }
        }
    }
}

fn pair_to_command(cx: &Cx, pair: Pair<Rule>) -> Command {
    if pair.as_rule() == Rule::run_cmd {
        return pair_to_run(cx, pair);
    }
    let span = cx.span(&pair);
    let rule = pair.as_rule();
    let mut exprs = pair.into_inner().map(|p| pair_to_expr(cx, p));
    let mut next = || exprs.next().unwrap_or_else(|| unreachable!());
    match rule {
        Rule::copy_cmd => Command::Copy { from: next(), to: next(), span },
        Rule::mount_cmd => Command::Mount { from: next(), at: next(), span },
        _ => Command::Apply { patch: next(), at: next(), span },
    }
}

fn pair_to_run(cx: &Cx, pair: Pair<Rule>) -> Command {
    let span = cx.span(&pair);
    let (mut cmd, mut at, mut timeout) = (None, None, None);
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::run_at => at = p.into_inner().next().map(|e| pair_to_expr(cx, e)),
            Rule::run_timeout => timeout = p.into_inner().next().map(|e| pair_to_expr(cx, e)),
            _ => cmd = Some(pair_to_expr(cx, p)),
        }
    }
    Command::Run { cmd: cmd.unwrap_or_else(|| unreachable!("grammar: run has a command")), at, timeout, span }
}

fn pair_to_policy(cx: &Cx, pair: Pair<Rule>) -> Policy {
    let inner = pair.into_inner().next().unwrap_or_else(|| unreachable!());
    match inner.as_rule() {
        Rule::retry_policy => {
            let span = cx.span(&inner);
            let mut it = inner.into_inner();
            let times = it.next().map_or(0, |n| n.as_str().parse().unwrap_or(u32::MAX));
            let otherwise = it.next().map(|p| Box::new(pair_to_policy(cx, p)));
            Policy::Retry { times, otherwise, span }
        }
        _ => Policy::Simple(pair_to_ident(cx, inner)),
    }
}

pub(super) fn pair_to_block(cx: &Cx, pair: Pair<Rule>) -> Vec<Stmt> {
    pair.into_inner().map(|s| pair_to_stmt(cx, s)).collect()
}

fn pair_to_stmt(cx: &Cx, pair: Pair<Rule>) -> Stmt {
    let span = cx.span(&pair);
    let mut attrs = Vec::new();
    let mut kind = None;
    for p in pair.into_inner() {
        if p.as_rule() == Rule::attribute {
            attrs.push(pair_to_attr(cx, p));
            continue;
        }
        let rule = p.as_rule();
        let mut it = p.into_inner();
        let mut next = || it.next().unwrap_or_else(|| unreachable!());
        kind = Some(match rule {
            Rule::let_stmt => StmtKind::Let { name: pair_to_ident(cx, next()), value: pair_to_expr(cx, next()) },
            Rule::for_stmt => {
                let var = pair_to_ident(cx, next());
                let range = pair_to_expr(cx, next());
                StmtKind::For { var, range, body: pair_to_block(cx, next()) }
            }
            Rule::report_stmt => StmtKind::Report(it.map(|e| pair_to_expr(cx, e)).collect()),
            _ => StmtKind::Expr(pair_to_expr(cx, next())),
        });
    }
    Stmt { attrs, kind: kind.unwrap_or_else(|| unreachable!("grammar: statement body")), span }
}

pub(super) fn plain_string(quoted: &str) -> String {
    let inner = quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(quoted);
    super::expr::unescape(inner)
}
