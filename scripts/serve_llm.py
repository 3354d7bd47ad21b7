#!/usr/bin/env python3
"""Serve a GGUF model over llama.cpp's OpenAI-compatible HTTP API on 127.0.0.1, offline.

Usage: serve_llm.py MODEL.gguf PORT [MODEL_ID]
The server lists the model as MODEL_ID (default "gemma-3-270m"), the id requests name.
Prints "READY <address>" once listening; stops cleanly on SIGTERM or SIGINT. Needs the PyPI
package xllamacpp (scripts/requirements-llm.txt). Two threads and one slot: the same request
with the same seed gives the same text.
"""
import signal
import sys

import xllamacpp as xlc


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: serve_llm.py MODEL.gguf PORT [MODEL_ID]")
    params = xlc.CommonParams()
    params.model.path = sys.argv[1]
    params.model_alias = {sys.argv[3] if len(sys.argv) == 4 else "gemma-3-270m"}
    params.port = int(sys.argv[2])
    params.hostnames = ["127.0.0.1"]
    params.n_ctx = 4096
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.sampling.seed = 42
    params.use_jinja = True
    params.offline = True
    server = xlc.Server(params)
    print("READY", server.listening_address, flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    main()
