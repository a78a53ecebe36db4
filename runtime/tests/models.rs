//! Models as pipec runs them, in separate processes: the endpoint client against llama.cpp's real
//! OpenAI-compatible server (PyPI xllamacpp), and pipec's own local models (MiniLM embeddings
//! against sentence-transformers' vectors, SmolLM2 log-probs against llama.cpp's), all on the
//! small models `scripts/fetch-models.sh` fetches (`PIPEC_REQUIRE_MODELS=1` makes missing ones fail).

use std::path::PathBuf;
use std::process::{Command, Output};

mod common;
use common::{root, run_dir, scratch, text};

/// The models folder, or None (said) when `scripts/fetch-models.sh` has not filled it;
/// `PIPEC_REQUIRE_MODELS=1` (set by `.ci/run`) makes that a failure.
fn models() -> Option<PathBuf> {
    let models = std::env::var("PIPEC_MODELS").map(PathBuf::from).unwrap_or_else(|_| root().join("models"));
    let wanted = ["llamacpp/bin/python", "smollm2-135m-instruct.q4_1.gguf", "all-minilm-l6-v2/model.safetensors"];
    if wanted.iter().all(|f| models.join(f).exists()) {
        return Some(models);
    }
    assert!(std::env::var("PIPEC_REQUIRE_MODELS").is_err(), "PIPEC_REQUIRE_MODELS=1 but {} lacks models: run scripts/fetch-models.sh", models.display());
    eprintln!("skipped: no models in {} (scripts/fetch-models.sh fetches them)", models.display());
    None
}

/// `pipec ARGS` with the models folder set.
fn pipec_with_models(models: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipec")).args(args).env("PIPEC_MODELS", models).current_dir(root()).output().expect("pipec runs")
}

/// llama.cpp's OpenAI-compatible server (PyPI xllamacpp) on the SmolLM2 GGUF that
/// `scripts/fetch-models.sh` fetched; killed when dropped.
struct LlamaServer(std::process::Child, u16);

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server, or None when the models were not fetched.
fn llama_server(embedding: bool) -> Option<LlamaServer> {
    let models = models()?;
    let (python, gguf) = (models.join("llamacpp/bin/python"), models.join("smollm2-135m-instruct.q4_1.gguf"));
    let port = 18_000 + (std::process::id() % 2_000) as u16 + if embedding { 2_000 } else { 0 };
    let mut child = Command::new(python).arg(root().join("scripts/llamacpp_server.py")).arg(gguf).arg(port.to_string()).args(embedding.then_some("--embedding")).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().expect("python starts");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "ready", "llama.cpp's server did not come up");
    Some(LlamaServer(child, port))
}

#[test]
fn samples_come_from_a_real_llama_cpp_server_and_reruns_reuse_its_answers() {
    let Some(server) = llama_server(false) else { return };
    let runs = scratch("llm");
    let url = format!("http://127.0.0.1:{}", server.1);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "examples/sample_arithmetic.pipe", "-q", "--runs", runs.to_str().unwrap()];
        args.extend(extra);
        Command::new(env!("CARGO_BIN_EXE_pipec")).args(&args).env("PIPEC_LLM_URL", &url).current_dir(root()).output().unwrap()
    };
    let first = run(&[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let usage = |out: &Output| serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(run_dir(&text(&out.stdout)).join("logs/answers/usage.json")).unwrap()).unwrap();
    let u = usage(&first);
    assert!(u["requests"] == 8 && u["cached"] == 0 && u["completion_tokens"].as_u64().unwrap() > 0, "{u}");
    let answers = std::fs::read_to_string(run_dir(&text(&first.stdout)).join("outputs/answers.jsonl")).unwrap();
    assert_eq!(answers.lines().count(), 8, "4 questions x 2 samples:\n{answers}");
    for line in answers.lines() {
        // "a1/0 (-5.76): The answer is: 4": every sample carries the server's summed log-probs.
        let lp: f64 = line.split(['(', ')']).nth(1).unwrap().parse().unwrap_or_else(|_| panic!("no log-prob in {line}"));
        assert!(lp < 0.0, "{line}");
    }
    // Monte-Carlo step values: every step prefix of a sampled solution gets 2 checked rollouts.
    let pipe = runs.join("mc.pipe");
    std::fs::write(&pipe, format!(r#"schema Question {{
  id: str
  question: str
  answer: str
}}
dataset questions: [Question] = jsonl("{}")
model tiny = openai(base_url: env("PIPEC_LLM_URL"), model: "smollm2", max_tokens: 24)
verifier ok(q: Question, out: str) -> Verdict = math_equal(extract_answer(out), q.answer)
pipeline mc {{
  questions |> subsample(n: 1, seed: 0) |> sample(tiny, n: 1, prompt: .question) |> split_steps(sep: " ") |> mc_value(tiny, rollouts: 2, check: ok, question: .question, max_tokens: 24) |> write("values.jsonl")
}}
"#, root().join("examples/data/arithmetic.jsonl").display())).unwrap();
    let mc = Command::new(env!("CARGO_BIN_EXE_pipec")).args(["run", pipe.to_str().unwrap(), "-q", "--runs", runs.to_str().unwrap()]).env("PIPEC_LLM_URL", &url).output().unwrap();
    assert!(mc.status.success(), "{}", text(&mc.stderr));
    let values = std::fs::read_to_string(run_dir(&text(&mc.stdout)).join("outputs/values.jsonl")).unwrap();
    assert!(values.lines().count() >= 1, "{values}");
    for line in values.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (value, successes) = (v["value"].as_f64().unwrap(), v["successes"].as_i64().unwrap());
        assert!(v["rollouts"] == 2 && (0..=2).contains(&successes) && value == successes as f64 / 2.0, "{line}");
    }
    // With the server gone, a fresh run still gets every answer from the request cache.
    drop(server);
    let offline = run(&["--fresh"]);
    assert!(offline.status.success(), "{}", text(&offline.stderr));
    assert_eq!(usage(&offline)["cached"], 8, "every answer came from the request cache");
    assert_eq!(std::fs::read_to_string(run_dir(&text(&offline.stdout)).join("outputs/answers.jsonl")).unwrap(), answers);
    // Without the cache, the unreachable endpoint is a clear error at the node's line.
    let other = runs.join("other-cache");
    let failed = run(&["--cache", other.to_str().unwrap()]);
    assert!(!failed.status.success());
    let err = text(&failed.stderr);
    assert!(err.contains("examples/sample_arithmetic.pipe:21") && err.contains(&format!("cannot reach {url}")) && err.contains("(5 attempts)"), "{err}");
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn embeddings_from_a_real_llama_cpp_server_find_each_question_itself() {
    let Some(server) = llama_server(true) else { return };
    let runs = scratch("embed");
    let pipe = runs.join("retrieve.pipe");
    std::fs::write(&pipe, format!(r#"schema Problem {{
  id: str
  question: str
  answer: str
  solution: str
}}
dataset problems: [Problem] = jsonl("{}")
model smol = openai(base_url: env("PIPEC_EMBED_URL"), model: "smollm2", dim: 576)
pipeline retrieve {{
  let index = problems |> embed(smol, text: .solution)
  let hits = problems |> embed(smol, text: .solution) |> search(index, top: 3)
  hits |> map(|h| "{{h.query.id}} -> {{h.hits[0].id}} {{h.hits[0].score}}") |> write("hits.jsonl")
  problems |> embed(smol, text: .question, dims: 64) |> map(|p| len(p.embedding)) |> write("dims.jsonl")
}}
"#, root().join("examples/data/gsm8k/test.jsonl").display())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipec")).args(["run", pipe.to_str().unwrap(), "-q", "--runs", runs.to_str().unwrap()]).env("PIPEC_EMBED_URL", format!("http://127.0.0.1:{}", server.1)).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = run_dir(&text(&out.stdout));
    let hits = std::fs::read_to_string(dir.join("outputs/hits.jsonl")).unwrap();
    assert_eq!(hits.lines().count(), 20);
    for line in hits.lines() {
        // "gsm8k-3 -> gsm8k-3 1.0000001": every solution's nearest neighbour is itself.
        let words: Vec<&str> = line.trim_matches('"').split_whitespace().collect();
        assert_eq!(words[0], words[2], "{line}");
        assert!((words[3].parse::<f64>().unwrap() - 1.0).abs() < 1e-4, "normalised: {line}");
    }
    let dims = std::fs::read_to_string(dir.join("outputs/dims.jsonl")).unwrap();
    assert!(dims.lines().all(|l| l == "64"), "Matryoshka prefix: {dims}");
    let _ = std::fs::remove_dir_all(&runs);
}


fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (a.iter().map(|x| x * x).sum::<f64>().sqrt() * b.iter().map(|x| x * x).sum::<f64>().sqrt())
}

fn jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn local_minilm_embeddings_match_sentence_transformers() {
    let Some(models) = models() else { return };
    let runs = scratch("minilm");
    let out = pipec_with_models(&models, &["run", "tests/models/minilm_parity.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ours = jsonl(&run_dir(&text(&out.stdout)).join("outputs/embeddings.jsonl"));
    let reference = jsonl(&root().join("tests/models/minilm_reference.jsonl"));
    assert_eq!(ours.len(), 10);
    for (a, b) in ours.iter().zip(&reference) {
        assert_eq!(a["text"], b["text"]);
        let vec = |v: &serde_json::Value| v["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>();
        let c = cosine(&vec(a), &vec(b));
        assert!(c > 0.999, "{}: cosine {c} with sentence-transformers", a["id"]);
    }
    // A model that is not there is a clear error naming the command that fetches it.
    let missing = pipec_with_models(&runs.join("nowhere"), &["run", "tests/models/minilm_parity.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    let err = text(&missing.stderr);
    assert!(!missing.status.success() && err.contains("all-minilm-l6-v2 not found") && err.contains("scripts/fetch-models.sh"), "{err}");
    let _ = std::fs::remove_dir_all(&runs);
}

/// One chat completion from llama.cpp (through curl, a client that is not pipec): its text and
/// the log-probs of its tokens, the end-of-turn token left out.
fn llama_cpp_sample(port: u16, question: &str, seed: u64) -> (String, Vec<f64>) {
    let body = serde_json::json!({"messages": [{"role": "user", "content": question}], "max_tokens": 16, "temperature": 0.8, "seed": seed, "logprobs": true});
    let out = Command::new("curl").args(["-sf", &format!("http://127.0.0.1:{port}/v1/chat/completions"), "-d", &body.to_string()]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("llama.cpp answered {}", text(&out.stdout)));
    let choice = &v["choices"][0];
    let mut lps: Vec<f64> = choice["logprobs"]["content"].as_array().unwrap().iter().map(|t| t["logprob"].as_f64().unwrap()).collect();
    if choice["finish_reason"] == "stop" {
        lps.pop();
    }
    (choice["message"]["content"].as_str().unwrap().to_string(), lps)
}

#[test]
fn local_lm_log_probs_of_llama_cpp_samples_match_llama_cpp() {
    let Some(models) = models() else { return };
    let Some(server) = llama_server(false) else { return };
    let runs = scratch("local-lm");
    // SmolLM2's chat template with its default system message, as llama.cpp renders it.
    let chat = |q: &str| format!("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n");
    let questions = ["What is 12 times 7?", "Name a primary colour.", "Write a haiku about rain.", "What is the capital of France?"];
    let mut rows = String::new();
    let mut theirs = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let (completion, lps) = llama_cpp_sample(server.1, q, i as u64);
        rows.push_str(&format!("{}\n", serde_json::json!({"id": format!("q{i}"), "prompt": chat(q), "completion": completion})));
        theirs.push(lps);
    }
    std::fs::write(runs.join("samples.jsonl"), rows).unwrap();
    std::fs::write(runs.join("score.pipe"), r#"schema Completion {
  id: str
  prompt: str
  completion: str
}
dataset samples: [Completion] = jsonl("samples.jsonl")
model smol = local("models/smollm2-135m-instruct.q4_1.gguf")
pipeline score {
  samples |> logprobs(smol, text: .completion, prompt: .prompt) |> write("scored.jsonl")
}
"#).unwrap();
    let out = pipec_with_models(&models, &["run", runs.join("score.pipe").to_str().unwrap(), "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ours = jsonl(&run_dir(&text(&out.stdout)).join("outputs/scored.jsonl"));
    let (mut total_gap, mut total_tokens) = (0.0, 0);
    for (row, lps) in ours.iter().zip(&theirs) {
        let (ours, theirs) = (row["logprob"].as_f64().unwrap(), lps.iter().sum::<f64>());
        // llama.cpp multiplies Q4_1 weights by Q8-quantised activations, pipec by f32 ones: the
        // two differ by a few hundredths of a nat per token, never by a token's worth.
        assert!((ours - theirs).abs() <= 0.1 * lps.len() as f64 + 0.1, "{}: pipec {ours}, llama.cpp {theirs} over {} tokens ({})", row["id"], lps.len(), row["completion"]);
        total_gap += (ours - theirs).abs();
        total_tokens += lps.len();
    }
    eprintln!("mean |pipec - llama.cpp| per token: {:.4} nats over {total_tokens} tokens", total_gap / total_tokens as f64);
    assert!(total_gap / (total_tokens as f64) < 0.05, "per-token gap {}", total_gap / total_tokens as f64);
    let _ = std::fs::remove_dir_all(&runs);
}

/// `pipec serve` on the fetched models at a free port; killed when dropped.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> serde_json::Value {
    let out = Command::new("curl").arg("-sf").args(args).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("curl {args:?} got {}", text(&out.stdout)))
}

#[test]
fn pipec_serve_answers_curl_and_pipecs_own_client_like_the_in_process_models() {
    let Some(models) = models() else { return };
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(["serve", "models/smollm2-135m-instruct.q4_1.gguf", "models/all-minilm-l6-v2", "--port", "0"])
        .env("PIPEC_MODELS", &models)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let url = line.trim().strip_prefix("pipec serve: listening on ").unwrap_or_else(|| panic!("{line}")).to_string();
    let server = Served(child);
    // curl, a client that is not pipec: chat completions with log-probs, and embeddings.
    let chat = curl(&[&format!("{url}/v1/chat/completions"), "-d", r#"{"messages": [{"role": "user", "content": "What is 12 times 7?"}], "max_tokens": 8, "temperature": 0}"#]);
    let content = chat["choices"][0]["logprobs"]["content"].as_array().unwrap();
    assert_eq!(content.len(), 8, "{chat}");
    assert!(content.iter().all(|t| t["logprob"].as_f64().unwrap() <= 0.0 && t["token"].is_string()), "{chat}");
    assert_eq!(chat["usage"]["prompt_tokens"], 39, "SmolLM2's chat template, as llama.cpp counts it");
    let emb = curl(&[&format!("{url}/v1/embeddings"), "-d", r#"{"input": ["A man is eating food."]}"#]);
    let v: Vec<f64> = emb["data"][0]["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let reference = jsonl(&root().join("tests/models/minilm_reference.jsonl"));
    let r: Vec<f64> = reference[0]["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert!(cosine(&v, &r) > 0.999, "served MiniLM vs sentence-transformers");
    assert_eq!(curl(&[&format!("{url}/health")])["status"], "ok");
    // Rerank (MaxSim): the query's own sentence first, scoring one point per token.
    let rerank = curl(&[&format!("{url}/v1/rerank"), "-d", r#"{"query": "A man is eating food.", "documents": ["The new movie is awesome.", "A man is eating food.", "A man is eating a piece of bread."], "top_n": 2}"#]);
    let results = rerank["results"].as_array().unwrap();
    assert_eq!((results.len(), &results[0]["index"], &results[1]["index"]), (2, &serde_json::json!(1), &serde_json::json!(2)), "{rerank}");
    let own = results[0]["relevance_score"].as_f64().unwrap();
    assert!((own - own.round()).abs() < 1e-3 && own > results[1]["relevance_score"].as_f64().unwrap(), "{rerank}");
    // pipec's own endpoint client against the server gets what the in-process model gives.
    let runs = scratch("serve");
    std::fs::write(runs.join("q.jsonl"), "{\"id\": \"a\", \"question\": \"What is 12 times 7?\"}\n").unwrap();
    let pipe = |model: &str| format!(r#"schema Q {{
  id: str
  question: str
}}
dataset qs: [Q] = jsonl("q.jsonl")
model m = {model}
pipeline p {{
  qs |> sample(m, prompt: .question, max_tokens: 8, temperature: 0.0) |> write("s.jsonl")
}}
"#);
    let answer = |name: &str, model: &str| {
        std::fs::write(runs.join(name), pipe(model)).unwrap();
        let out = pipec_with_models(&models, &["run", runs.join(name).to_str().unwrap(), "-q", "--runs", runs.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        jsonl(&run_dir(&text(&out.stdout)).join("outputs/s.jsonl")).remove(0)
    };
    let served = answer("served.pipe", &format!(r#"openai(base_url: "{url}", model: "smollm2")"#));
    let local = answer("local.pipe", r#"local("models/smollm2-135m-instruct.q4_1.gguf")"#);
    assert_eq!(served["completion"], local["completion"]);
    // A funnel whose rerank stage asks the server's /v1/rerank ranks as the in-process MaxSim.
    std::fs::write(runs.join("docs.jsonl"), ["The new movie is awesome.", "A man is eating food.", "A man is eating a piece of bread."].iter().enumerate().map(|(i, t)| format!("{{\"id\": \"d{i}\", \"title\": \"\", \"text\": \"{t}\"}}\n")).collect::<String>()).unwrap();
    std::fs::write(runs.join("rq.jsonl"), "{\"id\": \"r\", \"question\": \"A man is eating food.\"}\n").unwrap();
    std::fs::write(runs.join("rerank.pipe"), format!(r#"schema Q {{
  id: str
  question: str
}}
dataset docs: [Document] = jsonl("docs.jsonl")
dataset kb: Corpus = corpus(docs)
dataset qs: [Q] = jsonl("rq.jsonl")
model served = openai(base_url: "{url}", model: "minilm")
model minilm = local("models/all-minilm-l6-v2", kind: embedding, dim: 384)
funnel by_server(q: str) -> [Document] {{
  stage documents = rerank(kb.documents, q, served, top: 3, method: endpoint)
}}
funnel in_process(q: str) -> [Document] {{
  stage documents = rerank(kb.documents, q, minilm, top: 3, method: maxsim)
}}
pipeline p {{
  qs |> retrieve(by_server, query: .question) |> write("server.jsonl")
  qs |> retrieve(in_process, query: .question) |> write("local.jsonl")
}}
"#)).unwrap();
    let out = pipec_with_models(&models, &["run", runs.join("rerank.pipe").to_str().unwrap(), "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = run_dir(&text(&out.stdout));
    let (by_server, in_process) = (jsonl(&dir.join("outputs/server.jsonl")).remove(0), jsonl(&dir.join("outputs/local.jsonl")).remove(0));
    let ranked = |r: &serde_json::Value| r["passages"].as_array().unwrap().iter().map(|p| (p["id"].as_str().unwrap().to_string(), p["score"].as_f64().unwrap())).collect::<Vec<_>>();
    let (a, b) = (ranked(&by_server), ranked(&in_process));
    assert_eq!(a.iter().map(|x| &x.0).collect::<Vec<_>>(), b.iter().map(|x| &x.0).collect::<Vec<_>>(), "{a:?} vs {b:?}");
    assert!(a.iter().zip(&b).all(|(x, y)| (x.1 - y.1).abs() < 1e-4) && a[0].0 == "d1", "{a:?} vs {b:?}");
    assert!((served["logprob"].as_f64().unwrap() - local["logprob"].as_f64().unwrap()).abs() < 1e-4, "{served} vs {local}");
    drop(server);
    let _ = std::fs::remove_dir_all(&runs);
}

/// The records of a run's output file.
fn outputs(run: &std::path::Path, name: &str) -> Vec<serde_json::Value> {
    jsonl(&run.join("outputs").join(name))
}

#[test]
fn pica_runs_against_its_few_shot_and_zero_shot_baselines_on_the_local_lm() {
    let Some(models) = models() else { return };
    let runs = scratch("pica");
    let out = pipec_with_models(&models, &["run", "examples/pica.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = run_dir(&text(&out.stdout));
    let (steered, few, zero) = (outputs(&run, "pica.jsonl"), outputs(&run, "few_shot.jsonl"), outputs(&run, "zero_shot.jsonl"));
    assert_eq!((steered.len(), few.len(), zero.len()), (3, 3, 3));
    let int = |r: &serde_json::Value, k: &str| r[k].as_i64().unwrap();
    for ((s, f), z) in steered.iter().zip(&few).zip(&zero) {
        // Stage 1 is the few-shot baseline's own greedy start, so both answers begin alike.
        assert!(int(s, "prior_tokens") == 10 && int(s, "prior_tokens") + int(s, "steered_tokens") <= 64, "{s}");
        let (a, b) = (s["completion"].as_str().unwrap(), f["completion"].as_str().unwrap());
        let shared = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        assert!(shared >= 20.min(a.chars().count()).min(b.chars().count()), "{a:?} vs {b:?}");
        assert!(int(f, "steered_tokens") == 0 && int(z, "prior_tokens") == 0, "{f}\n{z}");
        // Prefill: zero-shot < few-shot < PICA (both of its prompts).
        assert!(int(z, "prompt_tokens") < int(f, "prompt_tokens") && int(f, "prompt_tokens") < int(s, "prompt_tokens"), "{s}\n{f}\n{z}");
    }
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn the_alignment_boundary_example_runs_offline_and_matches_hand_values() {
    let Some(models) = models() else { return };
    let runs = scratch("boundary");
    let out = pipec_with_models(&models, &["run", "examples/alignment_boundary.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = run_dir(&text(&out.stdout));
    // Policy = reference, so the implicit preference is sigmoid(0) = 0.5 on every probe pair; the
    // CHAMP labels are 1 over 0, so consistency = 1 - |0.5 - sigmoid(1)| in both iterations.
    let expected = 1.0 - (0.5 - 1.0 / (1.0 + (-1.0f64).exp())).abs();
    for i in 1..=2 {
        let probe: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join(format!("logs/phase_{i}_/boundary.json"))).unwrap()).unwrap();
        assert!((probe["consistency"].as_f64().unwrap() - expected).abs() < 1e-6 && probe["stage"] == "fine_tuning" && probe["pairs"] == 4, "{probe}");
        // And every DPO loss is -log sigmoid(0) = ln 2.
        let dpo = outputs(&run, &format!("dpo_iter{i}.jsonl"));
        assert!(!dpo.is_empty() && dpo.iter().all(|p| (p["loss"].as_f64().unwrap() - std::f64::consts::LN_2).abs() < 1e-6 && p["policy_chosen"] == p["reference_chosen"]), "{dpo:?}");
    }
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn dense_and_maxsim_funnels_on_minilm_agree_with_sentence_transformers() {
    let Some(models) = models() else { return };
    let runs = scratch("funnel-minilm");
    let out = pipec_with_models(&models, &["run", "tests/models/funnel_minilm.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = run_dir(&text(&out.stdout));
    let reference = jsonl(&root().join("tests/models/minilm_reference.jsonl"));
    let vec = |v: &serde_json::Value| v["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>();
    let position = |id: &str| id.trim_start_matches('s').parse::<usize>().unwrap();
    // Dense: every document, ranked by the cosine sentence-transformers' vectors give.
    for (q, hit) in jsonl(&dir.join("outputs/dense.jsonl")).iter().enumerate() {
        let passages = hit["passages"].as_array().unwrap();
        assert_eq!(passages.len(), 10);
        assert_eq!(passages[0]["document"], format!("s{q}"), "a sentence finds itself first");
        let mut last = f64::INFINITY;
        for p in passages {
            let expected = cosine(&vec(&reference[q]), &vec(&reference[position(p["id"].as_str().unwrap())]));
            let got = p["score"].as_f64().unwrap();
            assert!((got - expected).abs() < 1e-4, "query s{q}, {}: {got} vs sentence-transformers {expected}", p["id"]);
            assert!(got <= last + 1e-6, "best first");
            last = got;
        }
        assert_eq!(hit["candidates"], serde_json::json!([10]));
    }
    // MaxSim: a sentence's own document matches each of its tokens exactly (cosine 1), so it comes
    // first with a whole number of points, and no other document scores more.
    for (q, hit) in jsonl(&dir.join("outputs/late.jsonl")).iter().enumerate() {
        let passages = hit["passages"].as_array().unwrap();
        assert_eq!(hit["candidates"], serde_json::json!([5, 3]));
        assert_eq!(passages[0]["document"], format!("s{q}"));
        let own = passages[0]["score"].as_f64().unwrap();
        // At least [CLS] and [SEP]: the empty sentence s8 has only those two tokens.
        assert!(own >= 2.0 - 1e-3 && (own - own.round()).abs() < 1e-3, "query s{q}: self MaxSim {own}");
        assert!(passages[1]["score"].as_f64().unwrap() < own);
    }
    let metrics = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.matches("\"value\":1.0").count(), 2, "recall@1 is 1 for both funnels:\n{metrics}");
    let _ = std::fs::remove_dir_all(&runs);
}

#[test]
fn seer_experts_agree_with_sentence_transformers_and_the_answer_log_probs() {
    let Some(models) = models() else { return };
    let runs = scratch("seer");
    let out = pipec_with_models(&models, &["run", "tests/models/seer_minilm.pipe", "-q", "--runs", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = run_dir(&text(&out.stdout));
    let reference = jsonl(&root().join("tests/models/minilm_reference.jsonl"));
    let vec = |v: &serde_json::Value| v["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>();
    let (scored, with, without) = (outputs(&run, "scored.jsonl"), outputs(&run, "with.jsonl"), outputs(&run, "without.jsonl"));
    assert_eq!(scored.len(), 2);
    for (i, s) in scored.iter().enumerate() {
        let seer = &s["seer"];
        // Candidate i is parity sentence i + 1; the answer is sentence 0.
        let concise = cosine(&vec(&reference[0]), &vec(&reference[i + 1]));
        assert!((seer["concise"].as_f64().unwrap() - concise).abs() < 1e-4, "{seer} vs sentence-transformers {concise}");
        let gain = with[i]["logprob"].as_f64().unwrap() - without[i]["logprob"].as_f64().unwrap();
        let helpful = 1.0 / (1.0 + (-gain).exp());
        assert!((seer["helpful"].as_f64().unwrap() - helpful).abs() < 1e-6, "{seer} vs σ({gain}) = {helpful}");
        let faithful = seer["faithful"].as_f64().unwrap();
        assert!(faithful > 0.0 && faithful < 1.0, "{seer}");
    }
    // The bread sentence is closer in meaning to the answer than the movie one.
    assert!(scored[0]["seer"]["concise"].as_f64() > scored[1]["seer"]["concise"].as_f64());
    let _ = std::fs::remove_dir_all(&runs);
}
