#!/usr/bin/env bash
# Benchmark: per-node scheduling overhead on a 1,000-node DAG of trivial nodes, pipec vs snakemake
# (installed with pip into a throwaway venv), side by side in one run: a cold run (every node
# executes) and a warm run (everything is up to date / cached). Not a timed test.
# Usage: bench/dag_1000.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
n=${1:-1000}
cargo build --release -q
venv=${PIPEC_BENCH_VENV:-/tmp/pipec-bench-venv}
[ -x "$venv/bin/snakemake" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q snakemake; }
work=$(mktemp -d)
python3 bench/gen_dag.py "$n" "$work"
pipec=$target/release/pipec
python3 - "$work" "$pipec" "$venv/bin/snakemake" "$n" <<'PY'
import subprocess, sys, time, shutil, os
work, pipec, snakemake, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def timed(cmd):
    s = time.perf_counter()
    subprocess.run(cmd, cwd=work, check=True, capture_output=True)
    return time.perf_counter() - s
version = subprocess.run([snakemake, "--version"], capture_output=True, text=True).stdout.strip()
def fresh():
    for d in ("runs", "n", ".snakemake"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)
rows = []
for attempt in range(3):
    fresh()
    p_cold = timed([pipec, "run", "dag.pipe", "-q", "-j", "2"])
    p_warm = timed([pipec, "run", "dag.pipe", "-q", "-j", "2"])
    rows.append((p_cold, p_warm))
s_cold = timed([snakemake, "--cores", "2", "--quiet", "all"])
s_warm = timed([snakemake, "--cores", "2", "--quiet", "all"])
best = [min(r[0] for r in rows), min(r[1] for r in rows), s_cold, s_warm]
nodes = n + 2  # the dataset and the report node
print(f"{n}-node DAG (pipec: best of 3, {nodes} nodes incl. source and report; snakemake {version}: one run, {n} jobs)")
print(f"{'':12}{'pipec':>12}{'snakemake':>12}{'ratio':>10}")
for label, p, s in (("cold run", best[0], best[2]), ("warm run", best[1], best[3])):
    print(f"{label:12}{p*1000:>10.0f}ms{s*1000:>10.0f}ms{s/p:>9.1f}x")
print(f"per node, cold: pipec {best[0]/nodes*1e6:.0f} us, snakemake {best[2]/n*1e6:.0f} us")
PY
rm -rf "$work"
