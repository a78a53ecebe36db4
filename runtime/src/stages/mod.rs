//! Node executors: a Plan node + its inputs' outputs -> its output value. One function per
//! builtin, looked up by name; the scheduler decides when they run, never what they do.

mod alignment;
mod batches;
mod certify;
mod dedup;
mod evidence;
mod funnel;
mod generate;
mod io;
mod kalm;
mod layouts;
mod passages;
mod per_record;
mod pica;
mod preferences;
mod records;
mod retrieval;
mod rewards;
mod rollout;
mod soup;
mod values;
mod verify;
pub mod rng;

use crate::data::jsonl::ReadErrors;
use crate::data::{Value, validate::describe};
use crate::eval::{EvalError, Evaluator, Val};
use pipec_compiler::ast::{Expr, ExprKind};
use pipec_compiler::plan::{ArgValue, Node, Plan};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use io::{io_paths, node_dir, shown, write_sink};
pub use soup::save_sink;

/// Where a run reads relative paths from and writes its files to.
#[derive(Debug, Clone)]
pub struct RunEnv {
    /// The folder relative `.pipe` names (and so their data paths) are resolved against.
    pub workdir: PathBuf,
    /// `<run folder>/outputs`: where sinks write.
    pub outputs: PathBuf,
    /// Same file system as `outputs` and the cache: temporary files of atomic writes.
    pub scratch: PathBuf,
    /// Where verifiers run their commands.
    pub sandbox: Arc<crate::sandbox::Client>,
    /// How many verifications one `verify` node may run at once.
    pub sandbox_slots: usize,
    /// Where kernels run.
    pub compute: Arc<crate::compute::Compute>,
    /// `<cache>/blobs`: large node outputs (soup checkpoints), named by content hash.
    pub blobs: PathBuf,
    /// Model endpoints (requests cached under `<cache>/requests`).
    pub models: Arc<crate::models::Models>,
}

/// Why a node failed.
#[derive(Debug)]
pub enum StageError {
    /// An expression failed (at its own span).
    Eval(EvalError),
    /// Input records did not match the declared schema.
    Data(ReadErrors),
    /// Anything else, said at the node's own line.
    Message(String),
}

impl From<EvalError> for StageError {
    fn from(e: EvalError) -> Self {
        StageError::Eval(e)
    }
}

impl From<String> for StageError {
    fn from(m: String) -> Self {
        StageError::Message(m)
    }
}

impl From<&str> for StageError {
    fn from(m: &str) -> Self {
        StageError::Message(m.to_string())
    }
}

pub type Output = Result<Value, StageError>;
type Exec = fn(&Ctx) -> Output;

/// The executor for a builtin, if this build can run it.
pub fn executor(builtin: &str) -> Option<Exec> {
    Some(match builtin {
        "jsonl" => io::jsonl,
        "parquet" => io::parquet,
        "const" => io::constant,
        "write" => io::write,
        "report" => io::report,
        "filter" => records::filter,
        "map" => records::map,
        "select" => records::select,
        "subsample" => records::subsample,
        "split" => records::split,
        "join" => records::join,
        "group" => records::group,
        "declassify" => records::declassify,
        "dedup" => dedup::dedup,
        "batches" => batches::batches,
        "verify" => verify::verify,
        "certify" => certify::certify,
        "soup" => soup::soup,
        "sample" => generate::sample,
        "mc_value" => generate::mc_value,
        "embed" => retrieval::embed,
        "search" => retrieval::search,
        "rank_consistent" => kalm::rank_consistent,
        "hard_negatives" => kalm::hard_negatives,
        "focal_weights" => kalm::focal_weights,
        "mix_negatives" => kalm::mix_negatives,
        "evidence_scores" => evidence::evidence_scores,
        "to_flag_embedding" => layouts::to_flag_embedding,
        "to_sentence_transformers" => layouts::to_sentence_transformers,
        "unbatch" => layouts::unbatch,
        "corpus" => passages::corpus,
        "documents" => passages::documents,
        "retrieve" => funnel::retrieve,
        "chunk" => passages::chunk,
        "aggregate" => passages::aggregate,
        "score" => rewards::score,
        "advantages" => rewards::advantages,
        "split_steps" => values::split_steps,
        "commcs" => values::commcs,
        "binomial_target" => values::binomial_target,
        "best_of_n" => values::best_of_n,
        "pairs" => preferences::pairs,
        "lpo_pairs" => preferences::lpo_pairs,
        "dpo_loss" => preferences::dpo_loss,
        "logprobs" => generate::logprobs,
        "pair_logprobs" => alignment::pair_logprobs,
        "boundary" => alignment::boundary,
        "choose" => alignment::choose,
        "slic_loss" => preferences::slic_loss,
        "cov_weights" => preferences::cov_weights,
        "save" => soup::save,
        "rollout" => rollout::rollout,
        "pica" => pica::pica,
        _ => return None,
    })
}

/// Run one node: its output, and the host files it read while running (path -> content digest).
pub fn execute(plan: &Plan, node: &Node, inputs: &HashMap<String, Arc<Value>>, env: &RunEnv) -> Result<(Value, std::collections::BTreeMap<String, String>), StageError> {
    let exec = executor(&node.builtin).ok_or_else(|| StageError::Message(format!("`{}` cannot run in this build of pipec", node.builtin)))?;
    let eval = Evaluator::for_node(plan, node, inputs).with_sandbox(env.sandbox.clone(), io::node_dir(env, node));
    let ctx = Ctx { eval, plan, node, inputs, env };
    let value = exec(&ctx)?;
    Ok((value, ctx.eval.files_read()))
}

/// What an executor sees: its node, its inputs, an evaluator for its expressions, the run's paths.
pub struct Ctx<'a> {
    pub eval: Evaluator<'a>,
    pub plan: &'a Plan,
    pub node: &'a Node,
    pub inputs: &'a HashMap<String, Arc<Value>>,
    pub env: &'a RunEnv,
}

impl<'a> Ctx<'a> {
    fn expr(&self, arg: &str) -> Option<&'a Expr> {
        match self.node.args.get(arg)? {
            ArgValue::Expr { ast, .. } => Some(ast),
            ArgValue::Input { .. } => None,
        }
    }

    /// An argument's value: another node's output or an evaluated expression.
    fn value(&self, arg: &str) -> Result<Option<Value>, StageError> {
        match self.node.args.get(arg) {
            None => Ok(None),
            Some(ArgValue::Input { node }) => Ok(Some(self.output(node)?.as_ref().clone())),
            Some(ArgValue::Expr { ast, .. }) => Ok(Some(self.eval.value(ast)?)),
        }
    }

    fn output(&self, node: &str) -> Result<&Arc<Value>, StageError> {
        self.inputs.get(node).ok_or_else(|| StageError::Message(format!("the output of `{node}` is not available")))
    }

    /// A list argument (`input`, `left`, ...), borrowed from the producing node where possible.
    fn rows(&self, arg: &str) -> Result<Arc<Value>, StageError> {
        let v = match self.node.args.get(arg) {
            Some(ArgValue::Input { node }) => self.output(node)?.clone(),
            _ => Arc::new(self.value(arg)?.ok_or_else(|| StageError::Message(format!("argument `{arg}` is missing")))?),
        };
        if v.is_array() { Ok(v) } else { Err(StageError::Message(format!("argument `{arg}` should be a list, found {}", describe(&v)))) }
    }

    fn int(&self, arg: &str, default: i64) -> Result<i64, StageError> {
        match self.value(arg)? {
            None => Ok(default),
            Some(v) => v.as_i64().ok_or_else(|| StageError::Message(format!("argument `{arg}` should be an integer, found {}", describe(&v)))),
        }
    }

    fn float(&self, arg: &str, default: f64) -> Result<f64, StageError> {
        match self.value(arg)? {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| StageError::Message(format!("argument `{arg}` should be a number, found {}", describe(&v)))),
        }
    }

    fn string(&self, arg: &str) -> Result<String, StageError> {
        match self.value(arg)? {
            Some(Value::String(s)) => Ok(s),
            other => Err(StageError::Message(format!("argument `{arg}` should be a string, found {}", other.as_ref().map_or("nothing".into(), describe)))),
        }
    }

    /// A bare-word option such as `method: ngram`.
    fn symbol(&self, arg: &str, default: &'static str) -> String {
        match self.expr(arg).map(|e| &e.kind) {
            Some(ExprKind::Name(n)) => n.name.clone(),
            _ => default.to_string(),
        }
    }

    /// A function argument, called once per record through `apply`.
    fn function(&self, arg: &str) -> Result<Option<(Val, pipec_compiler::source::Span)>, StageError> {
        match self.expr(arg) {
            None => Ok(None),
            Some(e) => Ok(Some((self.eval.function(e)?, e.span))),
        }
    }

    fn required_function(&self, arg: &str) -> Result<(Val, pipec_compiler::source::Span), StageError> {
        self.function(arg)?.ok_or_else(|| StageError::Message(format!("argument `{arg}` is missing")))
    }

    /// The text of each record: the function argument `arg` applied to it, else its `text` field;
    /// `what` names a record in errors ("record", "corpus record").
    fn texts(&self, arg: &str, rows: &[Value], what: &str) -> Result<Vec<String>, StageError> {
        let f = self.function(arg)?;
        rows.iter().enumerate().map(|(i, row)| {
            let t = match &f {
                Some(f) => self.apply(f, row)?,
                None => row.get("text").cloned().unwrap_or(Value::Null),
            };
            match t {
                Value::String(t) => Ok(t),
                t => Err(StageError::Message(format!("{what} {i}: its text is {t}, not a string (give `{arg}: .field`)"))),
            }
        }).collect()
    }

    /// The compute backend (opened on first use).
    fn backend(&self) -> Result<&pipec_compute::Backend, StageError> {
        self.env.compute.backend().map_err(StageError::Message)
    }

    /// The model named by the `model` argument, and its endpoint.
    fn endpoint(&self) -> Result<(String, crate::models::Endpoint), StageError> {
        self.model_arg("model")
    }

    /// The model named by argument `arg`, and its endpoint.
    fn model_arg(&self, arg: &str) -> Result<(String, crate::models::Endpoint), StageError> {
        let Some(ExprKind::Name(model)) = self.expr(arg).map(|e| &e.kind) else { return Err(StageError::Message(format!("`{}` needs a model by name for `{arg}`", self.node.builtin))) };
        let endpoint = crate::models::endpoint(&self.eval, &model.name, &io::node_dir(self.env, self.node)).map_err(StageError::Message)?;
        Ok((model.name.clone(), endpoint))
    }

    fn client(&self) -> Result<&crate::models::client::Client, StageError> {
        self.env.models.client().map_err(StageError::Message)
    }

    /// This node's folder under the run folder's `logs/`.
    fn log_dir(&self) -> Option<PathBuf> {
        self.env.outputs.parent().map(|run| run.join("logs").join(self.node.id.replace(['#', '/', '[', ']', ','], "_")))
    }

    /// Records grouped by the function argument `arg` (keys in order of first appearance): each
    /// key (strings as they are, other values as JSON) with its records' indices.
    fn groups(&self, arg: &str, rows: &[Value]) -> Result<Vec<(String, Vec<usize>)>, StageError> {
        let f = self.required_function(arg)?;
        let keys = rows.iter().map(|row| records::key_text(self, &f, row)).collect::<Result<Vec<_>, _>>()?;
        Ok(group_by_key(keys))
    }

    fn apply(&self, f: &(Val, pipec_compiler::source::Span), row: &Value) -> Result<Value, StageError> {
        Ok(self.eval.call(&f.0, vec![row.clone()], f.1)?)
    }
}

/// Positions grouped by their key, keys in order of first appearance.
pub fn group_by_key(keys: impl IntoIterator<Item = String>) -> Vec<(String, Vec<usize>)> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        let g = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(i);
    }
    groups
}

/// `row` with one field set (a stage adding `verdict`, `loss`, `embedding`, ...).
pub fn with_field(row: &Value, name: &str, value: Value) -> Value {
    let mut row = row.clone();
    if let Some(m) = row.as_object_mut() {
        m.insert(name.to_string(), value);
    }
    row
}

/// A record's `id` as text (strings as they are, other values as JSON), else its position.
pub fn record_id(row: &Value, position: usize) -> String {
    match row.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => position.to_string(),
    }
}

/// The records of a list value (empty for anything else; `Ctx::rows` has already checked).
pub fn items(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}
