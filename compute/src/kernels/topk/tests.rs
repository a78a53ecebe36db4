//! Similarity top-k: naga validation, a brute-force reference, exclusions, padding, ties, and
//! GPU vs CPU parity (scores agree; every returned id really has its score; exclusions hold).

use super::{EXCLUDE, Exclude, GEMM, Hits, NONE, SELECT, search};
use crate::backend::Backend;
use crate::kernels::testing::{Rng, assert_close, gpu, validate};

#[test]
fn shaders_validate() {
    for s in [GEMM, EXCLUDE, SELECT] {
        validate(s);
    }
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

/// Every hit's score is its true inner product, rows are sorted, nothing excluded comes back,
/// and the scores equal the brute-force k best.
fn check(hits: &Hits, q: &[f32], x: &[f32], dim: usize, k: usize, exclude: Option<Exclude>, what: &str) {
    let rows = q.len() / dim;
    for r in 0..rows {
        let qr = &q[r * dim..(r + 1) * dim];
        let banned: &[u32] = exclude.map_or(&[], |e| &e.ids[e.offsets[r] as usize..e.offsets[r + 1] as usize]);
        let mut truth: Vec<f64> = (0..x.len() / dim).filter(|i| !banned.contains(&(*i as u32))).map(|i| dot(qr, &x[i * dim..(i + 1) * dim])).collect();
        truth.sort_by(|a, b| b.total_cmp(a));
        truth.truncate(k);
        let got: Vec<(u32, f32)> = hits.row(r).collect();
        assert_eq!(got.len(), truth.len(), "{what}: row {r} has {} hits", got.len());
        for (i, (id, score)) in got.iter().enumerate() {
            assert!(!banned.contains(id), "{what}: row {r} returned excluded id {id}");
            let real = dot(qr, &x[*id as usize * dim..(*id as usize + 1) * dim]);
            assert!((real - *score as f64).abs() < 1e-3, "{what}: row {r} id {id} reported {score}, is {real}");
            assert!((truth[i] - *score as f64).abs() < 1e-3, "{what}: row {r} rank {i}: {score} vs best {}", truth[i]);
        }
    }
}

#[test]
fn cpu_finds_the_brute_force_best() {
    let mut rng = Rng::new(3);
    for (rows, n, dim, k) in [(1, 1, 1, 1), (5, 40, 3, 7), (70, 5000, 16, 10), (3, 10, 4, 20)] {
        let (q, x) = (rng.floats(rows * dim, -1.0, 1.0), rng.floats(n * dim, -1.0, 1.0));
        let hits = search(&Backend::Cpu, &q, &x, dim, k, None).unwrap();
        check(&hits, &q, &x, dim, k, None, "cpu");
    }
}

#[test]
fn exclusions_padding_and_ties() {
    // Four identical index vectors: all tie, so ids come back in increasing order.
    let x = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
    let q = [1.0, 0.0, 0.5, 0.0];
    let exclude = Exclude { offsets: &[0, 2, 2], ids: &[1, 2] };
    let mut backends = vec![Backend::Cpu];
    backends.extend(gpu());
    for b in backends {
        let hits = search(&b, &q, &x, 2, 3, Some(exclude)).unwrap();
        assert_eq!(hits.ids, [0, 3, NONE, 0, 1, 2], "{}", b.describe());
        assert_close(&hits.scores, &[1.0, 1.0, f32::NEG_INFINITY, 0.5, 0.5, 0.5], 0.0, 0.0, "tied scores");
    }
    assert!(search(&Backend::Cpu, &q, &x, 3, 1, None).unwrap_err().contains("columns"));
}

#[test]
fn gpu_matches_cpu_on_random_vectors() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(11);
    // Sizes cross the 64-wide GEMM tiles and the 1,024-wide selection blocks (several passes).
    for (rows, n, dim, k) in [(1, 3, 5, 2), (65, 1500, 33, 10), (130, 70_000, 8, 100), (2, 3000, 16, 512)] {
        let (q, x) = (rng.floats(rows * dim, -1.0, 1.0), rng.floats(n * dim, -1.0, 1.0));
        let offsets: Vec<u32> = (0..=rows as u32).map(|r| r * 2).collect();
        let ids: Vec<u32> = (0..rows * 2).map(|_| rng.below(n as u64) as u32).collect();
        let exclude = Some(Exclude { offsets: &offsets, ids: &ids });
        let (a, b) = (search(&g, &q, &x, dim, k, exclude).unwrap(), search(&Backend::Cpu, &q, &x, dim, k, exclude).unwrap());
        check(&a, &q, &x, dim, k, exclude, "gpu");
        assert_close(&a.scores, &b.scores, 1e-4, 1e-4, &format!("scores {rows}x{n}x{dim} k={k}"));
    }
}
