#!/usr/bin/env python3
"""KaLM training queries from the committed τ²-bench banking_knowledge files (../tau2, MIT): each
customer scenario becomes a query whose positives are the documents it needs; its `task` is the
product area of its first relevant document (credit_cards, bank_accounts, ...), which
semi-homogeneous batching groups by. Every fifth query (by position) is held out for evaluation.
Writes queries.jsonl and eval_queries.jsonl next to this script; nothing is downloaded.
Usage: python3 build.py"""
import json, pathlib

HERE = pathlib.Path(__file__).resolve().parent


def area(doc_id):
    # doc_<area words>_<area words>_(<topic>)_<n>: the product area is the first two words.
    return "_".join(doc_id.split("_")[1:3])


def main():
    queries = [json.loads(line) for line in open(HERE.parent / "tau2" / "queries.jsonl")]
    train, held = [], []
    for i, q in enumerate(queries):
        if not q["relevant"]:
            continue
        row = {"id": q["id"], "text": q["question"], "task": area(q["relevant"][0]), "positives": q["relevant"]}
        (held if i % 5 == 4 else train).append(row)
    for name, rows in [("queries.jsonl", train), ("eval_queries.jsonl", held)]:
        with open(HERE / name, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    print(f"{len(train)} training and {len(held)} held-out queries in {HERE}")


if __name__ == "__main__":
    main()
