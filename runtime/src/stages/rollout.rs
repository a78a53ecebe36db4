//! `rollout(policy, sandbox, prompt, repo, tools, ...)`: multi-turn agent episodes. Each record
//! gets `samples` episodes, each in its own fresh sandbox (the record's `repo` copied to `/repo`,
//! and to `/.orig` as the base a patch is taken against). Every turn the policy sees the
//! conversation so far and answers with one tool call written as a fenced block whose info string
//! is the tool's name and whose body fills the tool command's `{placeholders}` (one per line, the
//! last takes the rest; each is shell-quoted); the command runs in the sandbox at `/repo` under
//! the per-turn timeout and its output is the next observation. The episode ends when the policy
//! calls `submit` (its output is the patch: `submitted`, or `empty_patch` when blank), or with
//! `no_submit` after `max_turns` turns or `max_tokens` completion tokens. Episodes run in
//! lock-step batches of the policy's `concurrency`, so one batch of requests goes out per turn.
//! Turn t of sample i asks with seed `seed + 65536·i + t`: reruns ask the same questions and hit
//! the request cache; the tool commands run again in fresh sandboxes.

use super::{Ctx, Output, StageError, items, record_id};
use crate::data::Value;
use crate::sandbox::{Session, Step};
use serde_json::json;

/// Characters of a tool's output shown to the policy and kept in the trajectory.
const OBSERVATION_CHARS: usize = 2000;

/// A tool as the stdlib declares it: `tool(name, command, description)`.
struct Tool {
    name: String,
    command: String,
    description: String,
}

/// One episode in progress.
struct Episode {
    record: usize,
    sample: i64,
    messages: Vec<Value>,
    steps: Vec<Value>,
    tokens: u64,
    end: Option<(&'static str, String)>,
}

pub fn rollout(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let (_, endpoint) = ctx.model_arg("policy")?;
    let tools = tools(ctx.value("tools")?.unwrap_or(json!([])))?;
    let (max_turns, samples, seed) = (ctx.int("max_turns", 30)?, ctx.int("samples", 1)?, ctx.int("seed", 0)?);
    let (budget, turn_tokens, turn_timeout) = (ctx.int("max_tokens", 8192)?, ctx.int("turn_tokens", 512)?, ctx.int("turn_timeout", 60_000)?);
    let temperature = ctx.float("temperature", endpoint.temperature)?;
    if !(1..=64).contains(&samples) || !(1..=1000).contains(&max_turns) || budget < 1 || turn_tokens < 1 || turn_timeout < 1 {
        return Err(StageError::Message(format!("samples = {samples} (1 to 64), max_turns = {max_turns} (1 to 1000), max_tokens = {budget}, turn_tokens = {turn_tokens} and turn_timeout = {turn_timeout} ms (all at least 1)")));
    }
    let Some(pipec_compiler::ast::ExprKind::Name(box_name)) = ctx.expr("sandbox").map(|e| &e.kind) else { return Err(StageError::Message("`rollout` needs a sandbox by name for `sandbox`".into())) };
    let (spec, sandboxes) = ctx.eval.sandbox_named(&box_name.name, box_name.span)?;
    let prompt = ctx.required_function("prompt")?;
    let repo = ctx.function("repo")?;
    let system = system_prompt(&tools);
    let mut setups = Vec::with_capacity(rows.len());
    let mut episodes = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let Value::String(task) = ctx.apply(&prompt, row)? else { return Err(StageError::Message(format!("record {r}: `prompt` must give a string"))) };
        setups.push(match &repo {
            Some(f) => match ctx.apply(f, row)? {
                Value::String(dir) => {
                    let files = ctx.eval.copy_source(&dir).map_err(|e| StageError::Message(format!("record {r}: {e}")))?;
                    vec![Step::Copy { files: files.clone(), to: "/repo".into() }, Step::Copy { files, to: "/.orig".into() }]
                }
                Value::Null => Vec::new(),
                other => return Err(StageError::Message(format!("record {r}: `repo` gave {other}, not a path"))),
            },
            None => Vec::new(),
        });
        for sample in 0..samples {
            let messages = vec![json!({"role": "system", "content": system}), json!({"role": "user", "content": task})];
            episodes.push(Episode { record: r, sample, messages, steps: Vec::new(), tokens: 0, end: None });
        }
    }
    let client = ctx.client()?;
    let env = crate::sandbox::deterministic_env(seed);
    let mut all_done = Vec::new();
    for batch in episodes.chunks_mut(endpoint.concurrency.max(1)) {
        let sessions: Vec<Session> = batch.iter().map(|e| sandboxes.session(&spec, &setups[e.record], &env)).collect::<Result<_, _>>().map_err(|e| StageError::Message(format!("cannot start the rollout sandbox: {}", e.0)))?;
        for turn in 0..max_turns {
            let active: Vec<usize> = (0..batch.len()).filter(|&k| batch[k].end.is_none()).collect();
            if active.is_empty() {
                break;
            }
            let asks: Vec<(Value, i64)> = active.iter().map(|&k| (Value::Array(batch[k].messages.clone()), seed + 65_536 * batch[k].sample + turn)).collect();
            let left = active.iter().map(|&k| budget - batch[k].tokens as i64).min().unwrap_or(0).clamp(1, turn_tokens);
            let done = client.converse(&endpoint, &asks, left, temperature);
            for (&k, answer) in active.iter().zip(done.iter()) {
                let e = &mut batch[k];
                let c = answer.as_ref().map_err(|why| StageError::Message(format!("record {}, sample {}, turn {turn}: {why}", e.record, e.sample)))?;
                e.tokens += c.tokens.1;
                act(e, &c.text, &tools, &sessions[k], turn_timeout as u64)?;
                if e.end.is_none() && (e.tokens as i64 >= budget || turn + 1 == max_turns) {
                    e.end = Some(("no_submit", String::new()));
                }
            }
            all_done.extend(done);
        }
        // An episode that never submitted may still have changed the repository.
        if let Some(submit) = tools.iter().find(|t| t.name == "submit") {
            for (e, s) in batch.iter_mut().zip(&sessions) {
                if let Some(("no_submit", patch)) = &mut e.end {
                    *patch = run(s, &fill(&submit.command, ""), turn_timeout as u64)?.0;
                }
            }
        }
    }
    super::generate::usage(ctx, &all_done);
    Ok(Value::Array(episodes.into_iter().map(|e| trajectory(e, rows)).collect()))
}

/// The tools argument: a list of `Tool` records.
fn tools(v: Value) -> Result<Vec<Tool>, StageError> {
    let field = |t: &Value, k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let list = v.as_array().ok_or_else(|| StageError::Message("`tools` should be a list of tools".into()))?;
    Ok(list.iter().map(|t| Tool { name: field(t, "name"), command: field(t, "command"), description: field(t, "description") }).collect())
}

/// What the policy is told about the tools and the reply format.
fn system_prompt(tools: &[Tool]) -> String {
    let mut s = String::from("You are a software engineering agent. The repository is in /repo; your commands run there. Reply with exactly one tool call per turn: a fenced code block whose info string is the tool's name and whose lines are its arguments, in order. For example:\n```shell\nls\n```\nTools:\n");
    for t in tools {
        let args = placeholders(&t.command);
        let args = if args.is_empty() { "no arguments".to_string() } else { format!("arguments: {}", args.join(", ")) };
        s.push_str(&format!("- {} ({args}): {}\n", t.name, t.description));
    }
    s.push_str("Call submit when the task is done.");
    s
}

/// The `{name}` placeholders of a tool command, in order of first appearance.
fn placeholders(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = command;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

/// The command with its placeholders filled from `arguments` (one per line, the last takes the
/// rest), each single-quoted for the shell; one pass, so a value is never itself substituted.
fn fill(command: &str, arguments: &str) -> String {
    let names = placeholders(command);
    let mut parts: Vec<&str> = arguments.splitn(names.len().max(1), '\n').collect();
    parts.resize(names.len(), "");
    let mut out = String::new();
    let mut rest = command;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map(|c| open + c);
        match close.and_then(|c| names.iter().position(|n| *n == rest[open + 1..c]).map(|i| (c, i))) {
            Some((c, i)) => {
                out.push_str(&format!("'{}'", parts[i].replace('\'', r"'\''")));
                rest = &rest[c + 1..];
            }
            None => {
                out.push('{');
                rest = &rest[open + 1..];
            }
        }
    }
    out + rest
}

/// The first fenced block naming a tool: (tool, its body).
fn parse<'t>(text: &str, tools: &'t [Tool]) -> Option<(&'t Tool, String)> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim().strip_prefix("```") else { continue };
        let Some(tool) = tools.iter().find(|t| t.name == info.trim()) else { continue };
        let body: Vec<&str> = lines.by_ref().take_while(|l| !l.trim_start().starts_with("```")).collect();
        return Some((tool, body.join("\n")));
    }
    None
}

/// Run a command at /repo; (output, whether it succeeded).
fn run(session: &Session, cmd: &str, timeout_ms: u64) -> Result<(String, bool), StageError> {
    let o = session.run(&[Step::Run { cmd: cmd.to_string(), at: "/repo".into(), timeout_ms }]).map_err(|e| StageError::Message(format!("the rollout sandbox failed: {}", e.0)))?;
    let mut text = format!("{}{}", o.stdout, o.stderr);
    if o.timed_out {
        text.push_str(&format!("\n(timed out after {timeout_ms} ms)"));
    } else if o.exit != 0 {
        text.push_str(&format!("\n(exit code {})", o.exit));
    }
    Ok((text, o.exit == 0 && !o.timed_out))
}

/// Take one turn: record the policy's action, run its tool, and feed back the observation.
fn act(e: &mut Episode, reply: &str, tools: &[Tool], session: &Session, timeout_ms: u64) -> Result<(), StageError> {
    let (tool, observation) = match parse(reply, tools) {
        Some((tool, args)) => {
            let (out, ok) = run(session, &fill(&tool.command, &args), timeout_ms)?;
            if tool.name == "submit" {
                e.end = Some((if out.trim().is_empty() { "empty_patch" } else { "submitted" }, out.clone()));
            }
            (json!({"name": tool.name, "arguments": args, "ok": ok}), crate::sandbox::tail(&out, OBSERVATION_CHARS))
        }
        None => (Value::Null, "No tool call found. Reply with one fenced block whose info string is a tool name, for example:\n```shell\nls\n```".to_string()),
    };
    e.steps.push(json!({"index": e.steps.len(), "action": {"text": reply, "parsed": !tool.is_null(), "tool": tool}, "observation": observation}));
    e.messages.push(json!({"role": "assistant", "content": reply}));
    e.messages.push(json!({"role": "user", "content": format!("Observation:\n{observation}")}));
    Ok(())
}

/// A finished episode as a `Trajectory<T>` record.
fn trajectory(e: Episode, rows: &[Value]) -> Value {
    let (end, patch) = e.end.unwrap_or(("no_submit", String::new()));
    let modified = !patch.trim().is_empty();
    let patch = if end == "no_submit" { String::new() } else { patch };
    let task = &rows[e.record];
    json!({"id": format!("{}/{}", record_id(task, e.record), e.sample), "task": task, "steps": e.steps, "end": end, "patch": patch, "modified": modified, "turns": e.steps.len()})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, command: &str) -> Tool {
        Tool { name: name.into(), command: command.into(), description: String::new() }
    }

    #[test]
    fn a_fenced_block_names_the_tool_and_fills_its_placeholders_quoted() {
        let tools = [tool("shell", "sh -c {cmd}"), tool("write", "mkdir -p \"$(dirname {path})\" && printf '%s\\n' {content} > {path}")];
        let (t, args) = parse("I will look.\n```shell\necho 'hi'\n```\nthen more", &tools).unwrap();
        assert_eq!((t.name.as_str(), args.as_str()), ("shell", "echo 'hi'"));
        assert_eq!(fill(&t.command, &args), r"sh -c 'echo '\''hi'\'''");
        let (t, args) = parse("```write\na/b.py\nx = 1\ny = 2\n```", &tools).unwrap();
        assert_eq!(placeholders(&t.command), ["path", "content"]);
        assert_eq!(fill(&t.command, &args), "mkdir -p \"$(dirname 'a/b.py')\" && printf '%s\\n' 'x = 1\ny = 2' > 'a/b.py'");
        assert_eq!(fill("cat {path} {x}", "{x}\nv"), "cat '{x}' 'v'");
        assert!(parse("```python\nprint(1)\n```", &tools).is_none());
    }
}
