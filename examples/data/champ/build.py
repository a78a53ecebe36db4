#!/usr/bin/env python3
"""CHAMP (PyPI `champ-dataset` 1.0.0, MIT) as pipec samples: for each competition-maths problem
with an integer answer, real model solutions (GPT-3.5, GPT-4, GPT-4 Turbo, PaLM 2 Medium) under
the given prompt settings, each as a `Sample<Problem>`: the problem statement as `prompt`, the
solution followed by "Final answer: <the model's one-sentence summary>" as `completion`, no
log-prob (CHAMP has none). Writes OUT/samples.jsonl and OUT/LICENSE-champ; also
OUT/annotated.jsonl: the solutions that carry CHAMP's human "first wrong step" annotation, as
samples whose `input.first_wrong_step` is the 1-based step (steps as `split_steps(sep: "\n\n")`
counts them: split on blank lines, trimmed, empty ones dropped) holding the annotated span's
start, or the number of steps + 1 when the annotator found no wrong step.

Usage: build.py OUT [--problems N] [--settings S,S,...] [--annotated N], run from the folder of
the .pipe file.
The wheel is fetched with `pip download` and its hash checked; nothing else is downloaded. The
committed subset was made in examples/ with
`python3 data/champ/build.py data/champ --problems 10 --settings "0-Shot,5-Shot,No C w/o H" --annotated 12`."""
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
    write(out / "samples.jsonl", rows)
    annotated = annotated_rows(champ, int(arg("--annotated", "1000")))
    write(out / "annotated.jsonl", annotated)
    print(f"{len(rows)} samples of {len(problems)} problems, {len(annotated)} annotated solutions in {out}")


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def first_wrong_step(text, start):
    """The 1-based step holding character `start` (None: no wrong step -> steps + 1)."""
    steps, at = [], 0
    for part in text.split("\n\n"):
        if part.strip():
            steps.append(at + len(part))
        at += len(part) + 2
    if start is None:
        return len(steps) + 1
    return next(i + 1 for i, end in enumerate(steps) if start < end)


def annotated_rows(champ, n):
    rows = []
    for _, p in sorted(champ["problems"].items()):
        if not re.fullmatch(r"-?\d+", p["_answer"].strip()):
            continue
        for key, a in sorted(p["fws_annotations"].items()):
            model = key.split("|", 1)[0]
            rows.append({"id": f"{p['identifier']}|{key}", "prompt": p["_text"], "completion": a["text"], "index": len(rows), "logprob": None,
                         "input": {"id": p["identifier"], "question": p["_text"], "answer": p["_answer"].strip(), "category": p["category"], "model": model, "first_wrong_step": first_wrong_step(a["text"], a["start_idx"])}})
    return rows[:n]


if __name__ == "__main__":
    main()
