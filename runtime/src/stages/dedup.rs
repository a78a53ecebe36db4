//! `dedup`: drop records whose key repeats an earlier one, exactly or by character n-gram Jaccard
//! similarity. Near-duplicates use MinHash signatures with LSH banding to find candidates, then the
//! exact Jaccard of the n-gram sets to decide; the first record of a cluster is kept.

use super::records::key_text;
use super::{Ctx, Output, StageError, items};
use crate::data::Value;
use std::collections::{HashMap, HashSet};

const PERMUTATIONS: usize = 128;

pub fn dedup(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let by = ctx.required_function("by")?;
    let keys: Vec<String> = items(&rows).iter().map(|r| key_text(ctx, &by, r)).collect::<Result<_, _>>()?;
    let keep = match ctx.symbol("method", "exact").as_str() {
        "exact" => {
            let mut seen = HashSet::new();
            keys.iter().map(|k| seen.insert(k.as_str())).collect()
        }
        "ngram" => {
            let n = ctx.int("n", 3)?;
            let threshold = ctx.float("threshold", 0.8)?;
            if n < 1 || !(0.0..=1.0).contains(&threshold) {
                return Err(StageError::Message(format!("`n` must be at least 1 and `threshold` between 0 and 1 (found n: {n}, threshold: {threshold})")));
            }
            near_unique(&keys, n as usize, threshold)
        }
        other => return Err(StageError::Message(format!("unknown dedup method `{other}`; use `exact` or `ngram`"))),
    };
    Ok(Value::Array(items(&rows).iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r.clone()).collect()))
}

/// For each text, whether it is kept: no earlier kept text has n-gram Jaccard >= threshold with it.
pub fn near_unique(texts: &[String], n: usize, threshold: f64) -> Vec<bool> {
    let rows_per_band = if threshold >= 0.6 { 4 } else if threshold >= 0.3 { 2 } else { 1 };
    let mut buckets: HashMap<(usize, u64), Vec<usize>> = HashMap::new();
    let mut kept_sets: Vec<HashSet<u64>> = Vec::new();
    let mut keep = Vec::with_capacity(texts.len());
    for text in texts {
        let set = shingles(text, n);
        let sig = signature(&set);
        let bands: Vec<(usize, u64)> = sig.chunks(rows_per_band).enumerate().map(|(b, rows)| (b, fnv(rows.iter().flat_map(|x| x.to_le_bytes())))).collect();
        let mut candidates: Vec<usize> = bands.iter().filter_map(|b| buckets.get(b)).flatten().copied().collect();
        candidates.sort_unstable();
        candidates.dedup();
        let duplicate = candidates.iter().any(|c| jaccard(&kept_sets[*c], &set) >= threshold);
        keep.push(!duplicate);
        if !duplicate {
            for b in bands {
                buckets.entry(b).or_default().push(kept_sets.len());
            }
            kept_sets.push(set);
        }
    }
    keep
}

/// Hashes of the character n-grams of the lower-cased, whitespace-collapsed text.
pub fn shingles(text: &str, n: usize) -> HashSet<u64> {
    let norm: Vec<char> = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().chars().collect();
    if norm.len() <= n {
        return HashSet::from([fnv(norm.iter().collect::<String>().bytes())]);
    }
    norm.windows(n).map(|w| fnv(w.iter().collect::<String>().bytes())).collect()
}

pub fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 { 1.0 } else { inter as f64 / union as f64 }
}

/// MinHash with the permutations `h -> a_k * h + b_k` (odd `a_k`), over well-mixed shingle hashes.
fn signature(set: &HashSet<u64>) -> Vec<u64> {
    let mut sig = vec![u64::MAX; PERMUTATIONS];
    for h in set {
        let h = mix(*h);
        for (k, slot) in sig.iter_mut().enumerate() {
            let (a, b) = PERMUTATION_PARAMS[k];
            *slot = (*slot).min(a.wrapping_mul(h).wrapping_add(b));
        }
    }
    sig
}

const PERMUTATION_PARAMS: [(u64, u64); PERMUTATIONS] = {
    let mut out = [(0u64, 0u64); PERMUTATIONS];
    let mut k = 0;
    while k < PERMUTATIONS {
        let x = (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        out[k] = (x | 1, x.rotate_left(29) ^ 0xD6E8_FEB8_6659_FD93);
        k += 1;
    }
    out
};

fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brute-force definition: keep a text unless an earlier kept one is similar enough.
    fn brute(texts: &[String], n: usize, t: f64) -> Vec<bool> {
        let sets: Vec<_> = texts.iter().map(|x| shingles(x, n)).collect();
        let mut kept: Vec<usize> = vec![];
        sets.iter().enumerate().map(|(i, s)| {
            let dup = kept.iter().any(|k| jaccard(&sets[*k], s) >= t);
            if !dup { kept.push(i); }
            !dup
        }).collect()
    }

    #[test]
    fn near_duplicates_match_the_brute_force_definition() {
        let base = ["the capital of france is paris", "two plus two is four", "water boils at one hundred degrees celsius", "rust is a systems programming language"];
        let mut texts = Vec::new();
        for (i, b) in base.iter().enumerate() {
            texts.push(b.to_string());
            texts.push(format!("{b}!"));
            texts.push(b.to_uppercase());
            texts.push(format!("{b} and more words added {i}"));
        }
        for t in [0.3, 0.5, 0.8, 0.95] {
            assert_eq!(near_unique(&texts, 3, t), brute(&texts, 3, t), "threshold {t}");
        }
        let keep = near_unique(&texts, 3, 0.8);
        assert_eq!(keep.iter().filter(|k| **k).count(), 8, "case and a trailing `!` are near-duplicates; the long variants are not");
    }
}
