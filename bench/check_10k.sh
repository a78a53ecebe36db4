#!/usr/bin/env bash
# Benchmark: `pipec check` on a generated 10,000-line program; prints the median of 15 runs.
# Usage: bench/check_10k.sh   (builds release first). Not a timed test.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release -q
out=$(mktemp -d)
python3 bench/gen_program.py 10000 > "$out/big.pipe"
wc -l "$out/big.pipe"
"$target/release/pipec" check "$out/big.pipe" 2>/dev/null || { echo "generated program does not check"; exit 1; }
python3 - "$out/big.pipe" "$target/release/pipec" <<'PY'
import subprocess, sys, time, statistics
t = []
for _ in range(15):
    s = time.perf_counter(); subprocess.run([sys.argv[2], "check", sys.argv[1]], capture_output=True, check=True); t.append(time.perf_counter() - s)
print(f"pipec check, 10k lines: median {statistics.median(t)*1000:.1f} ms (min {min(t)*1000:.1f}, max {max(t)*1000:.1f})")
PY
