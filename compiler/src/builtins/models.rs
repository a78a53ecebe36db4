//! Model builtins: constructors for `model` items and the stages that call models.

use super::{Builtin, Namespace, Resource, TypeRule, builtin};

pub const BUILTINS: &[Builtin] = &[
    builtin("openai", "openai(base_url: str, model: str, temperature: float = 0.0, max_tokens: int = 1024, api_key: str = \"OPENAI_API_KEY\", concurrency: int = 8, dim: int?) -> Model", "An OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp, TEI); `api_key` names the environment variable.", r#"model policy = openai(base_url: env("POLICY_URL"), model: "qwen2.5-coder-7b")"#).ns(Namespace::ModelCtor).rule(TypeRule::ModelDim),
    builtin("local", "local(path: path, kind: lm|embedding = lm, dim: int?) -> Model", "A model from local files (GGUF causal LM, or a safetensors embedding model).", r#"model minilm = local("models/all-minilm-l6-v2", kind: embedding, dim: 384)"#).ns(Namespace::ModelCtor).rule(TypeRule::ModelDim),
    builtin("sample", "sample(input: [T], model: Model, n: int = 1, prompt: fn(T) -> str?, temperature: float?, max_tokens: int = 512, seed: int = 0) -> [Sample<T>]", "Generate n completions per record.", "problems |> sample(tiny, n: 4, prompt: .question)").stage().on(Resource::Model),
    builtin("rollout", "rollout(input: [T], policy: Model, tools: [Tool] = [], max_turns: int = 30, samples: int = 1, seed: int = 0) -> [Trajectory<T>]", "Multi-turn agent rollouts with tool calls; one Trajectory per sample.", "tasks |> rollout(policy, tools: swe.tools(box), samples: 4)").stage().on(Resource::Model),
    builtin("embed", "embed(input: [T], model: Model, text: fn(T) -> str?, pooling: mean|cls|last = mean, normalize: bool = true, dims: int?) -> [T]", "Add `embedding: Embedding<d>` to every record (masked pooling + L2 norm; `dims` truncates Matryoshka-style).", "corpus |> embed(minilm, text: .text)").stage().on(Resource::Model).rule(TypeRule::Embed),
    builtin("logprobs", "logprobs(input: [T], model: Model, text: fn(T) -> str, prompt: fn(T) -> str?) -> [T]", "Add `logprob: float`, the sequence log-probability of the text given the prompt.", "pairs |> logprobs(policy, text: .chosen, prompt: .prompt)").stage().on(Resource::Model).rule(TypeRule::Extend("logprob", "float")),
    builtin("tool", "tool(name: str, command: str, description: str = \"\") -> Tool", "Declare an agent tool run as a shell command in the rollout's sandbox.", r#"tool("shell", "bash -lc {cmd}")"#),
];
