//! Activation hooks on the real SmolLM2-135M (from `scripts/fetch-models.sh`; skipped when it is
//! missing unless `PIPEC_REQUIRE_MODELS=1`): a hook that returns nothing changes nothing, one that
//! overwrites an `o_proj` output changes the logits, and PICA patching a separator with the
//! values that prompt itself produces is the identity, so capture and overwrite hit the same
//! positions.

use candle_core::Tensor;
use pipec_inference::llama::{Hook, KvCache, Site};
use pipec_inference::lm::CausalLm;
use pipec_inference::pica::Pica;
use std::path::PathBuf;

fn lm() -> Option<CausalLm> {
    let dir = std::env::var("PIPEC_MODELS").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models"));
    let gguf = dir.join("smollm2-135m-instruct.q4_1.gguf");
    if !gguf.exists() {
        assert!(std::env::var("PIPEC_REQUIRE_MODELS").is_err(), "PIPEC_REQUIRE_MODELS=1 but {} is missing: run scripts/fetch-models.sh", gguf.display());
        eprintln!("skipped: no {} (scripts/fetch-models.sh fetches it)", gguf.display());
        return None;
    }
    Some(CausalLm::load(&gguf).unwrap())
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

#[test]
fn hooks_see_every_layer_and_overwrite_only_when_they_return_values() {
    let Some(lm) = lm() else { return };
    let ids = lm.tokenizer.encode("The capital of France is").unwrap();
    let plain = lm.model.forward(&ids, &mut KvCache::default(), None).unwrap();
    let mut seen = Vec::new();
    let mut watch = |site: Site, layer: usize, start: usize, x: &Tensor| {
        seen.push((site, layer, start, x.dims().to_vec()));
        Ok(None)
    };
    let watched = lm.model.forward(&ids, &mut KvCache::default(), Some(&mut watch as &mut Hook<'_>)).unwrap();
    assert_eq!(max_abs_diff(&plain, &watched), 0.0);
    let layers = lm.model.config.layers;
    assert_eq!(seen.len(), 2 * layers);
    assert!(seen.iter().all(|(_, _, start, dims)| *start == 0 && dims == &[ids.len(), lm.model.config.width]));
    let mut zero_last = |site: Site, layer: usize, _: usize, x: &Tensor| Ok((site == Site::Attention && layer == 0).then(|| x.zeros_like().unwrap()));
    let patched = lm.model.forward(&ids, &mut KvCache::default(), Some(&mut zero_last as &mut Hook<'_>)).unwrap();
    assert!(max_abs_diff(&plain, &patched) > 1e-2, "zeroing layer 0's attention output must change the logits");
}

#[test]
fn pica_patching_a_separator_with_its_own_values_is_the_identity() {
    let Some(lm) = lm() else { return };
    let query = "Name a fruit that is yellow.".to_string();
    // No demos: the few-shot prompt the vector is read from is the zero-shot prompt itself.
    let p = |layers| Pica { system: "Answer briefly.".into(), demos: Vec::new(), prior_tokens: 0, layers, max_tokens: 12 };
    let own = lm.icl_vector(&p(9), std::slice::from_ref(&query)).unwrap();
    let patched = lm.pica(&p(9), &own, &query).unwrap();
    let plain = lm.pica(&p(0), &lm.icl_vector(&p(0), &[]).unwrap(), &query).unwrap();
    assert_eq!(patched, plain);
    assert_eq!((plain.tokens.0, plain.prompt_tokens.0), (0, 0), "no few-shot stage with prior_tokens 0");
    // Two stages: the first tokens come from the few-shot prompt, the rest after the switch.
    let demos = vec![("What colour is the sky?".to_string(), "Blue.".to_string())];
    let two = Pica { demos, prior_tokens: 3, ..p(9) };
    let vector = lm.icl_vector(&two, &["Name a colour.".to_string()]).unwrap();
    let answer = lm.pica(&two, &vector, &query).unwrap();
    assert!(answer.tokens.0 == 3 || answer.tokens.1 == 0, "{answer:?}");
    assert!(answer.prompt_tokens.0 > answer.prompt_tokens.1 - answer.tokens.0, "the few-shot prompt is the longer one: {answer:?}");
}
