//! The byte-level BPE tokenizer a GGUF file carries in its metadata, rebuilt as a Hugging Face
//! `tokenizers::Tokenizer` (vocabulary, merges, control tokens as specials; GPT-2 pre-tokenizer
//! with single digits, as llama.cpp's `smollm` pre-tokenizer does) and its chat template.

use candle_core::quantized::gguf_file::{Content, Value};
use serde_json::{Map, json};
use tokenizers::Tokenizer;

/// The tokenizer plus the token ids and chat template the model was trained with.
pub struct GgufTokenizer {
    pub tokenizer: Tokenizer,
    pub eos: u32,
    /// The default system message of the model's ChatML template, when it has one.
    pub default_system: Option<String>,
}

fn meta<'a>(ct: &'a Content, key: &str) -> Result<&'a Value, String> {
    ct.metadata.get(key).ok_or_else(|| format!("GGUF metadata lacks `{key}`"))
}

pub fn gguf_to_tokenizer(ct: &Content) -> Result<GgufTokenizer, String> {
    let text = |v: &Value| v.to_string().cloned().map_err(|e| e.to_string());
    let model = text(meta(ct, "tokenizer.ggml.model")?)?;
    if model != "gpt2" {
        return Err(format!("GGUF tokenizer is `{model}`; pipec rebuilds byte-level BPE (`gpt2`) tokenizers"));
    }
    let tokens: Vec<String> = meta(ct, "tokenizer.ggml.tokens")?.to_vec().map_err(|e| e.to_string())?.iter().map(text).collect::<Result<_, _>>()?;
    let merges: Vec<String> = meta(ct, "tokenizer.ggml.merges")?.to_vec().map_err(|e| e.to_string())?.iter().map(text).collect::<Result<_, _>>()?;
    let types: Vec<i32> = match ct.metadata.get("tokenizer.ggml.token_type") {
        Some(v) => v.to_vec().map_err(|e| e.to_string())?.iter().map(|t| t.to_i32().map_err(|e| e.to_string())).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let vocab: Map<String, serde_json::Value> = tokens.iter().enumerate().map(|(i, t)| (t.clone(), json!(i))).collect();
    // llama.cpp token types: 3 = control, 4 = user-defined; both are matched whole, never split.
    let added: Vec<serde_json::Value> = types
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t, 3 | 4))
        .map(|(i, _)| json!({"id": i, "content": tokens[i], "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}))
        .collect();
    let spec = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
        ]},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
                  "fuse_unk": false, "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges}
    });
    let tokenizer = Tokenizer::from_bytes(spec.to_string()).map_err(|e| format!("rebuilding the GGUF tokenizer: {e}"))?;
    let eos = meta(ct, "tokenizer.ggml.eos_token_id")?.to_u32().map_err(|e| e.to_string())?;
    let template = ct.metadata.get("tokenizer.chat_template").and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
    Ok(GgufTokenizer { tokenizer, eos, default_system: default_system(&template) })
}

/// The literal system message a ChatML Jinja template inserts when the conversation has none.
fn default_system(template: &str) -> Option<String> {
    let marker = "<|im_start|>system\n";
    let at = template.find(marker)? + marker.len();
    let rest = &template[at..];
    let end = rest.find("<|im_end|>")?;
    let message = &rest[..end];
    (!message.contains("{{") && !message.contains('\'')).then(|| message.to_string())
}

impl GgufTokenizer {
    /// A ChatML prompt of `(role, content)` messages, as the model's template renders it, up to
    /// the assistant's next turn; the template's default system message goes first unless the
    /// conversation starts with its own.
    pub fn chat_prompt(&self, messages: &[(String, String)]) -> String {
        let own_system = messages.first().is_some_and(|(role, _)| role == "system");
        let mut prompt = match (&self.default_system, own_system) {
            (Some(s), false) => format!("<|im_start|>system\n{s}<|im_end|>\n"),
            _ => String::new(),
        };
        for (role, content) in messages {
            prompt.push_str(&format!("<|im_start|>{role}\n{content}<|im_end|>\n"));
        }
        prompt + "<|im_start|>assistant\n"
    }

    /// The end-of-sequence token, or ChatML's end of turn.
    pub fn ends_turn(&self, id: u32) -> bool {
        id == self.eos || self.tokenizer.id_to_token(id).as_deref() == Some("<|im_end|>")
    }

    pub fn encode(&self, text: &str) -> Result<Vec<u32>, String> {
        Ok(self.tokenizer.encode(text, false).map_err(|e| format!("tokenizing: {e}"))?.get_ids().to_vec())
    }

    /// Text of `ids`, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String, String> {
        self.tokenizer.decode(ids, true).map_err(|e| format!("detokenizing: {e}"))
    }

    /// Text of `ids` with special tokens spelled out (the exact text they were encoded from).
    pub fn decode_all(&self, ids: &[u32]) -> Result<String, String> {
        self.tokenizer.decode(ids, false).map_err(|e| format!("detokenizing: {e}"))
    }
}
