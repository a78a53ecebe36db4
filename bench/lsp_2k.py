"""Benchmark for `pipec lsp`: a 2,000-line program (bench/gen_program.py) is opened, then edited
20 times at its end and 20 times in its middle (typing a comment, one keystroke each, inside a
`fn` body line in the middle so that item and every span after it change); prints the median
time from sending `didChange` to receiving its `publishDiagnostics`, i.e. what an editor waits
per keystroke. Not a timed test.
Usage: python3 bench/lsp_2k.py PIPEC   (run by bench/lsp_2k.sh)."""
import json, statistics, subprocess, sys, time

pipec = sys.argv[1]
text = subprocess.run([sys.executable, "bench/gen_program.py", "2000"], capture_output=True, text=True, check=True).stdout
lsp = subprocess.Popen([pipec, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def send(msg):
    body = json.dumps(msg).encode()
    lsp.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    lsp.stdin.flush()


def receive():
    length = 0
    while True:
        line = lsp.stdout.readline().strip()
        if not line:
            break
        if line.startswith(b"Content-Length:"):
            length = int(line.split(b":")[1])
    return json.loads(lsp.stdout.read(length))


def diagnostics():
    while True:
        m = receive()
        if m.get("method") == "textDocument/publishDiagnostics":
            return m["params"]["diagnostics"]


send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
receive()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
uri = "file:///tmp/pipec-bench-2k.pipe"
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "pipe", "version": 0, "text": text}}})
assert diagnostics() == [], "the generated program should check clean"
version = 0


def keystrokes(edit):
    """Time 20 edits; `edit(v)` gives the text after keystroke v."""
    global text, version
    times = []
    for v in range(1, 21):
        text, version = edit(v), version + 1
        start = time.perf_counter()
        send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}})
        assert diagnostics() == [], "every keystroke leaves the program clean"
        times.append(time.perf_counter() - start)
    return times


lines = text.split("\n")
middle = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("fn "))
at_end = keystrokes(lambda v: text + "/"[: v % 2] + ("\n" if v % 2 == 0 else "/ edit\n"))
base = text
at_middle = keystrokes(lambda v: "\n".join(lines[:middle] + [lines[middle] + " // " + "x" * v] + lines[middle + 1:]) + base[len("\n".join(lines)):])
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
receive()
send({"jsonrpc": "2.0", "method": "exit", "params": None})
lsp.wait()
for name, times in [("end", at_end), ("middle", at_middle)]:
    print(f"pipec lsp, {len(text.splitlines())}-line file, edits at the {name}, didChange -> publishDiagnostics: median {statistics.median(times) * 1000:.1f} ms (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
