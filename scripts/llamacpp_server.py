"""llama.cpp's OpenAI-compatible server (PyPI xllamacpp) on 127.0.0.1: the real third-party
endpoint pipec's model client is tested against. Usage: llamacpp_server.py MODEL.gguf PORT [--embedding]
(`--embedding`: an embeddings server, mean-pooled). Prints `ready` once /health answers; serves
until killed."""
import sys, time, urllib.request
import xllamacpp as xlc

params = xlc.CommonParams()
params.model.path = sys.argv[1]
params.hostnames = ["127.0.0.1"]
params.port = int(sys.argv[2])
params.embedding = "--embedding" in sys.argv[3:]
if params.embedding:
    params.pooling_type = xlc.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
server = xlc.Server(params)
for _ in range(600):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{params.port}/health", timeout=1)
        print("ready", flush=True)
        break
    except OSError:
        time.sleep(0.1)
while True:
    time.sleep(3600)
