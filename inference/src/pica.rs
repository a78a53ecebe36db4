//! PICA, progressive in-context alignment (methods.md §9), on a local LM through its activation
//! hooks. Stage 1 greedily decodes the first `prior_tokens` tokens few-shot (system text, demos,
//! query, separator). The ICL vector is the `o_proj` output at the separator's positions in layers
//! below `layers`, averaged over few-shot prompts of dummy queries (the query itself when none
//! are given). Stage 2 decodes zero-shot (system text, query, separator, the prior tokens) with
//! the separator's `o_proj` outputs replaced by the ICL vector in those layers; the patched
//! prefill carries forward through the KV cache. The prompt format is the released CFG6 one; the
//! answer's text ends at its closing fence. The embedding output the release also captures is the
//! same at the separator in every prompt (same tokens), so replacing it would change nothing.

use crate::llama::{Hook, Site};
use crate::lm::{CausalLm, Sampling};
use candle_core::{Result as CResult, Tensor};

/// The separator after a query, where the ICL vector is read and written.
pub const SEPARATOR: &str = "# Answer:\n```\n";

/// How to run PICA.
#[derive(Debug, Clone)]
pub struct Pica {
    pub system: String,
    /// (query, answer) demonstrations.
    pub demos: Vec<(String, String)>,
    /// Tokens decoded few-shot before switching to zero-shot.
    pub prior_tokens: usize,
    /// Layers 0..layers have their separator `o_proj` output replaced in stage 2.
    pub layers: usize,
    pub max_tokens: usize,
}

/// The text up to the answer's closing fence (where a demo's answer ends); decoding itself runs
/// to max_tokens or the end of turn.
fn answer_text(text: String) -> String {
    match text.find("\n```") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// One PICA answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    /// Tokens decoded in stage 1 and in stage 2.
    pub tokens: (usize, usize),
    /// Prompt tokens prefilled in stage 1 and in stage 2 (the cost PICA saves).
    pub prompt_tokens: (usize, usize),
}

/// The mean separator `o_proj` output of each patched layer, (separator tokens, width) each.
pub struct IclVector(Vec<Tensor>);

fn query_block(q: &str) -> String {
    format!("# Query:\n```\n{q}\n```\n\n")
}

fn err(e: candle_core::Error) -> String {
    e.to_string()
}

impl Pica {
    fn few_shot_prefix(&self, query: &str) -> String {
        let demos: String = self.demos.iter().map(|(q, a)| format!("{}{SEPARATOR}{a}\n```\n\n", query_block(q))).collect();
        format!("{}\n\n{demos}{}", self.system, query_block(query))
    }

    fn zero_shot_prefix(&self, query: &str) -> String {
        format!("{}\n\n{}", self.system, query_block(query))
    }
}

impl CausalLm {
    /// The ids of `prefix + SEPARATOR` and where the separator's ids start: after the ids it
    /// shares with `prefix` alone, so a token merged across the boundary counts as separator
    /// (the text before the separator always ends the same way, so it merges the same way).
    fn with_separator(&self, prefix: &str) -> Result<(Vec<u32>, usize), String> {
        let (head, ids) = (self.tokenizer.encode(prefix)?, self.tokenizer.encode(&format!("{prefix}{SEPARATOR}"))?);
        let at = head.iter().zip(&ids).take_while(|(a, b)| a == b).count();
        Ok((ids, at))
    }

    /// The ICL vector from few-shot prompts of `dummies`.
    pub fn icl_vector(&self, p: &Pica, dummies: &[String]) -> Result<IclVector, String> {
        if p.layers == 0 {
            return Ok(IclVector(Vec::new()));
        }
        if dummies.is_empty() {
            return Err("the ICL vector needs at least one query".into());
        }
        let mut sums: Vec<Option<Tensor>> = vec![None; p.layers];
        let mut width = None;
        for q in dummies {
            let (ids, at) = self.with_separator(&p.few_shot_prefix(q))?;
            let sep = ids.len() - at;
            if *width.get_or_insert(sep) != sep {
                return Err("the separator tokenizes differently after different queries".into());
            }
            let mut hook = |site: Site, layer: usize, start: usize, x: &Tensor| -> CResult<Option<Tensor>> {
                if site == Site::Attention && layer < p.layers {
                    let rows = x.narrow(0, at - start, sep)?;
                    sums[layer] = Some(match sums[layer].take() {
                        Some(s) => (s + rows)?,
                        None => rows,
                    });
                }
                Ok(None)
            };
            self.model.forward(&ids, &mut Default::default(), Some(&mut hook as &mut Hook<'_>)).map_err(err)?;
        }
        let n = dummies.len() as f64;
        sums.into_iter().map(|s| s.ok_or_else(|| "a layer was never seen".to_string()).and_then(|s| (s / n).map_err(err))).collect::<Result<_, _>>().map(IclVector)
    }

    /// PICA's answer to `query` (greedy).
    pub fn pica(&self, p: &Pica, vector: &IclVector, query: &str) -> Result<Answer, String> {
        let never = &mut || 0.0;
        let (prior, stage1_prompt) = if p.prior_tokens == 0 {
            (Vec::new(), 0)
        } else {
            let (ids, _) = self.with_separator(&p.few_shot_prefix(query))?;
            let stage1 = Sampling { max_tokens: p.prior_tokens.min(p.max_tokens), temperature: 0.0 };
            let (prior, _, finish) = self.continue_ids(&ids, stage1, never, None)?;
            if finish == "stop" || prior.len() >= p.max_tokens {
                return Ok(Answer { text: answer_text(self.tokenizer.decode(&prior)?), tokens: (prior.len(), 0), prompt_tokens: (ids.len(), 0) });
            }
            (prior, ids.len())
        };
        let (mut zero, at) = self.with_separator(&p.zero_shot_prefix(query))?;
        let sep = zero.len() - at;
        if vector.0.first().is_some_and(|v| v.dim(0).ok() != Some(sep)) {
            return Err("the separator tokenizes differently in the zero-shot prompt".into());
        }
        let prompt_len = zero.len() + prior.len();
        zero.extend(&prior);
        let mut hook = |site: Site, layer: usize, start: usize, x: &Tensor| -> CResult<Option<Tensor>> {
            let len = x.dim(0)?;
            if site != Site::Attention || layer >= vector.0.len() || start > at || start + len < at + sep {
                return Ok(None);
            }
            let (from, to) = (at - start, at - start + sep);
            Tensor::cat(&[&x.narrow(0, 0, from)?, &vector.0[layer], &x.narrow(0, to, len - to)?], 0).map(Some)
        };
        let stage2 = Sampling { max_tokens: p.max_tokens - prior.len(), temperature: 0.0 };
        let (rest, _, _) = self.continue_ids(&zero, stage2, never, Some(&mut hook as &mut Hook<'_>))?;
        let all: Vec<u32> = prior.iter().chain(&rest).copied().collect();
        Ok(Answer { text: answer_text(self.tokenizer.decode(&all)?), tokens: (prior.len(), rest.len()), prompt_tokens: (stage1_prompt, prompt_len) })
    }
}
