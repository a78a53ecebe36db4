//! Process-verifier labels. `split_steps` cuts completions into step prefixes; `commcs` combines
//! each step's Monte-Carlo value with the next step's (ComMCS, two terms, unbiased): fixed weights
//! (c, 1 - c) or inverse-variance weights from A_n = V̂_n(1 - V̂_n)/N_n and
//! A_n+1 = V̂_n+1(1 - V̂_n+1)/N_n+1 + transition_var; the last step keeps its value.
//! `binomial_target` adds a target histogram over k + 1 atoms (histogram kernel); `best_of_n`
//! keeps, per problem, the final step of the solution whose step values aggregate best.

use super::{Ctx, Output, StageError, group_by_key, items, with_field};
use crate::data::Value;
use pipec_compute::kernels::histogram::{self, Target};
use serde_json::json;

pub fn split_steps(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let sep = match ctx.value("sep")? {
        Some(Value::String(s)) if !s.is_empty() => s,
        None => "\n\n".to_string(),
        _ => return Err(StageError::Message("`sep` must be a non-empty string".into())),
    };
    let mut out = Vec::new();
    for sample in items(&rows) {
        let completion = sample.get("completion").and_then(Value::as_str).unwrap_or_default();
        let steps: Vec<&str> = completion.split(sep.as_str()).map(str::trim).filter(|s| !s.is_empty()).collect();
        for i in 1..=steps.len() {
            out.push(json!({
                "id": sample.get("id"), "solution": completion, "step": i, "steps": steps.len(),
                "prefix": steps[..i].join(&sep), "input": sample.get("input"),
            }));
        }
    }
    Ok(Value::Array(out))
}

/// Inverse-variance two-term weights (c_n, c_n+1) and the combined variance, from the two terms'
/// variances; equal weights when both are 0.
pub fn two_term_weights(a_n: f64, a_next: f64) -> (f64, f64, f64) {
    if a_n + a_next <= 0.0 {
        return (0.5, 0.5, 0.0);
    }
    (a_next / (a_n + a_next), a_n / (a_n + a_next), a_n * a_next / (a_n + a_next))
}

fn field(v: &Value, name: &str) -> f64 {
    v.get(name).and_then(Value::as_f64).unwrap_or(0.0)
}

pub fn commcs(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let fixed = ctx.symbol("weights", "inverse_variance") == "fixed";
    let (c, extra) = (ctx.float("c", 0.5)?, ctx.float("transition_var", 0.0)?);
    if !(0.0..=1.0).contains(&c) || extra < 0.0 {
        return Err(StageError::Message(format!("c = {c} must lie in [0, 1] and transition_var = {extra} must not be negative")));
    }
    let by_solution = |r: &Value| format!("{}|{}", r.get("id").unwrap_or(&Value::Null), r.get("input").unwrap_or(&Value::Null));
    let mut out = rows.to_vec();
    for (_, mut members) in group_by_key(rows.iter().map(by_solution)) {
        members.sort_by_key(|&i| field(&rows[i], "step") as i64);
        for w in members.windows(2) {
            let (now, next) = (&rows[w[0]], &rows[w[1]]);
            let (v, v_next) = (field(now, "value"), field(next, "value"));
            let (c_n, c_next) = if fixed {
                (c, 1.0 - c)
            } else {
                let var = |v: f64, n: f64| if n > 0.0 { v * (1.0 - v) / n } else { 0.0 };
                let (c_n, c_next, _) = two_term_weights(var(v, field(now, "rollouts")), var(v_next, field(next, "rollouts")) + extra);
                (c_n, c_next)
            };
            if let Some(m) = out[w[0]].as_object_mut() {
                m.insert("value".into(), Value::from(c_n * v + c_next * v_next));
            }
        }
    }
    Ok(Value::Array(out))
}

pub fn binomial_target(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let k = ctx.int("k", 8)?;
    if !(1..=1024).contains(&k) {
        return Err(StageError::Message(format!("k = {k}: between 1 and 1024 atoms minus one")));
    }
    let kind = match ctx.symbol("prior", "binomial").as_str() {
        "onehot" => Target::OneHot,
        "twohot" => Target::TwoHot,
        "gaussian" => Target::Gaussian { sigma: ctx.float("sigma", 0.1)? as f32 },
        _ => Target::Binomial,
    };
    let values: Vec<f32> = rows.iter().map(|r| field(r, "value") as f32).collect();
    let backend = ctx.backend()?;
    let hist = histogram::targets(backend, &values, k as u32, kind).map_err(StageError::Message)?;
    let width = k as usize + 1;
    Ok(Value::Array(rows.iter().enumerate().map(|(i, r)| with_field(r, "target", Value::from(hist[i * width..(i + 1) * width].iter().map(|q| *q as f64).collect::<Vec<f64>>()))).collect()))
}

pub fn best_of_n(ctx: &Ctx) -> Output {
    let rows = ctx.rows("input")?;
    let rows = items(&rows);
    let aggregate = ctx.symbol("aggregate", "min");
    let text = |r: &Value, f: &str| r.get(f).unwrap_or(&Value::Null).to_string();
    let mut out = Vec::new();
    // Problems (the wrapped input), then each problem's solutions (by id), in order of first appearance.
    for (_, members) in group_by_key(rows.iter().map(|r| text(r, "input"))) {
        let solutions = group_by_key(members.iter().map(|&i| text(&rows[i], "id")));
        let scored = solutions.into_iter().map(|(_, positions)| {
            let mut steps: Vec<usize> = positions.iter().map(|&k| members[k]).collect();
            steps.sort_by_key(|&i| field(&rows[i], "step") as i64);
            let values: Vec<f64> = steps.iter().map(|&i| field(&rows[i], "value")).collect();
            let score = match aggregate.as_str() {
                "last" => values.last().copied().unwrap_or(0.0),
                "product" => values.iter().product(),
                _ => values.iter().copied().fold(f64::INFINITY, f64::min),
            };
            (score, steps)
        });
        // The first solution wins ties.
        if let Some((score, steps)) = scored.fold(None, |best: Option<(f64, Vec<usize>)>, s| match best {
            Some(b) if b.0 >= s.0 => Some(b),
            _ => Some(s),
        }) && let Some(&last) = steps.last()
        {
            out.push(with_field(&rows[last], "value", Value::from(score)));
        }
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    //! ComMCS weights against methods.md §11.2 #2 and #3, and the estimator on 10,000 simulated
    //! binomial trajectories: unbiased, with the variance the formula predicts.
    use super::two_term_weights;
    use crate::stages::rng::Rng;

    #[test]
    fn hand_computed_weights() {
        let a_n = 0.5 * 0.5 / 8.0;
        assert!((a_n - 0.03125f64).abs() < 1e-12, "MC variance V(1-V)/N");
        let (c_n, c_next, var) = two_term_weights(a_n, a_n + 0.01);
        for (got, want) in [(c_n, 0.568966), (c_next, 0.431034), (var, 0.0177802)] {
            assert!((got - want).abs() / want < 1e-5, "{got} vs {want}");
        }
        // Equal weights give 0.018125: worse than inverse variance.
        assert!((0.25 * a_n + 0.25 * (a_n + 0.01) - 0.018125f64).abs() < 1e-12);
    }

    /// Successes of `n` Bernoulli(p) draws.
    fn binomial(rng: &mut Rng, n: usize, p: f64) -> f64 {
        (0..n).filter(|_| rng.next_f64() < p).count() as f64
    }

    #[test]
    fn compound_estimate_is_unbiased_and_its_variance_falls_as_predicted() {
        // V(s_n) = 0.5; the next step's value is 0.4 or 0.6 with equal chance (mean 0.5, spread
        // Var[V_n+1 | s_n] = 0.01); N = 8 rollouts at each step; 10,000 trajectories.
        let (v, n, trials, spread) = (0.5, 8, 10_000, 0.01);
        let mut rng = Rng::new(42);
        let a_n = v * (1.0 - v) / n as f64;
        let a_next = (0.4 * 0.6) / n as f64 + spread;
        let (c_n, c_next, predicted) = two_term_weights(a_n, a_next);
        let (mut plain, mut compound) = (Vec::with_capacity(trials), Vec::with_capacity(trials));
        for _ in 0..trials {
            let v_next = if rng.next_u64().is_multiple_of(2) { 0.4 } else { 0.6 };
            let (here, next) = (binomial(&mut rng, n, v) / n as f64, binomial(&mut rng, n, v_next) / n as f64);
            plain.push(here);
            compound.push(c_n * here + c_next * next);
        }
        let stats = |xs: &[f64]| {
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            (m, xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64)
        };
        let ((m_plain, var_plain), (m_comp, var_comp)) = (stats(&plain), stats(&compound));
        // Unbiased: within 4 standard errors of V.
        assert!((m_comp - v).abs() < 4.0 * (var_comp / trials as f64).sqrt(), "mean {m_comp}");
        assert!((m_plain - v).abs() < 4.0 * (var_plain / trials as f64).sqrt(), "mean {m_plain}");
        // Variances match V(1-V)/N and the compound formula within sampling error (the sample
        // variance of 10,000 draws has a relative standard error of about 1.4%; allow 6%).
        assert!((var_plain / a_n - 1.0).abs() < 0.06, "plain variance {var_plain} vs {a_n}");
        assert!((var_comp / predicted - 1.0).abs() < 0.06, "compound variance {var_comp} vs {predicted}");
        assert!(var_comp < var_plain);
    }
}
