#!/usr/bin/env python3
"""Load generator for `llmrt serve`: C clients, each sending R streamed completions one after the
other, on loopback only. Prints one markdown row per --parallel value: aggregate generated tokens/s,
time to first token (median, p95) and request latency (median, p95).

  scripts/bench_server.py --tool build/llmrt -m MODEL --parallel 1,2,4,8 --clients 8 --requests 4 -n 64
  scripts/bench_server.py --tool build/llmrt --synthetic tinyllama-1.1b --serve-args "--weight-dtype int4"

starts the server for each --parallel value (on a free port) and stops it afterwards;
--url http://127.0.0.1:PORT measures a server already running instead. Python standard library only.
"""
import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def one_request(host, port, body, timeout):
    """(seconds to the first token, seconds in all, completion tokens) of one streamed request."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        start = time.perf_counter()
        conn.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"status {resp.status}: {resp.read()[:200]!r}")
        first, tokens = None, 0
        for line in resp:
            if not line.startswith(b"data: ") or line.strip() == b"data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            elif first is None and chunk["choices"] and chunk["choices"][0]["text"]:
                first = time.perf_counter() - start
        return first or 0.0, time.perf_counter() - start, tokens
    finally:
        conn.close()


def run_load(host, port, a):
    body = json.dumps({"prompt": a.prompt, "max_tokens": a.n_predict, "temperature": 0, "stream": True,
                       "stream_options": {"include_usage": True}})
    results, errors = [], []
    lock = threading.Lock()

    def client():
        for _ in range(a.requests):
            try:
                r = one_request(host, port, body, a.timeout)
            except Exception as e:  # counted and reported, the others go on
                with lock:
                    errors.append(str(e))
                continue
            with lock:
                results.append(r)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors, time.perf_counter() - start


def p95(values):
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def row(label, results, errors, seconds, server_ttft=None):
    if not results:
        return f"| {label} | all {len(errors)} requests failed: {errors[:1]} |"
    ttft = server_ttft or [r[0] * 1e3 for r in results]
    latency = [r[1] * 1e3 for r in results]
    tokens = sum(r[2] for r in results)
    return (f"| {label} | {len(results)} | {len(errors)} | {tokens / seconds:.1f} | {statistics.median(ttft):.1f} | "
            f"{p95(ttft):.1f} | {statistics.median(latency):.1f} | {p95(latency):.1f} |")


class Server:
    def __init__(self, a, parallel):
        self.log = tempfile.NamedTemporaryFile(prefix="llmrt_bench_", suffix=".log")
        model = ["--synthetic", a.synthetic] if a.synthetic else ["-m", a.model]
        args = [a.tool, "serve", *model, *a.serve_args.split(), "--port", "0", "--parallel", str(parallel), "-t", str(a.threads),
                "--max-queue", str(a.clients * 2)]
        if a.ctx_size:
            args += ["-c", str(a.ctx_size)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log)
        end = time.time() + 120
        while time.time() < end and self.proc.poll() is None:
            m = re.search(r"listening on http://[^:]+:(\d+)", open(self.log.name).read())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not start:\n{open(self.log.name).read()}")

    def ttft_ms(self):
        """The server's own time to first token of each request (its log lines): a client sees a
        token only when it has text, which a synthetic model's random ids often lack."""
        return [float(x) for x in re.findall(r"ttft_ms=([0-9.]+)", open(self.log.name).read())]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running server (loopback only) instead of starting one")
    p.add_argument("--tool", help="the llmrt binary, to start the server")
    p.add_argument("-m", "--model", help="the model, to start the server")
    p.add_argument("--synthetic", help="a synthetic model shape instead of -m (llmrt serve --synthetic)")
    p.add_argument("--serve-args", default="", help="more options for llmrt serve, e.g. '--weight-dtype int4'")
    p.add_argument("--parallel", default="1,4", help="slots of each server started (comma-separated)")
    p.add_argument("-t", "--threads", type=int, default=2)
    p.add_argument("-c", "--ctx-size", type=int, default=0)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=4, help="requests per client, one after the other")
    p.add_argument("-n", "--n-predict", type=int, default=64)
    p.add_argument("--prompt", default="Once upon a time")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    a = p.parse_args()
    # Bounded: a load generator must not be turned into a flood.
    if not (1 <= a.clients <= 64 and 1 <= a.requests <= 100 and 1 <= a.n_predict <= 4096):
        p.error("--clients 1..64, --requests 1..100, -n 1..4096")
    print(f"{a.clients} clients x {a.requests} streamed requests, prompt {a.prompt!r}, max_tokens {a.n_predict}\n")
    print("| parallel | requests | errors | generated t/s | TTFT ms (median) | TTFT ms (p95) | latency ms (median) "
          "| latency ms (p95) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    if a.url:
        u = urllib.parse.urlparse(a.url)
        if u.hostname not in LOOPBACK:
            p.error("--url must be a loopback address")
        print(row("(running)", *run_load(u.hostname, u.port or 80, a)))
        return 0
    if not (a.tool and (a.model or a.synthetic)):
        p.error("give --url, or --tool and -m or --synthetic to start the server")
    for parallel in [int(x) for x in a.parallel.split(",")]:
        server = Server(a, parallel)
        try:
            results, errors, seconds = run_load("127.0.0.1", server.port, a)
            print(row(str(parallel), results, errors, seconds, server.ttft_ms()), flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
