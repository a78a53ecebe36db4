//! A sentence-transformers embedding model from its folder (`config.json`, `model.safetensors`,
//! `tokenizer.json`): texts to token states in length-sorted, padded batches. Pooling and
//! normalisation are the caller's (pipec runs them on its compute kernels).

use crate::bert::{Bert, Config};
use candle_core::{Device, Tensor};
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// sentence-transformers' `max_seq_length` for MiniLM-class models. The shipped tokenizer.json
/// pads and truncates at 128, which would change the embeddings of longer texts: both are reset.
const MAX_TOKENS: usize = 256;
const BATCH: usize = 32;

pub struct Embedder {
    pub model: Bert,
    tokenizer: Tokenizer,
}

/// Token states of one batch: `states` is rows × tokens × width, `mask` rows × tokens.
pub struct States {
    pub rows: Vec<usize>,
    pub tokens: usize,
    pub states: Vec<f32>,
    pub mask: Vec<bool>,
}

impl Embedder {
    pub fn load(dir: &Path) -> Result<Embedder, String> {
        let config = Config::read(&dir.join("config.json"))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| format!("{}: {e}", dir.join("tokenizer.json").display()))?;
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..Default::default() }));
        let max_length = MAX_TOKENS.min(config.max_positions);
        tokenizer.with_truncation(Some(TruncationParams { max_length, ..Default::default() })).map_err(|e| e.to_string())?;
        let model = Bert::load(&dir.join("model.safetensors"), config, &Device::Cpu).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Embedder { model, tokenizer })
    }

    pub fn width(&self) -> usize {
        self.model.config.width
    }

    /// Token states of `texts`, batch by batch (texts of similar length together); `rows` says
    /// which texts each batch holds.
    pub fn states(&self, texts: &[String], mut each: impl FnMut(States) -> Result<(), String>) -> Result<(), String> {
        let lengths: Vec<usize> = texts.iter().map(|t| t.len()).collect();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| lengths[i]);
        for rows in order.chunks(BATCH) {
            let batch: Vec<&str> = rows.iter().map(|&i| texts[i].as_str()).collect();
            let enc = self.tokenizer.encode_batch(batch, true).map_err(|e| format!("tokenizing: {e}"))?;
            let tokens = enc.first().map_or(0, |e| e.get_ids().len());
            let ids: Vec<u32> = enc.iter().flat_map(|e| e.get_ids().to_vec()).collect();
            let mask: Vec<u32> = enc.iter().flat_map(|e| e.get_attention_mask().to_vec()).collect();
            let shape = (rows.len(), tokens);
            let run = || -> candle_core::Result<Vec<f32>> {
                let ids = Tensor::from_vec(ids, shape, &Device::Cpu)?;
                let m = Tensor::from_vec(mask.clone(), shape, &Device::Cpu)?;
                self.model.forward(&ids, &m)?.flatten_all()?.to_vec1::<f32>()
            };
            let states = run().map_err(|e| e.to_string())?;
            each(States { rows: rows.to_vec(), tokens, states, mask: mask.iter().map(|&m| m == 1).collect() })?;
        }
        Ok(())
    }
}
