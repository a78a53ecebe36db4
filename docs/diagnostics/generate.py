#!/usr/bin/env python3
"""Write docs/diagnostics/<CODE>.md for codes that have no page yet, from the code's fixture and
its expected output: tests/ui/<CODE>_*.pipe + .stderr (check-time codes) or tests/run/<CODE>_*.pipe
+ the stderr section of .expected (run-time codes). Usage: generate.py CODE "title" "explanation"."""
import pathlib, sys

root = pathlib.Path(__file__).resolve().parents[2]
code, title, explanation = sys.argv[1:4]
for kind in ("ui", "run"):
    fixtures = sorted((root / "tests" / kind).glob(f"{code}_*.pipe"))
    if fixtures:
        break
else:
    sys.exit(f"no fixture tests/ui/{code}_*.pipe or tests/run/{code}_*.pipe")
fixture = fixtures[0]
source = fixture.read_text()
if kind == "ui":
    said = fixture.with_suffix(".stderr").read_text()
    command = f"pipec check {fixture.relative_to(root)}"
else:
    expected = fixture.with_suffix(".expected").read_text()
    said = expected.split("--- stderr\n", 1)[1].split("\n--- stdout\n", 1)[0]
    command = f"pipec run {fixture.relative_to(root)}"
severity = "warning" if code.startswith("W") else "error"
page = f"""# {code}: {title}

Severity: {severity}{" (reported by `pipec run`)" if kind == "run" else ""}.

{explanation}

## Example

`{fixture.relative_to(root)}`:

```pipe
{source.rstrip()}
```

## What pipec says

`{command}`:

```text
{said.rstrip()}
```
"""
(root / "docs" / "diagnostics" / f"{code}.md").write_text(page)
