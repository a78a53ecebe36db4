//! A local causal LM: chat-formatted or raw generation with per-token log-probs, and the
//! log-probability of every token of a given text (teacher forcing, one forward pass), on `llama`.

use crate::gguf_tokenizer::{GgufTokenizer, gguf_to_tokenizer};
use crate::llama::{Hook, KvCache, Llama, token_logprobs};
use candle_core::quantized::gguf_file::Content;
use candle_core::{D, Device, Tensor};
use std::path::Path;

pub struct CausalLm {
    pub model: Llama,
    pub tokenizer: GgufTokenizer,
}

/// One generated completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub text: String,
    /// Each generated token's text and its log-probability under the unscaled distribution.
    pub tokens: Vec<String>,
    pub token_logprobs: Vec<f32>,
    pub prompt_tokens: usize,
    /// Why generation stopped: `stop` (end of turn) or `length` (max_tokens).
    pub finish: &'static str,
}

/// How to generate.
#[derive(Debug, Clone, Copy)]
pub struct Sampling {
    pub max_tokens: usize,
    /// 0 is greedy.
    pub temperature: f64,
}

fn err(e: candle_core::Error) -> String {
    e.to_string()
}

impl CausalLm {
    pub fn load(path: &Path) -> Result<CausalLm, String> {
        let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let ct = Content::read(&mut file).map_err(|e| format!("{}: not a readable GGUF file: {e}", path.display()))?;
        let tokenizer = gguf_to_tokenizer(&ct).map_err(|e| format!("{}: {e}", path.display()))?;
        let model = Llama::from_gguf(&ct, &mut file, &Device::Cpu).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(CausalLm { model, tokenizer })
    }

    /// Generates the assistant's next turn after `messages` (`(role, content)`: system, user,
    /// assistant, tool). `uniform` supplies draws in [0, 1) for sampling; greedy decoding never
    /// calls it.
    pub fn generate(&self, messages: &[(String, String)], how: Sampling, uniform: &mut dyn FnMut() -> f64, hook: Option<&mut Hook<'_>>) -> Result<Generation, String> {
        self.continue_text(&self.tokenizer.chat_prompt(messages), how, uniform, hook)
    }

    /// Continues a raw prompt (no chat template).
    pub fn complete(&self, prompt: &str, how: Sampling, uniform: &mut dyn FnMut() -> f64) -> Result<Generation, String> {
        self.continue_text(prompt, how, uniform, None)
    }

    fn continue_text(&self, prompt: &str, how: Sampling, uniform: &mut dyn FnMut() -> f64, hook: Option<&mut Hook<'_>>) -> Result<Generation, String> {
        let prompt = self.tokenizer.encode(prompt)?;
        let (out, lps, finish) = self.continue_ids(&prompt, how, uniform, hook)?;
        let tokens = out.iter().map(|t| self.tokenizer.decode_all(&[*t])).collect::<Result<_, _>>()?;
        Ok(Generation { text: self.tokenizer.decode(&out)?, tokens, token_logprobs: lps, prompt_tokens: prompt.len(), finish })
    }

    /// Continues the token ids `prompt` (one prefill, then a token at a time on the KV cache);
    /// the new ids, their log-probs and why it stopped. `hook` sees every forward pass.
    pub fn continue_ids(&self, prompt: &[u32], how: Sampling, uniform: &mut dyn FnMut() -> f64, mut hook: Option<&mut Hook<'_>>) -> Result<(Vec<u32>, Vec<f32>, &'static str), String> {
        if prompt.is_empty() {
            return Err("the prompt is empty".into());
        }
        let mut cache = KvCache::default();
        let mut logits = self.model.forward(prompt, &mut cache, hook.as_deref_mut()).map_err(err)?;
        let (mut out, mut lps) = (Vec::new(), Vec::new());
        let mut finish = "length";
        while out.len() < how.max_tokens && prompt.len() + out.len() < self.model.config.context {
            let last = logits.get(logits.dim(0).map_err(err)? - 1).map_err(err)?;
            let next = pick(&last, how.temperature, uniform).map_err(err)?;
            if self.tokenizer.ends_turn(next) {
                finish = "stop";
                break;
            }
            lps.push(token_logprobs(&last.unsqueeze(0).map_err(err)?, &[next], 1.0).map_err(err)?[0]);
            out.push(next);
            logits = self.model.forward(&[next], &mut cache, hook.as_deref_mut()).map_err(err)?;
        }
        Ok((out, lps, finish))
    }

    /// Every token of `text` with its log-probability given the tokens before it (the first has
    /// none) and its character offset in `text`: one forward pass (teacher forcing).
    pub fn score(&self, text: &str) -> Result<Vec<Scored>, String> {
        let ids = self.tokenizer.encode(text)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let logits = self.model.forward(&ids, &mut KvCache::default(), None).map_err(err)?;
        let lps = token_logprobs(&logits.narrow(0, 0, ids.len() - 1).map_err(err)?, &ids[1..], 1.0).map_err(err)?;
        let mut out = Vec::with_capacity(ids.len());
        let mut offset = 0;
        for (i, id) in ids.iter().enumerate() {
            // Offsets from decoding growing prefixes: a token can hold part of a character.
            let end = self.tokenizer.decode_all(&ids[..=i])?.chars().count();
            out.push(Scored { text: self.tokenizer.decode_all(&[*id])?, logprob: (i > 0).then(|| lps[i - 1]), offset });
            offset = end;
        }
        Ok(out)
    }
}

/// One token of a scored text.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub text: String,
    pub logprob: Option<f32>,
    /// Character offset of the token's start.
    pub offset: usize,
}

/// The next token: argmax at temperature 0, else a draw from softmax(logits / temperature).
fn pick(logits: &Tensor, temperature: f64, uniform: &mut dyn FnMut() -> f64) -> candle_core::Result<u32> {
    if temperature <= 0.0 {
        return logits.argmax(D::Minus1)?.to_scalar::<u32>();
    }
    let probs = candle_nn::ops::softmax_last_dim(&(logits / temperature)?.unsqueeze(0)?)?.squeeze(0)?.to_vec1::<f32>()?;
    let u = uniform() as f32;
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return Ok(i as u32);
        }
    }
    Ok(probs.len() as u32 - 1)
}
