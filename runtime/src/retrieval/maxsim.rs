//! Late interaction (ColBERT's MaxSim) over an embedding model's token states: each token vector
//! is L2-normalised, and a unit's score is the sum over query tokens of the best cosine with any
//! of the unit's tokens. The best-match search is the top-k kernel with k = 1 (query tokens
//! against unit tokens), so it runs on the GPU when there is one.

use pipec_compute::Backend;
use pipec_compute::kernels::topk;
use pipec_inference::embedder::Embedder;

/// The normalised token vectors of each text (padding dropped), row-major, `width` columns.
pub fn token_vectors(model: &Embedder, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
    let width = model.width();
    let mut out = vec![Vec::new(); texts.len()];
    model.states(texts, |batch| {
        for (b, &row) in batch.rows.iter().enumerate() {
            let mut tokens = Vec::new();
            for t in 0..batch.tokens {
                if !batch.mask[b * batch.tokens + t] {
                    continue;
                }
                let start = (b * batch.tokens + t) * width;
                let v = &batch.states[start..start + width];
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                tokens.extend(v.iter().map(|x| x / norm));
            }
            out[row] = tokens;
        }
        Ok(())
    })?;
    Ok(out)
}

/// MaxSim of `query` tokens against `unit` tokens (both from `token_vectors`).
pub fn score(backend: &Backend, query: &[f32], unit: &[f32], width: usize) -> Result<f64, String> {
    if query.is_empty() || unit.is_empty() {
        return Ok(0.0);
    }
    let best = topk::search(backend, query, unit, width, 1, None)?;
    Ok(best.scores.iter().map(|s| *s as f64).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Query tokens q1 = (1, 0), q2 = (0, 1); unit tokens (0.6, 0.8) and (1, 0):
    /// best for q1 is 1.0, for q2 0.8, so MaxSim = 1.8.
    #[test]
    fn maxsim_sums_each_query_tokens_best_match() {
        let s = score(&Backend::Cpu, &[1.0, 0.0, 0.0, 1.0], &[0.6, 0.8, 1.0, 0.0], 2).unwrap();
        assert!((s - 1.8).abs() < 1e-6, "{s}");
        assert_eq!(score(&Backend::Cpu, &[], &[1.0, 0.0], 2).unwrap(), 0.0);
    }
}
