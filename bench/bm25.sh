#!/usr/bin/env bash
# BM25 against bm25s, side by side on the same corpora and tokens (bench/bm25.py says which).
# Not a test; numbers go to docs/performance.md. Usage: bench/bm25.sh [K]   (default 100)
# bm25s is pip-installed into $BENCH_VENV (default /var/tmp/pipec-bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-100}
venv=${BENCH_VENV:-/var/tmp/pipec-bench-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q bm25s
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p pipec-runtime --example bm25_bench
work=$(mktemp -d /var/tmp/pipec-bm25-XXXX)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" -P bench/bm25.py "$work" "$target/release/examples/bm25_bench" "$k"
