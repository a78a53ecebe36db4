"""BM25 side by side: pipec's own inverted index (runtime/src/retrieval/bm25.rs, via the
bm25_bench example) against bm25s (method "lucene", the same formula) on the same corpora and
the same tokens, one thread each, in one run. Corpora: τ²-bench banking_knowledge (698
documents, its 97 customer scenarios as queries) and the Wikipedia excerpt in gensim's test data
(206 articles cut into 100-word passages; 1,000 seeded queries, each 12 words from a random
passage). Prints index and query times, their ratios, and how many top-k lists agree.
Usage: python bm25.py WORK BM25_BENCH K   (run by bench/bm25.sh)."""
import bz2, glob, json, pathlib, random, re, subprocess, sys, time, zipfile

import bm25s

STOP = set("a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split())
WORD = re.compile(r"[^\W_]+")


def tokenize(text):
    """pipec's rule: lower-case runs of letters and digits, two or more characters, no stop words."""
    return [t for t in WORD.findall(text.lower()) if len(t) > 1 and t not in STOP]


def tau2(work):
    docs = [json.loads(l) for l in open("examples/data/tau2/documents.jsonl")]
    queries = [json.loads(l) for l in open("examples/data/tau2/queries.jsonl")]
    return [f"{d['title']}\n{d['text']}" for d in docs], [q["question"] for q in queries]


def wikipedia(work):
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "gensim==4.4.0", "-d", str(work)], check=True)
    wheel = zipfile.ZipFile(glob.glob(str(work / "gensim-4.4.0-*.whl"))[0])
    xml = bz2.decompress(wheel.read("gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")).decode()
    passages = []
    for page in re.findall(r"<text[^>]*>(.*?)</text>", xml, re.S):
        text = re.sub(r"\{\{[^{}]*\}\}|&lt;[^&]*&gt;|<[^>]+>", " ", page)
        text = re.sub(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]", r"\1", text)
        words = re.sub(r"[\[\]{}'=|*#]", " ", text).split()
        passages += [" ".join(words[i:i + 100]) for i in range(0, len(words), 100)]
    rng = random.Random(7)
    queries = []
    for _ in range(1000):
        words = rng.choice(passages).split()
        start = rng.randrange(max(1, len(words) - 12))
        queries.append(" ".join(words[start:start + 12]))
    return passages, queries


def agree(ours, theirs):
    """Same scores rank by rank (to float32 rounding) and the same ids above the last score
    (ids tied at the cut-off may differ)."""
    if len(ours) != len(theirs) or any(abs(a[1] - b[1]) > 1e-3 * max(1.0, abs(b[1])) for a, b in zip(ours, theirs)):
        return False
    cut = ours[-1][1] + 1e-3 if ours else 0.0
    return {d for d, s in ours if s > cut} == {d for d, s in theirs if s > cut}


def run(name, texts, queries, work, binary, k):
    corpus, qfile, ids = work / f"{name}.jsonl", work / f"{name}-q.jsonl", work / f"{name}-ids.txt"
    corpus.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    qfile.write_text("".join(json.dumps({"question": q}) + "\n" for q in queries))
    pipec = json.loads(subprocess.run([binary, str(corpus), str(qfile), str(k), str(ids)], check=True, capture_output=True, text=True).stdout)
    start = time.perf_counter()
    tokens = [tokenize(t) for t in texts]
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index(tokens, show_progress=False)
    index_s = time.perf_counter() - start
    start = time.perf_counter()
    qtokens = [sorted(set(tokenize(q))) for q in queries]
    # bm25s cannot take a query whose tokens are all unknown; they give nothing in pipec too.
    known = [[t for t in q if t in retriever.vocab_dict] for q in qtokens]
    ask = [i for i, q in enumerate(known) if q]
    docs, scores = retriever.retrieve([known[i] for i in ask], k=min(k, len(texts)), show_progress=False, n_threads=1)
    search_s = time.perf_counter() - start
    ours = [[(int(p.split(":")[0]), float(p.split(":")[1])) for p in line.split()] for line in ids.read_text().splitlines()]
    # pipec's ids file has scores to 5 decimals; round bm25s's the same way.
    same = sum(agree(ours[i], [(int(d), round(float(s), 5)) for d, s in zip(docs[row], scores[row]) if s > 0]) for row, i in enumerate(ask))
    compared = len(ask)
    print(f"| {name}: {len(texts):,} units, {len(queries):,} queries, k = {k} | index {pipec['index_s']:.3f} s vs {index_s:.3f} s ({index_s / pipec['index_s']:.1f}x) | queries {pipec['search_s']:.3f} s vs {search_s:.3f} s ({search_s / pipec['search_s']:.1f}x) | {same}/{compared} top-{k} lists agree |")


def main():
    work, binary, k = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print(f"bm25s {bm25s.__version__}; times are pipec vs bm25s (bm25s's include the same tokenizer, in Python)")
    print("| corpus | index: pipec vs bm25s | queries: pipec vs bm25s | agreement |")
    print("| --- | --- | --- | --- |")
    for name, build in [("tau2", tau2), ("wikipedia", wikipedia)]:
        texts, queries = build(work)
        run(name, texts, queries, work, binary, k)


if __name__ == "__main__":
    main()
