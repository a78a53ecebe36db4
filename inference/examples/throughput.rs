//! Throughput of pipec's local models for bench/models.sh: sentence embeddings per second
//! (MiniLM, batches of 32, over the texts of a JSONL file's `question` field) and greedy decoding
//! tokens per second (SmolLM2, one stream). Prints one JSON object.
//! Usage: throughput MODEL.gguf MINILM_DIR TEXTS.jsonl PROMPT MAX_TOKENS

use pipec_inference::embedder::Embedder;
use pipec_inference::lm::{CausalLm, Sampling};
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, gguf, minilm, texts, prompt, max_tokens] = args.as_slice() else { return Err("usage: throughput MODEL.gguf MINILM_DIR TEXTS.jsonl PROMPT MAX_TOKENS".into()) };
    let texts: Vec<String> = std::fs::read_to_string(texts)
        .map_err(|e| e.to_string())?
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).map(|v| v["question"].as_str().unwrap_or_default().to_string()).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let embedder = Embedder::load(Path::new(minilm))?;
    let start = Instant::now();
    let mut rows = 0;
    embedder.states(&texts, |b| {
        rows += b.rows.len();
        Ok(())
    })?;
    let embed_s = start.elapsed().as_secs_f64();
    let loaded = Instant::now();
    let lm = CausalLm::load(Path::new(gguf))?;
    let load_s = loaded.elapsed().as_secs_f64();
    let how = Sampling { max_tokens: max_tokens.parse().map_err(|_| "MAX_TOKENS must be a number")?, temperature: 0.0 };
    let mut never = || 0.0;
    let start = Instant::now();
    let g = lm.generate(&[("user".to_string(), prompt.clone())], how, &mut never, None)?;
    let gen_s = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"texts": rows, "embed_s": embed_s, "embeddings_per_s": rows as f64 / embed_s, "lm_load_s": load_s,
            "prompt_tokens": g.prompt_tokens, "generated_tokens": g.tokens.len(), "generate_s": gen_s, "tokens_per_s": g.tokens.len() as f64 / gen_s, "text": g.text})
    );
    Ok(())
}
