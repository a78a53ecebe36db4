#!/usr/bin/env bash
# Benchmark: verifications per second in Docker, side by side in one run: pipec with its warm
# container pool, pipec with a fresh container per verification (PIPEC_SANDBOX_POOL=0), and a
# fresh `docker run --rm` per verification (the SWE-bench harness way). Each verification copies a
# small repository, applies a patch and runs its test (the adder task of tests/run). Not a timed test.
# Usage: bench/sandbox_pool.sh [N]   (needs `pipec sandbox build busybox`)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
n=${1:-40}
cargo build --release -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
cp -r tests/run/data/tasks "$work/data/"
python3 - "$work" "$n" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
gold = json.loads(open("tests/run/data/patches.jsonl").readline())
with open(f"{work}/data/patches.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({**gold, "id": f"a{i}"}) + "\n")
open(f"{work}/data/gold.patch", "w").write(gold["patch"])
PY
sed 's/  on timeout => drop/  on timeout => fail/' tests/run/docker_verifier.pipe > "$work/v.pipe"
python3 - "$work" "$n" "$target/release/pipec" <<'PY'
import subprocess, sys, time, os
work, n, pipec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def timed(cmd, env=None):
    s = time.perf_counter()
    subprocess.run(cmd, cwd=work, check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - s
def verify_node_ms(run_env):
    # The verify node's own time, from the manifest (compile and the other nodes excluded).
    import glob, json
    m = json.load(open(sorted(glob.glob(f"{work}/runs/verify_patches-*/manifest.json"), key=os.path.getmtime)[-1]))
    return next(x["duration_ms"] for x in m["nodes"] if x["builtin"] == "verify") / 1000
rows = []
for label, env, slots in (("pipec, warm pool, 1 slot", {}, "1"), ("pipec, fresh each, 1 slot", {"PIPEC_SANDBOX_POOL": "0"}, "1"),
                          ("pipec, warm pool, 2 slots", {}, "2"), ("pipec, fresh each, 2 slots", {"PIPEC_SANDBOX_POOL": "0"}, "2")):
    timed([pipec, "run", "v.pipe", "-q", "--fresh", "--sandbox", "docker", "--sandboxes", slots], env)
    rows.append((label, verify_node_ms(env)))
script = "mkdir -p /repo && cp -r /task/. /repo && cd /repo && patch -p1 -i /task.patch >/dev/null && sh test.sh"
def docker_run():
    subprocess.run(["docker", "run", "--rm", "--network", "none", "-m", "256m", "--pids-limit", "64",
                    "-v", f"{work}/data/tasks/adder:/task:ro", "-v", f"{work}/data/gold.patch:/task.patch:ro",
                    "pipec/busybox", "sh", "-c", script], check=True, capture_output=True)
s = time.perf_counter()
for _ in range(n):
    docker_run()
rows.append(("docker run --rm each (CLI)", time.perf_counter() - s))
base = rows[-1][1]
print(f"{n} verifications (copy repo, apply patch, run test) in pipec/busybox; docker run is sequential")
print(f"{'':32}{'seconds':>9}{'verif/s':>9}{'vs docker run':>15}")
for label, t in rows:
    print(f"{label:32}{t:>9.2f}{n / t:>9.1f}{base / t:>14.1f}x")
PY
