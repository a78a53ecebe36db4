//! BM25 timing for bench/bm25.sh: index a JSONL corpus (`text` of each line) and answer a JSONL
//! of queries (`question`), k best each, on one thread; prints the times and every query's ids
//! (one line of space-separated unit positions) so the script can compare them with bm25s.
//! Usage: bm25_bench CORPUS.jsonl QUERIES.jsonl K OUT_IDS

use pipec_runtime::retrieval::bm25::Bm25;
use std::io::Write;
use std::time::Instant;

fn field(path: &str, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str::<serde_json::Value>(l).ok().and_then(|v| v[name].as_str().map(str::to_string)).unwrap_or_else(|| panic!("{path}: a line without `{name}`"))).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, corpus, queries, k, out] = args.as_slice() else { panic!("usage: bm25_bench CORPUS.jsonl QUERIES.jsonl K OUT_IDS") };
    let (corpus, queries, k) = (field(corpus, "text"), field(queries, "question"), k.parse::<usize>().expect("K"));
    let start = Instant::now();
    let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
    let index = Bm25::new(&texts, 1.2, 0.75);
    let indexed = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let hits: Vec<Vec<(usize, f64)>> = queries.iter().map(|q| index.search(q, k)).collect();
    let searched = start.elapsed().as_secs_f64();
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).expect("OUT_IDS"));
    for h in &hits {
        let line: Vec<String> = h.iter().map(|(i, s)| format!("{i}:{s:.5}")).collect();
        writeln!(f, "{}", line.join(" ")).expect("write");
    }
    println!("{{\"index_s\": {indexed}, \"search_s\": {searched}, \"units\": {}, \"queries\": {}}}", index.len(), queries.len());
}
