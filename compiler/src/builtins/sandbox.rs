//! Sandbox constructors and rule verifiers (checks that need no sandbox).

use super::{Builtin, Effect, Namespace, Resource, TypeRule, builtin};

pub const BUILTINS: &[Builtin] = &[
    builtin("docker", "docker(image: str, network: none|bridge|host = none, cpus: float = 1.0, memory: size = 2GiB, pids: int = 256, timeout: duration = 10m) -> Sandbox", "A Docker container per verification (pooled); network off unless asked.", r#"sandbox box = docker(image: "pipec/python", timeout: 10m)"#).ns(Namespace::SandboxCtor),
    builtin("local", "local(timeout: duration = 1m, memory: size = 2GiB) -> Sandbox", "A subprocess in a fresh temporary directory with a scrubbed environment.", "sandbox here = local(timeout: 1m)").ns(Namespace::SandboxCtor),
    builtin("math_equal", "math_equal(answer: str, expected: str) -> Verdict", "Maths answers equal after normalisation (`#### 42`, `\\boxed{}`, fractions, separators, units).", "math_equal(extract_answer(out), p.answer)"),
    builtin("extract_answer", "extract_answer(text: str) -> str", "The final answer of a worked solution: `#### x`, else the last `\\boxed{x}`, else the last number.", "extract_answer(out)"),
    builtin("regex", "regex(text: str, pattern: str) -> Verdict", "Passes when the pattern matches the text.", r#"regex(out, "^ANSWER: [A-D]$")"#),
    builtin("exact", "exact(text: str, expected: str) -> Verdict", "Passes when the trimmed strings are equal.", "exact(out, p.answer)"),
    builtin("json_schema", "json_schema(text: str, schema: str) -> Verdict", "Passes when the text is JSON valid against the schema.", r#"json_schema(out, "{\"type\": \"object\"}")"#),
    builtin("verify", "verify(input: [T], check: fn(T) -> Verdict) -> [T]", "Run a verifier on every record; adds `verdict: Verdict`.", "trajs |> verify(|t| tests(t.task, t.patch))").stage().on(Resource::Sandbox).rule(TypeRule::Extend("verdict", "Verdict")),
    builtin("certify", "certify(input: [T], check: fn(T) -> Verdict, k: int = 3) -> [T]", "Run each task's gold check k times; flaky or failing tasks are quarantined.", "tasks |> certify(|t| tests(t, t.gold_patch), k: 5)").stage().on(Resource::Sandbox),
    builtin("failed", "failed(input: [T]) -> [T]", "Records whose verdict did not pass (for inspection reports).", "verified |> failed").effect(Effect::Stage),
];
