//! Retrieval builtins: corpora, sparse and dense scorers, rerankers, chunking, metrics.

use super::{Builtin, Resource, TypeRule, builtin};

pub const BUILTINS: &[Builtin] = &[
    builtin("corpus", "corpus(input: [Document], cluster_tokens: int = 4096) -> Corpus", "Index documents into clusters of at most N tokens (FunnelRAG's coarse unit).", "corpus(docs, cluster_tokens: 4096)").stage(),
    builtin("bm25", "bm25(units: [T], query: str, top: int = 100, k1: float = 1.2, b: float = 0.75) -> [T]", "BM25 over clusters, documents or passages; keeps the top units.", "bm25(wiki.clusters, q, top: 200)").stage(),
    builtin("dense", "dense(units: [T], query: str, model: Model, top: int = 100) -> [T]", "Dense retrieval with an embedding model over a flat index.", "dense(kb.documents, q, minilm, top: 50)").stage().on(Resource::Compute),
    builtin("rerank", "rerank(units: [T], query: str, model: Model, top: int = 10, method: maxsim|yes_no|endpoint = maxsim) -> [T]", "Rerank with late interaction (MaxSim), an LM's yes/no log-probs, or the model's /v1/rerank (a served cross-encoder).", "rerank(docs, q, minilm, top: 40)").stage().on(Resource::Model),
    builtin("chunk", "chunk(units: [Document], words: int = 100, tokens: int?) -> [Passage]", "Split documents into passages of N words (or tokens) at run time (late chunking).", "chunk(documents, words: 100)").stage(),
    builtin("documents", "documents(units: [Cluster]) -> [Document]", "The documents inside clusters.", "documents(clusters)").stage(),
    builtin("aggregate", "aggregate(units: [Passage], alpha: float = 0.5) -> [Document]", "Local-to-global scores: alpha * max + (1 - alpha) * mean of each document's passages.", "aggregate(passages, alpha: 0.5)").stage(),
    builtin("retrieve", "retrieve(queries: [T], funnel: Funnel, query: fn(T) -> str) -> [Retrieved<T>]", "Run a funnel for every query, recording per-stage latency and candidate counts.", "questions |> retrieve(wiki, query: .question)").stage().on(Resource::Compute),
    builtin("recall_at", "recall_at(input: [Retrieved<T>], k: int, relevant: fn(Retrieved<T>) -> [str]) -> float", "Recall@k of retrieved ids against relevant ids.", "recall_at(results, k: 10, relevant: .query.relevant)"),
    builtin("answer_recall", "answer_recall(input: [Retrieved<T>], k: int, answers: fn(Retrieved<T>) -> [str]) -> float", "Fraction of queries with an answer string in the top-k passages.", "answer_recall(results, k: 5, answers: .query.answers)"),
    builtin("mrr", "mrr(input: [Retrieved<T>], relevant: fn(Retrieved<T>) -> [str]) -> float", "Mean reciprocal rank of the first relevant id.", "mrr(results, relevant: .query.relevant)"),
    builtin("ndcg", "ndcg(input: [Retrieved<T>], k: int, relevant: fn(Retrieved<T>) -> [str]) -> float", "nDCG@k with binary relevance.", "ndcg(results, k: 10, relevant: .query.relevant)"),
    builtin("evidence_scores", "evidence_scores(input: [Sample<T>], judge: Model, encoder: Model, question: fn(Sample<T>) -> str, answer: fn(Sample<T>) -> str, passage: fn(Sample<T>) -> str) -> [Sample<T>]", "SEER experts over each candidate's completion: faithfulness (the judge's yes/no on 'does the passage support it'), helpfulness σ(log p(answer | question, evidence) − log p(answer | question)) and conciseness (encoder cosine of answer and evidence); adds `seer: {faithful, helpful, concise}`.", "cands |> evidence_scores(judge: tiny, encoder: minilm, question: .input.question, answer: .input.answer, passage: .input.passage)").stage().on(Resource::Model).rule(TypeRule::Extend("seer", "Evidence")),
];
