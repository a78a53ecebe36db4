//! Rewards at run time. `score` evaluates a reward for one record (the subject: a trajectory, a
//! sample): an outcome reward binds its parameter to the subject; a step reward is evaluated on
//! each of the subject's `steps` and gives the list of per-step values (`sum(format)` credits
//! them); a composite reward (`outcome + gate(outcome >= 0.0) { sum(format) }`) evaluates its
//! body with every reward it names evaluated on the same subject, each once.

use super::{Evaluator, Locals, Result, Val, fail};
use crate::data::Value;
use pipec_compiler::ast::ItemKind;
use pipec_compiler::source::Span;

/// The local that carries the subject into reward bodies (not a name users can write).
pub(super) const SUBJECT: &str = "$subject";

/// A step reward's list of per-step values as their sum; anything else as it is.
fn summed(v: Value) -> Value {
    match v {
        Value::Array(steps) => Value::from(steps.iter().filter_map(Value::as_f64).sum::<f64>()),
        other => other,
    }
}

impl Evaluator<'_> {
    /// Reward `qualified` (a key of the Plan's definitions) for one record, and the value of every
    /// other reward it named on the way (its terms, by unqualified name); step rewards are summed
    /// over the record's steps in both.
    pub fn score(&self, qualified: &str, record: &Value, span: Span) -> Result<(Value, serde_json::Map<String, Value>)> {
        self.reward_memo.borrow_mut().clear();
        let value = summed(self.reward(qualified, record, span)?);
        // Sorted by name: the memo is a hash map, and outputs must be byte-identical across runs.
        let terms: std::collections::BTreeMap<String, Value> = self.reward_memo.borrow().iter().filter(|(q, _)| q.as_str() != qualified).map(|(q, v)| (q.rsplit(['.', ':']).next().unwrap_or(q).to_string(), summed(v.clone()))).collect();
        Ok((value, terms.into_iter().collect()))
    }

    /// The qualified name of the reward `name` as seen from this node's module.
    pub fn reward_named(&self, name: &str) -> Option<String> {
        let qualified = self.plan.scopes.get(&self.module)?.get(name)?;
        matches!(self.plan.definitions.get(qualified)?.item.kind, ItemKind::Reward(_)).then(|| qualified.clone())
    }

    pub(super) fn reward(&self, qualified: &str, subject: &Value, span: Span) -> Result<Value> {
        if let Some(v) = self.reward_memo.borrow().get(qualified) {
            return Ok(v.clone());
        }
        let Some(def) = self.plan.definitions.get(qualified) else { return fail(span, format!("reward `{qualified}` is not in the plan")) };
        let ItemKind::Reward(r) = &def.item.kind else { return fail(span, format!("`{qualified}` is not a reward")) };
        let module = def.module.clone();
        let with = |extra: Option<(&str, Value)>| -> Locals {
            let mut locals: Locals = vec![(SUBJECT.to_string(), Val::Data(subject.clone()))];
            locals.extend(extra.map(|(n, v)| (n.to_string(), Val::Data(v))));
            locals
        };
        let value = match (r.params.as_deref(), r.level.as_ref().map(|l| l.name.as_str())) {
            (Some([p, ..]), Some("step")) => {
                let Some(Value::Array(steps)) = subject.get("steps") else { return fail(span, format!("step reward `{}` needs records with a `steps` list", r.name.name)) };
                let mut values = Vec::with_capacity(steps.len());
                for step in steps {
                    values.push(self.value_in(&r.body, &mut with(Some((&p.name.name, step.clone()))), &module)?);
                }
                Value::Array(values)
            }
            (Some([p, ..]), _) => self.value_in(&r.body, &mut with(Some((&p.name.name, subject.clone()))), &module)?,
            _ => self.value_in(&r.body, &mut with(None), &module)?,
        };
        self.reward_memo.borrow_mut().insert(qualified.to_string(), value.clone());
        Ok(value)
    }

    /// A reward named inside another reward's body: evaluated on the same subject.
    pub(super) fn reward_in(&self, qualified: &str, name: &str, locals: &Locals, span: Span) -> Result<Val> {
        match locals.iter().rev().find(|(n, _)| n == SUBJECT) {
            Some((_, Val::Data(subject))) => self.reward(qualified, &subject.clone(), span).map(Val::Data),
            _ => fail(span, format!("reward `{name}` has a value only where a record is scored (`score`, or another reward)")),
        }
    }
}
