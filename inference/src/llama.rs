//! A llama-architecture decoder read from a GGUF file (SmolLM2 and its kin). Weights are
//! dequantised to f32 once at load: candle has no fast CPU kernel for Q4_1, and f32 matmuls run
//! about ten times faster there. `forward` returns the logits of every position it is given (for
//! sequence log-probs) and lets a hook read or replace each layer's output (activation steering).

use candle_core::quantized::gguf_file::Content;
use candle_core::{D, DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, Linear};
use std::io::{Read, Seek};

/// Model shape from the GGUF metadata.
#[derive(Debug, Clone)]
pub struct Config {
    pub layers: usize,
    pub width: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    pub context: usize,
    pub vocab: usize,
}

impl Config {
    fn from_gguf(ct: &Content) -> Result<Config> {
        let arch = ct.metadata.get("general.architecture").map(|v| v.to_string().cloned()).transpose()?.unwrap_or_default();
        if arch != "llama" {
            candle_core::bail!("GGUF architecture is `{arch}`; pipec's local LM reads llama-architecture models");
        }
        let get = |k: &str| ct.metadata.get(&format!("llama.{k}")).ok_or_else(|| candle_core::Error::Msg(format!("GGUF metadata lacks llama.{k}")));
        Ok(Config {
            layers: get("block_count")?.to_u32()? as usize,
            width: get("embedding_length")?.to_u32()? as usize,
            heads: get("attention.head_count")?.to_u32()? as usize,
            kv_heads: get("attention.head_count_kv")?.to_u32()? as usize,
            rms_eps: get("attention.layer_norm_rms_epsilon")?.to_f32()? as f64,
            rope_base: get("rope.freq_base").and_then(|v| v.to_f32()).unwrap_or(10_000.0),
            context: get("context_length")?.to_u32()? as usize,
            vocab: 0,
        })
    }

    pub fn head_dim(&self) -> usize {
        self.width / self.heads
    }
}

struct Layer {
    attn_norm: Tensor,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
}

/// Keys and values of the positions already seen, per layer (for incremental decoding).
#[derive(Default, Clone)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
}

impl KvCache {
    /// How many positions the cache holds.
    pub fn len(&self) -> usize {
        self.layers.first().and_then(|l| l.as_ref()).map_or(0, |(k, _)| k.dim(2).unwrap_or(0))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where in a layer a hook sees the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// The attention block's output projection (`o_proj`), before it joins the residual stream.
    Attention,
    /// The residual stream after the whole layer.
    Residual,
}

/// What a hook sees: `(site, layer, start, values)`, the values at `site` of `layer` for the
/// positions `start..start + len` of the sequence, shape (len, width). Returning `Some` replaces
/// them (same shape).
pub type Hook<'a> = dyn FnMut(Site, usize, usize, &Tensor) -> Result<Option<Tensor>> + 'a;

pub struct Llama {
    pub config: Config,
    embed: Embedding,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Linear,
    cos: Tensor,
    sin: Tensor,
}

impl Llama {
    /// Reads the model (the caller has read `ct` from the same reader).
    pub fn from_gguf<R: Read + Seek>(ct: &Content, reader: &mut R, device: &Device) -> Result<Llama> {
        let mut config = Config::from_gguf(ct)?;
        let mut tensor = |name: &str| ct.tensor(reader, name, device)?.dequantize(device);
        let embed_w = tensor("token_embd.weight")?;
        config.vocab = embed_w.dim(0)?;
        let linear = |w: Tensor| Linear::new(w, None);
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = format!("blk.{i}");
            layers.push(Layer {
                attn_norm: tensor(&format!("{p}.attn_norm.weight"))?,
                q: linear(tensor(&format!("{p}.attn_q.weight"))?),
                k: linear(tensor(&format!("{p}.attn_k.weight"))?),
                v: linear(tensor(&format!("{p}.attn_v.weight"))?),
                o: linear(tensor(&format!("{p}.attn_output.weight"))?),
                ffn_norm: tensor(&format!("{p}.ffn_norm.weight"))?,
                gate: linear(tensor(&format!("{p}.ffn_gate.weight"))?),
                up: linear(tensor(&format!("{p}.ffn_up.weight"))?),
                down: linear(tensor(&format!("{p}.ffn_down.weight"))?),
            });
        }
        let norm = tensor("output_norm.weight")?;
        // Small models tie the output projection to the token embeddings.
        let output = match ct.tensor_infos.contains_key("output.weight") {
            true => linear(tensor("output.weight")?),
            false => linear(embed_w.clone()),
        };
        let (cos, sin) = rope_tables(&config, device)?;
        Ok(Llama { embed: Embedding::new(embed_w, config.width), config, layers, norm, output, cos, sin })
    }

    /// Logits (len, vocab) for `tokens` placed after the cache's positions; the cache grows.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache, mut hook: Option<&mut Hook<'_>>) -> Result<Tensor> {
        let start = cache.len();
        let len = tokens.len();
        if start + len > self.config.context {
            candle_core::bail!("{} tokens exceed the model's context of {}", start + len, self.config.context);
        }
        cache.layers.resize(self.config.layers, None);
        let device = self.cos.device();
        let ids = Tensor::new(tokens, device)?;
        let mut x = self.embed.forward(&ids)?; // (len, width)
        let mask = causal_mask(start, len, device)?;
        let (cos, sin) = (self.cos.narrow(0, start, len)?, self.sin.narrow(0, start, len)?);
        for (i, layer) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, self.config.rms_eps as f32)?;
            let mut attn = self.attention(layer, &h, &cos, &sin, mask.as_ref(), &mut cache.layers[i])?;
            if let Some(hook) = hook.as_deref_mut()
                && let Some(replaced) = hook(Site::Attention, i, start, &attn)?
            {
                attn = replaced;
            }
            x = (x + attn)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, self.config.rms_eps as f32)?;
            let ffn = layer.down.forward(&(candle_nn::ops::silu(&layer.gate.forward(&h)?)? * layer.up.forward(&h)?)?)?;
            x = (x + ffn)?;
            if let Some(hook) = hook.as_deref_mut()
                && let Some(replaced) = hook(Site::Residual, i, start, &x)?
            {
                x = replaced;
            }
        }
        let x = candle_nn::ops::rms_norm(&x, &self.norm, self.config.rms_eps as f32)?;
        self.output.forward(&x)
    }

    fn attention(&self, layer: &Layer, h: &Tensor, cos: &Tensor, sin: &Tensor, mask: Option<&Tensor>, kv: &mut Option<(Tensor, Tensor)>) -> Result<Tensor> {
        let c = &self.config;
        let (len, hd) = (h.dim(0)?, c.head_dim());
        let heads = |t: Tensor, n: usize| t.reshape((1, len, n, hd))?.transpose(1, 2)?.contiguous();
        let q = candle_nn::rotary_emb::rope_i(&heads(layer.q.forward(h)?, c.heads)?, cos, sin)?;
        let k = candle_nn::rotary_emb::rope_i(&heads(layer.k.forward(h)?, c.kv_heads)?, cos, sin)?;
        let v = heads(layer.v.forward(h)?, c.kv_heads)?;
        let (k, v) = match kv.take() {
            Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
            None => (k, v),
        };
        *kv = Some((k.clone(), v.clone()));
        let group = c.heads / c.kv_heads;
        let repeat = |t: &Tensor| -> Result<Tensor> {
            let (b, n, s, d) = t.dims4()?;
            t.unsqueeze(2)?.expand((b, n, group, s, d))?.reshape((b, n * group, s, d))
        };
        let (k, v) = (repeat(&k)?, repeat(&v)?);
        let scores = (q.matmul(&k.t()?.contiguous()?)? / (hd as f64).sqrt())?;
        let scores = match mask {
            Some(m) => scores.broadcast_add(m)?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.matmul(&v.contiguous()?)?; // (1, heads, len, hd)
        layer.o.forward(&out.transpose(1, 2)?.reshape((len, c.width))?)
    }
}

/// Interleaved rotary tables (GGUF stores Q and K permuted for `rope_i`).
fn rope_tables(c: &Config, device: &Device) -> Result<(Tensor, Tensor)> {
    let hd = c.head_dim();
    let inv: Vec<f32> = (0..hd / 2).map(|i| 1.0 / c.rope_base.powf(2.0 * i as f32 / hd as f32)).collect();
    let inv = Tensor::new(inv.as_slice(), device)?.reshape((1, hd / 2))?;
    let pos = Tensor::arange(0u32, c.context as u32, device)?.to_dtype(DType::F32)?.reshape((c.context, 1))?;
    let freqs = pos.broadcast_mul(&inv)?;
    Ok((freqs.cos()?, freqs.sin()?))
}

/// Additive mask (len, start + len): query i sees keys up to start + i.
fn causal_mask(start: usize, len: usize, device: &Device) -> Result<Option<Tensor>> {
    if len == 1 {
        return Ok(None);
    }
    let total = start + len;
    let values: Vec<f32> = (0..len).flat_map(|i| (0..total).map(move |j| if j <= start + i { 0.0 } else { f32::NEG_INFINITY })).collect();
    Tensor::from_vec(values, (len, total), device).map(Some)
}

/// log-softmax of each row of `logits` (len, vocab) scaled by 1/temperature, read at `next`.
pub fn token_logprobs(logits: &Tensor, next: &[u32], temperature: f64) -> Result<Vec<f32>> {
    let scaled = if temperature > 0.0 && temperature != 1.0 { (logits / temperature)? } else { logits.clone() };
    let lsm = candle_nn::ops::log_softmax(&scaled.to_dtype(DType::F32)?, D::Minus1)?;
    let idx = Tensor::new(next, logits.device())?.unsqueeze(1)?;
    lsm.gather(&idx, 1)?.squeeze(1)?.to_vec1::<f32>()
}
