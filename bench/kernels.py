"""The Python side of bench/kernels.sh: generates the data, runs each peer and pipec's
kernel_bench on it, checks they agree, and prints one table. Usage: kernels.py WORK BENCH BACKENDS..."""
import json, os, resource, shutil, subprocess, sys, time
import numpy as np

work, bench, backends = sys.argv[1], sys.argv[2], sys.argv[3:]
rng = np.random.default_rng(0)
rows = []


def pipec(*args):
    out = subprocess.run([bench, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak(cmd):
    """Seconds and peak RSS (MiB) of a command, from /usr/bin/time."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], check=True, capture_output=True, text=True)
    return time.perf_counter() - t, int(r.stderr.strip().splitlines()[-1]) / 1024


# --- dense top-k ---------------------------------------------------------------------------
n, nq, dim, k = 100_000, 1_000, 384, 100
d = f"{work}/topk"
os.makedirs(d, exist_ok=True)
index = rng.standard_normal((n, dim), dtype=np.float32)
index /= np.linalg.norm(index, axis=1, keepdims=True)
queries = rng.standard_normal((nq, dim), dtype=np.float32)
queries /= np.linalg.norm(queries, axis=1, keepdims=True)
index.tofile(f"{d}/index.f32")
queries.tofile(f"{d}/queries.f32")
open(f"{d}/dim", "w").write(str(dim))
import faiss
faiss_index = faiss.IndexFlatIP(dim)
faiss_index.add(index)
t = time.perf_counter()
_, faiss_ids = faiss_index.search(queries, k)
faiss_s = time.perf_counter() - t
rows.append(("top-k 100k x 384, 1k queries, k=100", f"faiss-cpu {faiss.__version__} IndexFlatIP ({faiss.omp_get_max_threads()} threads)", faiss_s, None, ""))
for b in backends:
    r = pipec("topk", d, str(k), b)
    ids = np.fromfile(f"{d}/pipec_ids.u32", dtype=np.uint32).reshape(nq, k)
    agree = np.mean([len(set(a) & set(f)) / k for a, f in zip(ids, faiss_ids)])
    rows.append(("", f"pipec {r['backend']} (same ids as faiss: {agree:.4%})", r["seconds"], r["peak_mib"], f"{faiss_s / r['seconds']:.2f}x faiss"))

# --- segmented reward maths: G-RA gated returns, discounted returns, GRPO advantages ---------
trajs, group = 1_000_000, 8
lengths = rng.integers(1, 20, size=trajs).astype(np.int64)  # 1..19 steps, mean 10
offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.uint32)
steps = rng.standard_normal(int(offsets[-1])).astype(np.float32) * 0.1
outcomes = rng.choice(np.array([-1.0, -0.5, 0.0, 1.0], dtype=np.float32), size=trajs)
groups = np.arange(0, trajs + 1, group, dtype=np.uint32)
d = f"{work}/rewards"
os.makedirs(d, exist_ok=True)
offsets.tofile(f"{d}/offsets.u32"); groups.tofile(f"{d}/groups.u32"); steps.tofile(f"{d}/steps.f32"); outcomes.tofile(f"{d}/outcomes.f32")
t = time.perf_counter()
# G-RA: step rewards credited only where the trajectory's outcome clears the gate (>= 0).
steps = steps * np.repeat((outcomes >= 0).astype(np.float32), lengths)
returns = outcomes + np.add.reduceat(steps, offsets[:-1].astype(np.int64))
# Discounted returns, vectorised over trajectories: pad to [trajs, max_len] and scan backwards.
maxlen = int(lengths.max())
col = np.arange(int(offsets[-1])) - np.repeat(offsets[:-1].astype(np.int64), lengths)
pad = np.zeros((trajs, maxlen), dtype=np.float32)
pad[np.repeat(np.arange(trajs), lengths), col] = steps
disc = np.zeros_like(pad)
acc = np.zeros(trajs, dtype=np.float32)
for j in range(maxlen - 1, -1, -1):
    acc = pad[:, j] + np.float32(0.99) * acc * (j < lengths - 1)
    disc[:, j] = acc
discounted = disc[np.repeat(np.arange(trajs), lengths), col]
g = returns.reshape(-1, group)
adv = ((g - g.mean(axis=1, keepdims=True)) / (g.std(axis=1, keepdims=True) + 1e-6)).ravel()
numpy_s = time.perf_counter() - t
check = float(np.sum(adv.astype(np.float64) ** 2) + np.sum(discounted.astype(np.float64)))
rows.append((f"rewards: {int(offsets[-1]) / 1e6:.1f}M steps, 1M trajectories", f"numpy {np.__version__} (checksum {check:.1f})", numpy_s, None, ""))
for b in backends:
    r = pipec("rewards", d, b)
    rows.append(("", f"pipec {r['backend']} (checksum {r['checksum']:.1f})", r["seconds"], r["peak_mib"], f"{numpy_s / r['seconds']:.2f}x numpy"))

# --- model soup ----------------------------------------------------------------------------
# Three Llama-shaped BF16 checkpoints of ~0.94 GB each (hidden 1024, 24 layers, vocab 32000),
# written tensor by tensor so this script never holds a whole checkpoint.
hidden, inter, layers, vocab = 1024, 4096, 24, 32000
shapes = {"model.embed_tokens.weight": (vocab, hidden), "lm_head.weight": (vocab, hidden), "model.norm.weight": (hidden,)}
for i in range(layers):
    p = f"model.layers.{i}."
    for m in "qkvo":
        shapes[p + f"self_attn.{m}_proj.weight"] = (hidden, hidden)
    shapes[p + "mlp.gate_proj.weight"] = (inter, hidden)
    shapes[p + "mlp.up_proj.weight"] = (inter, hidden)
    shapes[p + "mlp.down_proj.weight"] = (hidden, inter)
    shapes[p + "input_layernorm.weight"] = (hidden,)
    shapes[p + "post_attention_layernorm.weight"] = (hidden,)
config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden, "intermediate_size": inter,
          "num_hidden_layers": layers, "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": vocab,
          "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "torch_dtype": "bfloat16", "tie_word_embeddings": False}


def write_checkpoint(folder, seed):
    os.makedirs(folder, exist_ok=True)
    json.dump(config, open(f"{folder}/config.json", "w"))
    names = sorted(shapes)
    header, at = {}, 0
    for name in names:
        size = int(np.prod(shapes[name])) * 2
        header[name] = {"dtype": "BF16", "shape": list(shapes[name]), "data_offsets": [at, at + size]}
        at += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    r = np.random.default_rng(seed)
    with open(f"{folder}/model.safetensors", "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for name in names:
            x = r.standard_normal(shapes[name], dtype=np.float32) * 0.02
            f.write((x.view(np.uint32) >> 16).astype(np.uint16).tobytes())


ckpts = [f"{work}/soup/{c}" for c in "abc"]
for i, c in enumerate(ckpts):
    write_checkpoint(c, i)
size_gb = os.path.getsize(f"{ckpts[0]}/model.safetensors") / 1e9
cp_s, cp_mib = child_peak(["cp", f"{ckpts[0]}/model.safetensors", f"{work}/soup/copy.safetensors"])
rows.append((f"soup: 3 x {size_gb:.2f} GB BF16 checkpoints", "cp of one checkpoint (a soup reads 3 and writes 1)", cp_s, cp_mib, ""))
mk_s = None
merge = shutil.which("mergekit-yaml", path=os.path.dirname(sys.executable))
if merge:
    yml = f"{work}/soup/linear.yml"
    with open(yml, "w") as f:
        f.write("merge_method: linear\ndtype: bfloat16\nmodels:\n" + "".join(f"  - model: {c}\n    parameters: {{weight: 1.0}}\n" for c in ckpts))
    ver = subprocess.run([sys.executable, "-m", "pip", "show", "mergekit"], capture_output=True, text=True).stdout.split("Version: ")[1].split()[0]
    mk_s, mk_mib = child_peak([merge, yml, f"{work}/soup/mergekit", "--lazy-unpickle", "--no-copy-tokenizer", "--no-write-model-card", "--quiet"])
    rows.append(("", f"mergekit {ver} linear (lazy loading)", mk_s, mk_mib, ""))
for b in backends:
    s, mib = child_peak([bench, "soup", f"{work}/soup/pipec.safetensors", b, *[f"{c}/model.safetensors" for c in ckpts]])
    vs = f"{mk_s / s:.2f}x mergekit, " if mk_s else ""
    rows.append(("", f"pipec {b} (streaming, 4M-element chunks)", s, mib, vs + f"{2 * cp_s / s:.0%} of cp bandwidth (moves 2x a cp)"))
    os.remove(f"{work}/soup/pipec.safetensors")

# --- the table -----------------------------------------------------------------------------
print(f"{'task':44} {'who':62} {'seconds':>9} {'peak MiB':>9}  ratio")
for task, who, secs, mib, ratio in rows:
    print(f"{task:44} {who:62} {secs:9.3f} {'' if mib is None else f'{mib:9.0f}':>9}  {ratio}")
print(f"(this script's own peak: {peak_mib():.0f} MiB; {os.cpu_count()} cores)")
