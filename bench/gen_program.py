"""Generate a valid .pipe program of about N lines (schemas, fns, rewards, pipelines)."""
import sys

n = int(sys.argv[1])
lines = []
i = 0
while len(lines) < n:
    lines += [
        f"schema Rec{i} {{", "  id: str", "  text: str", "  score: float", "  tags: [str]", "}", "",
        f"fn keep{i}(r: Rec{i}) -> bool = r.score > 0.5 && len(words(r.text)) >= 3", "",
        f"dataset data{i}: [Rec{i}] = jsonl(\"data/{i}.jsonl\")", "",
        f"pipeline p{i} {{",
        f"  let kept = data{i} |> filter(keep{i}) |> dedup(by: .text, method: ngram)",
        "  let groups = kept |> group(by: .id)",
        f"  kept |> write(\"out/{i}.jsonl\")",
        "  report count(kept), count(groups), mean(kept.score)",
        "}", "",
    ]
    i += 1
print("\n".join(lines))
