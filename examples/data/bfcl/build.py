#!/usr/bin/env python3
"""BFCL v4 tool retrieval (Berkeley Function Calling Leaderboard, Apache-2.0, PyPI `bfcl-eval`
2026.3.23): the `multiple` (200) and `live_multiple` (1,053) tasks each offer a user request with
2-4+ candidate functions and name the one to call. Pooled over both, every distinct function
(name + description) becomes a document and every request a query whose relevant document is the
function its ground truth calls:
  OUT/documents.jsonl  `id` (`fn-<n>`), `title` (the function name), `text` (its description and
                       its parameters' names and descriptions)
  OUT/queries.jsonl    `id` (BFCL's), `question` (the user turns), `relevant` (document ids),
                       `offered` (the ids of the functions the task listed)
Usage: build.py OUT. The wheel is fetched with `pip download` and its hash checked; nothing else is
downloaded. The committed files were made in examples/ with `python3 data/bfcl/build.py data/bfcl`."""
import json, pathlib, sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from wheel import fetch  # noqa: E402

WHEEL = "bfcl_eval-2026.3.23-py3-none-any.whl"
SHA256 = "3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a"
SPLITS = ["multiple", "live_multiple"]


def lines(z, name):
    return [json.loads(line) for line in z.read(name).decode().splitlines() if line.strip()]


def describe(f):
    params = f.get("parameters", {}).get("properties", {})
    parts = [f.get("description", "")] + [f"{p}: {spec.get('description', '')}".strip() for p, spec in params.items()]
    return "\n".join(p for p in parts if p)


def main():
    out = pathlib.Path(sys.argv[1])
    docs, ids, queries = [], {}, []
    with fetch("bfcl-eval==2026.3.23", WHEEL, SHA256) as z:
        metadata = z.read("bfcl_eval-2026.3.23.dist-info/METADATA").decode()
        for split in SPLITS:
            answers = {a["id"]: a for a in lines(z, f"bfcl_eval/data/possible_answer/BFCL_v4_{split}.json")}
            for task in lines(z, f"bfcl_eval/data/BFCL_v4_{split}.json"):
                offered = {}
                for f in task["function"]:
                    key = (f["name"], describe(f))
                    if key not in ids:
                        ids[key] = f"fn-{len(docs)}"
                        docs.append({"id": ids[key], "title": f["name"], "text": key[1]})
                    offered[f["name"]] = ids[key]
                called = [name for call in answers[task["id"]]["ground_truth"] for name in call]
                question = "\n".join(turn["content"] for turns in task["question"] for turn in turns if turn["role"] == "user")
                queries.append({"id": task["id"], "question": question, "relevant": sorted({offered[n] for n in called if n in offered}), "offered": sorted(offered.values())})
    licence = next((line for line in metadata.splitlines() if line.lower().startswith("license")), "License: Apache-2.0")
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSE-bfcl").write_text(f"Berkeley Function Calling Leaderboard data (https://github.com/ShishirPatil/gorilla), as shipped in PyPI bfcl-eval 2026.3.23.\n{licence}\n")
    for name, rows in [("documents.jsonl", docs), ("queries.jsonl", queries)]:
        with open(out / name, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    print(f"{len(docs)} functions and {len(queries)} requests in {out}")


if __name__ == "__main__":
    main()
