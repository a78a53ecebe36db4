//! Retrieval primitives shared by the funnel runner and the retrieval stages: BM25, late
//! interaction, retrieval metrics, and the unit lists they work on (clusters, documents,
//! passages as records).

pub mod bm25;
pub mod maxsim;
pub mod metrics;
pub mod units;
