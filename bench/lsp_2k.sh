#!/usr/bin/env bash
# Benchmark: per-keystroke latency of `pipec lsp` on a 2,000-line file (see bench/lsp_2k.py).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q -p pipec-runtime --bin pipec
python3 bench/lsp_2k.py "$target/release/pipec"
