#!/usr/bin/env python3
"""Write the same N-node DAG of trivial nodes for pipec (dag.pipe) and for snakemake (Snakefile).
Node i > 0 reads node (i-1)//2 (a binary tree), so nodes have real dependencies and the width
allows parallelism. Each node copies a one-record file (snakemake: a `cp` shell job, its lightest job kind; a `run:`
block starts a Python process per job there): the work is nothing, the overhead is all.
Usage: gen_dag.py N OUT_DIR"""
import pathlib, sys

n, out = int(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
(out / "seed.jsonl").write_text('{"x": 1}\n')

pipe = ["schema Row {", "  x: int", "}", "", 'dataset seed: [Row] = jsonl("seed.jsonl")', "", "pipeline dag {"]
pipe.append("  let n0 = seed |> filter(|r| r.x > 0)")
for i in range(1, n):
    pipe.append(f"  let n{i} = n{(i - 1) // 2} |> filter(|r| r.x > 0)")
pipe.append(f"  report count(n{n - 1})")
pipe.append("}")
(out / "dag.pipe").write_text("\n".join(pipe) + "\n")

snake = [
    f"N = {n}",
    "rule all:",
    f"    input: expand('n/{{i}}.jsonl', i=range(N))",
    "rule root:",
    "    input: 'seed.jsonl'",
    "    output: 'n/0.jsonl'",
    "    shell: 'cp {input} {output}'",
    "rule node:",
    "    input: lambda w: f'n/{(int(w.i) - 1) // 2}.jsonl'",
    "    output: 'n/{i}.jsonl'",
    "    wildcard_constraints: i='[1-9][0-9]*'",
    "    shell: 'cp {input} {output}'",
]
(out / "Snakefile").write_text("\n".join(snake) + "\n")
