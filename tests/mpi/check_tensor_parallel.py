"""Tensor parallelism (llmrt_model_params.tensor_parallel) against the real single-process run:
the same command under `mpirun -np N ... --tensor-parallel` must print the same greedy tokens
(and the same perplexity) as without MPI, and print it once. Loopback only (shared memory).

Usage: check_tensor_parallel.py --tool LLMRT --mpirun MPIRUN --case CASE --model PATH [--text FILE]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

# Root in containers; more ranks than cores on a small machine; shared memory between the ranks
# of this one host (no network), without the cross-memory-attach copy containers often forbid;
# ob1, the messaging layer over those, named so that MPI_Init does not probe UCX first (0.3 s a
# job). tests/mpi.cmake passes mpirun the same flags.
MPIRUN_FLAGS = ["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader",
                "--mca", "btl_vader_single_copy_mechanism", "none", "--mca", "pml", "ob1"]
PROMPT = "Once upon a time"


class CheckFailed(Exception):
    pass


def run(command, timeout=100):
    start = time.monotonic()
    proc = subprocess.run(command, capture_output=True, timeout=timeout)
    out = proc.stdout.decode("utf-8", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise CheckFailed(f"`{' '.join(command)}` exited with {proc.returncode}\nstdout:\n{out}\nstderr:\n{err}")
    print(f"{time.monotonic() - start:5.1f} s  {' '.join(command)}")
    return out


def run_json(command):
    out = run(command)
    try:
        return json.loads(out)  # one JSON document: a second rank printing would break it
    except json.JSONDecodeError as e:
        raise CheckFailed(f"`{' '.join(command)}` did not print exactly one JSON document ({e}):\n{out}")


def under_mpi(a, n_ranks, args):
    return [a.mpirun] + MPIRUN_FLAGS + ["-np", str(n_ranks), a.tool] + args + ["--tensor-parallel"]


def check_generate(a, ranks, n_tokens=48):
    # -t 1: the ranks already share the cores.
    args = ["generate", "-m", a.model, "-p", PROMPT, "-n", str(n_tokens), "--temp", "0", "--ignore-eos", "-t", "1",
            "--json"]
    want = run_json([a.tool] + args)
    for n in ranks:
        got = run_json(under_mpi(a, n, args))
        if got["tokens"] != want["tokens"]:
            raise CheckFailed(f"{n} ranks generated {got['tokens']}, one process {want['tokens']}")
        if got["text"] != want["text"]:
            raise CheckFailed(f"{n} ranks: text {got['text']!r}, one process {want['text']!r}")
    print(f"{len(want['tokens'])} tokens identical with {', '.join(map(str, ranks))} ranks")


def check_perplexity(a, ranks):
    args = ["perplexity", "-m", a.model, "-f", a.text, "-c", "128", "--chunks", "4", "-t", "1", "--json"]
    want = run_json([a.tool] + args)
    for n in ranks:
        got = run_json(under_mpi(a, n, args))
        rel = abs(got["ppl"] - want["ppl"]) / want["ppl"]
        if got["chunks"] != want["chunks"] or rel > 1e-4:
            raise CheckFailed(f"{n} ranks: PPL {got['ppl']} over {got['chunks']} chunks, "
                              f"one process {want['ppl']} over {want['chunks']} (relative {rel:.2e})")
        print(f"{n} ranks: PPL {got['ppl']:.6f}, one process {want['ppl']:.6f} (relative {rel:.2e})")


CASES = {
    "generate_np2": lambda a: check_generate(a, [2]),
    "generate_np2_np4": lambda a: check_generate(a, [2, 4]),
    "perplexity_np2": lambda a: check_perplexity(a, [2]),
    # The random-weight synthetic checkpoints: 16 tokens, as their float64 references check (each
    # token under mpirun costs more than the single process's on this small machine).
    "synthetic_np2": lambda a: check_generate(a, [2], 16),
    "synthetic_np2_np4": lambda a: check_generate(a, [2, 4], 16),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--mpirun", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--text")
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    a = parser.parse_args()
    try:
        CASES[a.case](a)
    except (CheckFailed, subprocess.TimeoutExpired) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
