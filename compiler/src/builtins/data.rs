//! Data builtins: sources, sinks, record transforms and scalar helpers.

use super::{Builtin, Effect, TypeRule, builtin};

pub const BUILTINS: &[Builtin] = &[
    builtin("jsonl", "jsonl(path: path) -> [T]", "Read JSON Lines; each line is validated against the dataset's schema.", r#"dataset tasks: [Task] = jsonl("data/tasks.jsonl")"#).effect(Effect::Source),
    builtin("parquet", "parquet(path: path) -> [T]", "Read a Parquet file, validating each row against the schema.", r#"dataset rows: [Row] = parquet("data/rows.parquet")"#).effect(Effect::Source),
    builtin("csv", "csv(path: path, delimiter: str = \",\") -> [T]", "Read a CSV file with a header row.", r#"dataset rows: [Row] = csv("data/rows.csv")"#).effect(Effect::Source),
    builtin("write", "write(input: [T], path: path, purpose: train|eval|inspect = train) -> [T]", "Write records as JSONL (atomically); `purpose: train` (the default) makes it a training sink.", r#"clean |> write("out/train.jsonl")"#).effect(Effect::Sink),
    builtin("save", "save(input: Checkpoint, path: path) -> Checkpoint", "Save a checkpoint (safetensors) to a folder, atomically.", r#"soup(["ckpt/a", "ckpt/b"]) |> save("ckpt/soup")"#).effect(Effect::Sink),
    builtin("map", "map(input: [T], f: fn(T) -> U) -> [U]", "Apply a function to every record.", "rows |> map(.text)").stage(),
    builtin("filter", "filter(input: [T], where: fn(T) -> bool) -> [T]", "Keep the records for which the predicate holds.", "rows |> filter(|r| r.score > 0.5)").stage(),
    builtin("select", "select(input: [T], fields: [str]) -> [T]", "Keep only the named fields of each record.", r#"rows |> select(["id", "text"])"#).stage(),
    builtin("dedup", "dedup(input: [T], by: fn(T) -> U, method: exact|ngram = exact, n: int = 3, threshold: float = 0.8) -> [T]", "Drop duplicates: exact keys, or near-duplicates by n-gram Jaccard similarity.", "rows |> dedup(by: .text, method: ngram, threshold: 0.9)").stage(),
    builtin("subsample", "subsample(input: [T], n: int, seed: int = 0) -> [T]", "A seeded uniform sample of n records (all of them when fewer).", "rows |> subsample(n: 100, seed: 7)").stage(),
    builtin("split", "split(input: [T], fraction: float, seed: int = 0) -> Split<T>", "Seeded split into `train` (the fraction) and `test`.", "let parts = rows |> split(0.9)").stage(),
    builtin("join", "join(left: [T], right: [U], on: fn(T) -> K, right_on: fn(U) -> K) -> [T]", "Inner join on equal keys; the result has the fields of both sides.", "a |> join(b, on: .id, right_on: .task_id)").stage().rule(TypeRule::Join),
    builtin("group", "group(input: [T], by: fn(T) -> K) -> [Group<T>]", "Group records by key: one `{key, items}` record per key.", "rows |> group(by: .task)").stage(),
    builtin("batches", "batches(input: [T], size: int, homogeneous: float = 0.0, by: fn(T) -> K?, seed: int = 0) -> [Batch<T>]", "Training batches; `homogeneous: r` keeps a fraction r of each batch single-task (semi-homogeneous sampling).", "triples |> batches(size: 32, homogeneous: 0.5, by: .task)").effect(Effect::Train),
    builtin("unbatch", "unbatch(input: [Batch<T>]) -> [T]", "The records of batches, in batch order (for trainers that read a flat file without shuffling).", "batched |> unbatch() |> write(\"train.jsonl\")").stage(),
    builtin("count", "count(input: [T]) -> int", "Number of records.", "report count(rows)"),
    builtin("len", "len(value: any) -> int", "Length of a string (characters) or a list.", "fn tokens(s: str) -> int = len(words(s))"),
    builtin("words", "words(text: str) -> [str]", "Split text on whitespace.", "len(words(s))"),
    builtin("lower", "lower(text: str) -> str", "Lower-case text.", "lower(r.text)"),
    builtin("contains", "contains(text: str, part: str) -> bool", "Whether text contains part.", "contains(out, \"####\")"),
    builtin("env", "env(name: str) -> str", "An environment variable, read when the run starts (never stored in run folders).", r#"openai(base_url: env("POLICY_URL"), model: "m")"#),
    builtin("declassify", "declassify(input: [T], reason: str) -> [T]", "Explicitly allow evaluation data to reach training sinks; the reason is recorded in the Plan.", r#"eval_rows |> declassify(reason: "held-out split rotated")"#).stage(),
];
