"""The Python side of bench/models.sh (run with `python -P`: bench/kernels.py would shadow the
`kernels` package transformers imports): runs pipec's throughput example and the reference runtimes
on the same inputs and prints one table. Usage: models.py TEXTS.jsonl MODELS_DIR THROUGHPUT MAX_TOKENS"""
import json, pathlib, socket, subprocess, sys, time, urllib.request

texts_file, models, throughput, max_tokens = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
gguf = models / "smollm2-135m-instruct.q4_1.gguf"
minilm = models / "all-minilm-l6-v2"
prompt = "Write a long story about a dragon who learns to bake bread."
texts = [json.loads(line)["question"] for line in open(texts_file)]

# pipec: embeddings, then generation, in one process (its JSON line is the last of stdout).
ours = json.loads(subprocess.run([throughput, str(gguf), str(minilm), texts_file, prompt, str(max_tokens)], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])

# sentence-transformers on the same model files (its own modules: mean pooling, 256 tokens).
import sentence_transformers, torch
from sentence_transformers import SentenceTransformer, models as st_models
word = st_models.Transformer(str(minilm), max_seq_length=256)
st = SentenceTransformer(modules=[word, st_models.Pooling(word.get_word_embedding_dimension(), "mean")], device="cpu")
st.encode(texts[:32], batch_size=32)  # warm-up, as pipec's first batch pays no load either
t = time.perf_counter()
st.encode(texts, batch_size=32)
st_s = time.perf_counter() - t

# llama.cpp's server on the same GGUF: the same chat request, greedy, timed by the server itself
# (predicted_per_second) and by the wall clock around the request.
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([str(models / "llamacpp/bin/python"), "scripts/llamacpp_server.py", str(gguf), str(port)], stdout=subprocess.PIPE, text=True)
try:
    assert server.stdout.readline().strip() == "ready", "llama.cpp server did not start"
    body = json.dumps({"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens, "temperature": 0, "cache_prompt": False}).encode()
    def ask():
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", body, {"Content-Type": "application/json"})
        t = time.perf_counter()
        answer = json.load(urllib.request.urlopen(req))
        return answer, time.perf_counter() - t
    ask()  # warm-up
    answer, wall = ask()
finally:
    server.kill()
timings = answer["timings"]
ll_tokens = answer["usage"]["completion_tokens"]

print(f"| task | pipec | reference | ratio |")
print(f"| --- | --- | --- | --- |")
print(f"| MiniLM embeddings, {len(texts)} GSM8K questions, batch 32 | {ours['embeddings_per_s']:.0f}/s ({ours['embed_s']:.2f} s) | sentence-transformers {sentence_transformers.__version__} (torch {torch.__version__}, {torch.get_num_threads()} threads): {len(texts) / st_s:.0f}/s ({st_s:.2f} s) | {st_s / ours['embed_s']:.2f}x |")
print(f"| SmolLM2-135M Q4_1 greedy, {ours['prompt_tokens']}-token chat prompt | {ours['tokens_per_s']:.1f} tok/s ({ours['generated_tokens']} tokens in {ours['generate_s']:.2f} s, incl. prompt) | llama.cpp (xllamacpp) {timings['predicted_per_second']:.1f} tok/s decode ({ll_tokens} tokens; {ll_tokens / wall:.1f} tok/s wall incl. prompt {timings['prompt_n']} tokens) | {ours['tokens_per_s'] / (ll_tokens / wall):.2f}x (wall) |")
print(f"pipec model load: {ours['lm_load_s']:.2f} s (GGUF dequantised to f32). Same text: {ours['text'][:60]!r} vs {answer['choices'][0]['message']['content'][:60]!r}")
