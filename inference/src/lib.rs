//! pipec's local models, on candle's CPU tensors: a BERT sentence encoder (all-MiniLM-L6-v2) and
//! a llama-architecture causal LM from GGUF (SmolLM2-135M) with its tokenizer rebuilt from the
//! file's metadata. The runtime serves both behind the same OpenAI-shaped requests as remote
//! endpoints (`pipec serve` exposes them over HTTP). `pica` steers the LM through its activation
//! hooks.

pub mod bert;
pub mod embedder;
pub mod gguf_tokenizer;
pub mod llama;
pub mod lm;
pub mod pica;
