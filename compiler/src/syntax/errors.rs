//! pest errors -> our own syntax diagnostics (E0001) in words, never grammar rule names.

use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::{Error, ErrorVariant, InputLocation};

/// Words for the rules a user can be told to write.
fn rule_words(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        item | use_decl | const_decl | schema_decl | enum_decl | dataset_decl | model_decl
        | sandbox_decl | fn_decl | verifier_decl | reward_decl | funnel_decl | pipeline_decl => {
            "an item (`use`, `const`, `schema`, `enum`, `dataset`, `model`, `sandbox`, `fn`, `verifier`, `reward`, `funnel` or `pipeline`)"
        }
        EOI => "end of file",
        attribute => "an attribute (`@name`)",
        ident | label => "a name",
        expr | postfix_expr | lambda | if_expr | match_expr | gate_expr
        | list | paren | shorthand | op_neg | op_not | size_lit | duration_lit | float_lit
        | bool_lit | string => "an expression",
        int_lit => "an integer",
        op_pipe | op_or | op_and | op_eq | op_ne | op_le | op_ge | op_lt | op_gt | op_range_incl
        | op_range | op_add | op_sub | op_mul | op_div | op_rem => "an operator",
        call_args | field_access | index => "`(`, `.` or `[`",
        stmt | let_stmt | for_stmt | report_stmt | expr_stmt => "a statement (`let`, `for`, `report` or an expression)",
        stage_decl => "a stage declaration (`stage NAME = ...`)",
        field_decl => "a field (`name: type`)",
        sandbox_block | pass_clause | on_clause => {
            "a verifier clause (`in SANDBOX { ... }`, `pass when ...` or `on EVENT => POLICY`)"
        }
        copy_cmd | apply_cmd | run_cmd => "a sandbox command (`copy`, `apply` or `run`)",
        ty | ty_name | ty_list | ty_generic | optional => "a type",
        params | param => "a parameter (`name: type`)",
        arg | named_arg => "an argument",
        match_arm | pattern | wildcard => "a match arm (`pattern => expression`)",
        policy | retry_policy => "a policy (`fail`, `pass`, `drop` or `retry(N) else POLICY`)",
        block => "a block (`{ ... }`)",
        module_ref => "a module (`std.NAME` or `\"./file.pipe\"`)",
        use_names | use_alias => "`.{names}` or `as NAME`",
        _ => return None,
    })
}

/// Literal tokens worth naming (punctuation and keywords), never whitespace or comment openers.
fn token_words(token: &str) -> Option<String> {
    let t = token.trim();
    let is_char_range = t.len() == 4 && &t[1..3] == "..";
    if t.is_empty() || is_char_range || matches!(t, "//" | "\"" | "\\" | "_" | "BUILTIN_RULE") {
        return None;
    }
    Some(format!("`{t}`"))
}

pub fn pest_to_diagnostic(e: &Error<Rule>, file: FileId, base: usize, text: &str) -> Diagnostic {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    } + base;
    let mut wanted: Vec<String> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(w) = rule_words(*r) {
                wanted.push(w.to_string());
            }
        }
    }
    if let Some(attempts) = e.parse_attempts() {
        for t in attempts.expected_tokens() {
            if let Some(w) = token_words(&t.to_string()) {
                wanted.push(w);
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    let mut found = found_at(text, pos);
    if super::is_keyword(found.trim_matches('`')) {
        found = format!("the reserved word {found}");
    }
    let message = match wanted.len() {
        0 => format!("unexpected {found}"),
        _ => format!("expected {}, found {found}", join_or(&wanted)),
    };
    let end = (pos + found_len(text, pos)).min(text.len());
    Diagnostic::new(Code::Syntax, Span::new(file, pos, end.max(pos)), message).primary("unexpected here")
}

fn join_or(words: &[String]) -> String {
    match words {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        [] => String::new(),
    }
}

fn found_at(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some(c) if c.is_alphanumeric() || c == '_' => {
            let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            format!("`{word}`")
        }
        Some('\n') => "end of line".to_string(),
        Some(c) => format!("`{c}`"),
    }
}

fn found_len(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    match rest.chars().next() {
        None => 0,
        Some(c) if c.is_alphanumeric() || c == '_' => {
            rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum()
        }
        Some(c) => c.len_utf8(),
    }
}
