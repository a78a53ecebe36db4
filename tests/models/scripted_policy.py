"""A scripted agent policy behind an OpenAI-compatible chat endpoint, for testing `rollout`'s
mechanics deterministically beside the real-model rollouts: the reply depends only on the task
(the first user message) and the turn (assistant messages so far). Usage: scripted_policy.py;
prints `ready PORT` once listening on 127.0.0.1, serves until killed."""
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIX = "```write\nadd.sh\n#!/bin/sh\necho $(($1 + $2))\n```"
BREAK = "```write\nadd.sh\n#!/bin/sh\necho $(($1 - $2))\n```"
SCRIPTS = {
    # Reads the file, fixes it, submits: a passing patch.
    "fix": ["Let me look first.\n```read\nadd.sh\n```", "Now the fix.\n" + FIX, "```submit\n```"],
    # Submits without changing anything: an empty patch.
    "give up": ["```submit\n```"],
    # Breaks the file and never submits: modified, no_submit.
    "break": [BREAK, "```shell\nsh add.sh 2 3\n```", "```shell\necho still here\n```"],
    # Never calls a tool: every action unparsed.
    "chat": ["I am thinking about it.", "Still thinking.", "Almost there."],
}


class Policy(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        messages = body["messages"]
        task = next(m["content"] for m in messages if m["role"] == "user")
        turn = sum(m["role"] == "assistant" for m in messages)
        script = next(s for key, s in SCRIPTS.items() if task.startswith(key))
        reply = script[min(turn, len(script) - 1)]
        answer = {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": sum(len(m["content"].split()) for m in messages), "completion_tokens": len(reply.split())}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Policy)
print(f"ready {server.server_address[1]}", flush=True)
server.serve_forever()
