"""Benchmark for `pipec lsp`: a 2,000-line program (bench/gen_program.py) is opened, then edited
20 times (one character each); prints the median time from sending `didChange` to receiving its
`publishDiagnostics`, i.e. what an editor waits per keystroke. Not a timed test.
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
times = []
for v in range(1, 21):
    text += "/"[: v % 2] + ("\n" if v % 2 == 0 else "/ edit\n")
    start = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": v}, "contentChanges": [{"text": text}]}})
    diagnostics()
    times.append(time.perf_counter() - start)
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
receive()
send({"jsonrpc": "2.0", "method": "exit", "params": None})
lsp.wait()
print(f"pipec lsp, {len(text.splitlines())}-line file, didChange -> publishDiagnostics: median {statistics.median(times) * 1000:.1f} ms (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
