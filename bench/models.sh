#!/usr/bin/env bash
# Throughput of pipec's local models side by side with reference runtimes, in one run, on the same
# inputs: MiniLM sentence embeddings of the 1,319 GSM8K test questions (batches of 32) against
# sentence-transformers, and SmolLM2-135M-Instruct greedy decoding (one stream, same chat prompt)
# against llama.cpp's server (PyPI xllamacpp) on the same GGUF file. Not a test; numbers go to
# docs/performance.md. Usage: bench/models.sh [MAX_TOKENS]   (default 128)
# Models come from scripts/fetch-models.sh into $PIPEC_MODELS (default /var/tmp/pipec-models);
# sentence-transformers is pip-installed into $BENCH_VENV (default /var/tmp/pipec-bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
max_tokens=${1:-128}
models=${PIPEC_MODELS:-/var/tmp/pipec-models}
venv=${BENCH_VENV:-/var/tmp/pipec-bench-venv}
scripts/fetch-models.sh "$models"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q sentence-transformers
cargo build --release -q -p pipec-inference --example throughput
work=$(mktemp -d /var/tmp/pipec-models-bench-XXXX)
trap 'rm -rf "$work"' EXIT
python3 examples/data/gsm8k/build.py "$work" >/dev/null
"$venv/bin/python" -P bench/models.py "$work/test.jsonl" "$models" "$target/release/examples/throughput" "$max_tokens"
