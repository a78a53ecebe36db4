//! Sparse retrieval: an own inverted index with Lucene's BM25 (the variant bm25s calls `lucene`).
//! Text is lower-cased and split into runs of letters and digits of two or more characters, less
//! Lucene's 33 English stop words. Each posting stores its finished term weight
//! `idf · tf / (tf + k1 · (1 − b + b · dl / avgdl))` with `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`,
//! so a query is a sum over the postings of its distinct terms and a partial sort.

use std::collections::HashMap;

/// Lucene's `EnglishAnalyzer` stop set.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
];

/// The terms of `text`, in order (repeats kept).
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    lower.split(|c: char| !c.is_alphanumeric()).filter(|t| t.chars().nth(1).is_some() && !STOP_WORDS.contains(t)).map(str::to_string).collect()
}

/// An index over a fixed list of texts (unit `i` is the `i`-th text).
pub struct Bm25 {
    vocab: HashMap<String, u32>,
    /// Per term: (unit, weight), units ascending.
    postings: Vec<Vec<(u32, f64)>>,
    units: usize,
}

impl Bm25 {
    /// Index already tokenized texts with parameters `k1` and `b`.
    pub fn from_tokens(docs: &[Vec<String>], k1: f64, b: f64) -> Bm25 {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut counts: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut lengths = Vec::with_capacity(docs.len());
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for (d, tokens) in docs.iter().enumerate() {
            lengths.push(tokens.len() as f64);
            tf.clear();
            for t in tokens {
                let next = vocab.len() as u32;
                let id = *vocab.entry(t.clone()).or_insert(next);
                if id as usize == counts.len() {
                    counts.push(Vec::new());
                }
                *tf.entry(id).or_insert(0) += 1;
            }
            for (&term, &n) in &tf {
                counts[term as usize].push((d as u32, n));
            }
        }
        let n = docs.len() as f64;
        let avgdl = if docs.is_empty() { 1.0 } else { (lengths.iter().sum::<f64>() / n).max(f64::MIN_POSITIVE) };
        let postings = counts
            .into_iter()
            .map(|mut list| {
                list.sort_unstable_by_key(|p| p.0);
                let df = list.len() as f64;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                list.into_iter()
                    .map(|(d, tf)| {
                        let tf = tf as f64;
                        let norm = k1 * (1.0 - b + b * lengths[d as usize] / avgdl);
                        (d, idf * tf / (tf + norm))
                    })
                    .collect()
            })
            .collect();
        Bm25 { vocab, postings, units: docs.len() }
    }

    /// Index raw texts.
    pub fn new(texts: &[&str], k1: f64, b: f64) -> Bm25 {
        let tokens: Vec<Vec<String>> = texts.iter().map(|t| tokenize(t)).collect();
        Bm25::from_tokens(&tokens, k1, b)
    }

    pub fn len(&self) -> usize {
        self.units
    }

    pub fn is_empty(&self) -> bool {
        self.units == 0
    }

    /// Every unit's score for the distinct terms of `query` (terms the index lacks add nothing).
    pub fn scores(&self, query: &[String]) -> Vec<f64> {
        let mut scores = vec![0.0f64; self.units];
        let mut seen: Vec<u32> = query.iter().filter_map(|t| self.vocab.get(t).copied()).collect();
        seen.sort_unstable();
        seen.dedup();
        for term in seen {
            for &(d, w) in &self.postings[term as usize] {
                scores[d as usize] += w;
            }
        }
        scores
    }

    /// The `top` best units for `query` as (unit, score), best first; ties go to the earlier unit.
    /// Units that share no term with the query are left out.
    pub fn search(&self, query: &str, top: usize) -> Vec<(usize, f64)> {
        let scores = self.scores(&tokenize(query));
        best(&scores, top)
    }
}

/// The `top` largest positive scores as (position, score), best first, earlier position on ties.
pub fn best(scores: &[f64], top: usize) -> Vec<(usize, f64)> {
    let mut hits: Vec<(usize, f64)> = scores.iter().copied().enumerate().filter(|(_, s)| *s > 0.0).collect();
    let order = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if hits.len() > top && top > 0 {
        hits.select_nth_unstable_by(top - 1, order);
        hits.truncate(top);
    }
    hits.sort_by(order);
    hits.truncate(top);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercase_words_of_two_or_more_without_stop_words() {
        assert_eq!(tokenize("The Gold card's fee is $0, a 2x rate; état"), ["gold", "card", "fee", "2x", "rate", "état"]);
    }

    /// Scores checked by hand: N = 3, avgdl = 3, k1 = 1.2, b = 0.75.
    /// "gold" is in docs 0 and 1 (df 2): idf = ln(1 + 1.5 / 2.5) = ln 1.6.
    /// doc 0 = [gold, card, fee], dl 3: norm = 1.2; weight = ln 1.6 · 1 / 2.2 = 0.213636.
    /// doc 1 = [gold, gold, rewards, card], dl 4: norm = 1.2 · (0.25 + 0.75 · 4/3) = 1.5;
    /// weight = ln 1.6 · 2 / 3.5 = 0.268571. doc 2 = [silver, fee] has no "gold".
    #[test]
    fn scores_match_the_lucene_formula_by_hand() {
        let index = Bm25::new(&["gold card fee", "gold gold rewards card", "silver fee"], 1.2, 0.75);
        let ln16 = 1.6f64.ln();
        let hits = index.search("Gold", 10);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].0, 1);
        assert!((hits[0].1 - ln16 * 2.0 / 3.5).abs() < 1e-12, "{hits:?}");
        assert!((hits[1].1 - ln16 / 2.2).abs() < 1e-12, "{hits:?}");
        // A repeated query term counts once; an unknown one adds nothing.
        assert_eq!(index.search("gold gold zebra", 10), hits);
        assert!(index.search("zebra", 10).is_empty());
    }

    #[test]
    fn top_keeps_the_best_and_breaks_ties_by_position() {
        assert_eq!(best(&[0.5, 2.0, 0.5, 0.0, 1.0], 3), [(1, 2.0), (4, 1.0), (0, 0.5)]);
        assert_eq!(best(&[1.0, 1.0], 5), [(0, 1.0), (1, 1.0)]);
    }
}
