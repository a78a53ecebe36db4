//! A seeded, portable random number generator (SplitMix64): the same seed gives the same sample,
//! split and batches on every machine and in every version of pipec.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: i64) -> Self {
        Rng(seed as u64 ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Standard normal (Box-Muller; one of the pair is dropped, which keeps the stream simple).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.next_f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.next_f64()).cos()
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 through the `U^(1/shape)` boost.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * (1.0 - self.next_f64()).powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && (1.0 - self.next_f64()).ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        x / (x + self.gamma(b))
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_same_seed_gives_the_same_stream_and_shuffles_are_permutations() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
        let mut v: Vec<usize> = (0..100).collect();
        Rng::new(1).shuffle(&mut v);
        assert_ne!(v, (0..100).collect::<Vec<_>>());
        v.sort();
        assert_eq!(v, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn beta_draws_have_the_beta_mean_and_variance() {
        // Beta(2, 2): mean 1/2, variance ab / ((a+b)^2 (a+b+1)) = 1/20; Beta(0.5, 3): mean 1/7.
        for (a, b) in [(2.0, 2.0), (0.5, 3.0)] {
            let mut rng = Rng::new(3);
            let xs: Vec<f64> = (0..200_000).map(|_| rng.beta(a, b)).collect();
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
            let (m, v) = (a / (a + b), a * b / ((a + b).powi(2) * (a + b + 1.0)));
            assert!((mean - m).abs() < 4.0 * (v / xs.len() as f64).sqrt(), "Beta({a}, {b}) mean {mean}, expected {m}");
            assert!((var - v).abs() / v < 0.02, "Beta({a}, {b}) variance {var}, expected {v}");
            assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
        }
    }
}
