#!/usr/bin/env bash
# Benchmark the compute kernels side by side with their peers, on the same generated data, in one
# run: dense top-k against faiss-cpu IndexFlatIP (100k x 384 index, 1k queries, k = 100), segmented
# reward maths (G-RA gated returns, discounted returns, GRPO advantages over 10M steps in 1M trajectories)
# against numpy, and a model soup of three ~1 GB checkpoints against mergekit's linear merge and
# plain `cp`. Prints seconds, ratios and peak memory. Not a test; numbers go to docs/performance.md.
# Usage: bench/kernels.sh [BACKENDS]   BACKENDS defaults to "cpu"; on a GPU machine use "cpu gpu".
# Peers are pip-installed into $BENCH_VENV (default /var/tmp/pipec-bench-venv); BENCH_SKIP_MERGEKIT=1
# skips mergekit (it pulls torch).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
backends=${1:-cpu}
venv=${BENCH_VENV:-/var/tmp/pipec-bench-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q faiss-cpu numpy safetensors
if [ "${BENCH_SKIP_MERGEKIT:-0}" != 1 ]; then "$venv/bin/pip" install -q mergekit; fi
cargo build --release -q -p pipec-compute --example kernel_bench
work=${BENCH_WORK:-$(mktemp -d /var/tmp/pipec-kernels-XXXX)}
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" bench/kernels.py "$work" "$target/release/examples/kernel_bench" $backends
