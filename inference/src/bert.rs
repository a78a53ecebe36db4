//! A BERT encoder (all-MiniLM-L6-v2 and other sentence-transformers BERTs) read from a
//! safetensors file and its `config.json`: token states for a padded batch.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear};
use std::collections::HashMap;
use std::path::Path;

/// The fields of a Hugging Face BERT `config.json` the encoder needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub layers: usize,
    pub width: usize,
    pub heads: usize,
    pub eps: f64,
    pub max_positions: usize,
}

impl Config {
    pub fn read(path: &Path) -> std::result::Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let num = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).map(|n| n as usize).ok_or_else(|| format!("{}: expected a number `{k}`", path.display()));
        if let Some(act) = v.get("hidden_act").and_then(|a| a.as_str())
            && act != "gelu"
        {
            return Err(format!("{}: hidden_act `{act}` is not supported (expected `gelu`)", path.display()));
        }
        Ok(Config {
            layers: num("num_hidden_layers")?,
            width: num("hidden_size")?,
            heads: num("num_attention_heads")?,
            eps: v.get("layer_norm_eps").and_then(serde_json::Value::as_f64).unwrap_or(1e-12),
            max_positions: num("max_position_embeddings")?,
        })
    }
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    up: Linear,
    down: Linear,
    out_norm: LayerNorm,
}

pub struct Bert {
    pub config: Config,
    words: Embedding,
    positions: Embedding,
    token_types: Embedding,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl Bert {
    pub fn load(weights: &Path, config: Config, device: &Device) -> Result<Bert> {
        let mut t = Weights { tensors: candle_core::safetensors::load(weights, device)?, file: weights };
        // Some exports prefix every name with `bert.`.
        if t.tensors.keys().all(|k| k.starts_with("bert.")) {
            t.tensors = std::mem::take(&mut t.tensors).into_iter().map(|(k, v)| (k["bert.".len()..].to_string(), v)).collect();
        }
        let eps = config.eps;
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = format!("encoder.layer.{i}");
            layers.push(Layer {
                q: t.linear(&format!("{p}.attention.self.query"))?,
                k: t.linear(&format!("{p}.attention.self.key"))?,
                v: t.linear(&format!("{p}.attention.self.value"))?,
                attn_out: t.linear(&format!("{p}.attention.output.dense"))?,
                attn_norm: t.norm(&format!("{p}.attention.output.LayerNorm"), eps)?,
                up: t.linear(&format!("{p}.intermediate.dense"))?,
                down: t.linear(&format!("{p}.output.dense"))?,
                out_norm: t.norm(&format!("{p}.output.LayerNorm"), eps)?,
            });
        }
        Ok(Bert {
            words: Embedding::new(t.take("embeddings.word_embeddings.weight")?, config.width),
            positions: Embedding::new(t.take("embeddings.position_embeddings.weight")?, config.width),
            token_types: Embedding::new(t.take("embeddings.token_type_embeddings.weight")?, config.width),
            embed_norm: t.norm("embeddings.LayerNorm", eps)?,
            layers,
            config,
        })
    }

    /// Token states (batch, len, width) for ids (batch, len) with attention mask (batch, len) of 0/1.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, len) = ids.dims2()?;
        let device = ids.device();
        let pos = Tensor::arange(0u32, len as u32, device)?.unsqueeze(0)?.broadcast_as((batch, len))?.contiguous()?;
        let types = Tensor::zeros((batch, len), DType::U32, device)?;
        let x = ((self.words.forward(ids)? + self.positions.forward(&pos)?)? + self.token_types.forward(&types)?)?;
        let mut x = self.embed_norm.forward(&x)?;
        // Padding keys get a large negative score in every head: (batch, 1, 1, len).
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 1e4)?.reshape((batch, 1, 1, len))?;
        let (h, hd) = (self.config.heads, self.config.width / self.config.heads);
        for l in &self.layers {
            let split = |t: Tensor| t.reshape((batch, len, h, hd))?.transpose(1, 2)?.contiguous();
            let (q, k, v) = (split(l.q.forward(&x)?)?, split(l.k.forward(&x)?)?, split(l.v.forward(&x)?)?);
            let scores = (q.matmul(&k.t()?.contiguous()?)? / (hd as f64).sqrt())?.broadcast_add(&bias)?;
            let ctx = candle_nn::ops::softmax_last_dim(&scores)?.matmul(&v)?;
            let ctx = ctx.transpose(1, 2)?.reshape((batch, len, self.config.width))?;
            x = l.attn_norm.forward(&(l.attn_out.forward(&ctx)? + &x)?)?;
            let ffn = l.down.forward(&l.up.forward(&x)?.gelu_erf()?)?;
            x = l.out_norm.forward(&(ffn + &x)?)?;
        }
        Ok(x)
    }
}

/// The tensors of a safetensors file, taken by name.
struct Weights<'a> {
    tensors: HashMap<String, Tensor>,
    file: &'a Path,
}

impl Weights<'_> {
    fn take(&mut self, name: &str) -> Result<Tensor> {
        let t = self.tensors.remove(name).ok_or_else(|| candle_core::Error::Msg(format!("{}: missing tensor `{name}`", self.file.display())))?;
        t.to_dtype(DType::F32)
    }

    fn linear(&mut self, prefix: &str) -> Result<Linear> {
        Ok(Linear::new(self.take(&format!("{prefix}.weight"))?, Some(self.take(&format!("{prefix}.bias"))?)))
    }

    fn norm(&mut self, prefix: &str, eps: f64) -> Result<LayerNorm> {
        Ok(LayerNorm::new(self.take(&format!("{prefix}.weight"))?, self.take(&format!("{prefix}.bias"))?, eps))
    }
}
