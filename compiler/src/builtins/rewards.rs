//! Reward, value-estimation and metric builtins.

use super::{Builtin, Resource, TypeRule, builtin};

pub const BUILTINS: &[Builtin] = &[
    builtin("score", "score(input: [T], reward: Reward) -> [T]", "Evaluate a reward per record; adds a float field named after the reward (and one per term in metrics).", "rollouts |> score(gra)").stage().on(Resource::Compute).rule(TypeRule::Score),
    builtin("advantages", "advantages(input: [T], group: fn(T) -> K, reward: fn(T) -> float?, method: grpo|rloo = grpo, eps: float = 0.000001) -> [T]", "Group-normalised advantages: GRPO z-score or RLOO leave-one-out baseline; adds `advantage: float`.", "scored |> advantages(group: .task.id, reward: .gra)").stage().on(Resource::Compute).rule(TypeRule::Extend("advantage", "float")),
    builtin("sum", "sum(values: [float]) -> float", "Sum of values.", "sum(format)"),
    builtin("mean", "mean(values: [float]) -> float", "Arithmetic mean (0 for an empty list).", "mean(scored.gra)"),
    builtin("std", "std(values: [float]) -> float", "Population standard deviation.", "std(scored.gra)"),
    builtin("max", "max(values: [float]) -> float", "Largest value.", "max(step_values)"),
    builtin("min", "min(values: [float]) -> float", "Smallest value.", "min(step_values)"),
    builtin("discounted", "discounted(values: [float], gamma: float = 1.0) -> float", "Discounted sum: sum of gamma^t * r_t.", "discounted(format, gamma: 0.99)"),
    builtin("split_steps", "split_steps(input: [Sample<T>], sep: str = \"\\n\\n\") -> [StepPrefix<T>]", "Cut each completion into steps; one record per step prefix.", r#"samples |> split_steps("\n\n")"#).stage(),
    builtin("mc_value", "mc_value(input: [StepPrefix<T>], model: Model, rollouts: int = 8, check: fn(T, str) -> Verdict, question: fn(T) -> str, max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> [StepValue<T>]", "Monte-Carlo value of each step prefix: N continuations checked by a verifier (value = passes / N).", "steps |> mc_value(tiny, rollouts: 8, check: answer_ok)").stage().on(Resource::Model),
    builtin("commcs", "commcs(input: [StepValue<T>], weights: fixed|inverse_variance = inverse_variance, c: float = 0.5, transition_var: float = 0.0) -> [StepValue<T>]", "ComMCS: combine each step's MC value with the next step's (two-term, unbiased, lower variance); `c` is the current step's weight when fixed; inverse-variance weights add `transition_var` (Var[V(s_n+1) | s_n]) to the next step's sampling variance.", "values |> commcs(weights: inverse_variance)").stage().on(Resource::Compute),
    builtin("binomial_target", "binomial_target(input: [StepValue<T>], k: int, prior: binomial|onehot|twohot|gaussian = binomial, sigma: float = 0.1) -> [StepValue<T>]", "Target histogram over k+1 atoms (structural prior); adds `target: [float]`.", "values |> binomial_target(k: 8)").stage().on(Resource::Compute).rule(TypeRule::Extend("target", "[float]")),
    builtin("best_of_n", "best_of_n(input: [StepValue<T>], aggregate: min|last|product = min) -> [StepValue<T>]", "Pick the best solution per problem by aggregated step values.", "values |> best_of_n(aggregate: min)").stage().on(Resource::Compute),
    builtin("completion_rate", "completion_rate(input: [Trajectory<T>]) -> float", "Fraction of trajectories that submitted.", "report completion_rate(rollouts)"),
    builtin("modification_rate", "modification_rate(input: [Trajectory<T>]) -> float", "Fraction of trajectories that changed the repository before submitting.", "report modification_rate(rollouts)"),
    builtin("resolution_rate", "resolution_rate(input: [T], resolved: fn(T) -> bool) -> float", "Fraction of records resolved (e.g. tests pass).", "report resolution_rate(verified, resolved: .verdict.passed)"),
];
