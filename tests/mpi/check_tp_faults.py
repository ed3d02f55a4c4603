"""A tensor-parallel job in which one rank fails must end, every rank of it, with an error and
within a bounded time, never hang. Runs tp_fault (tests/mpi/tp_fault.c: rank 1 fails after 4
decoded tokens) on 2 ranks under mpirun:

  none          nobody fails: the job succeeds (the control for the others)
  die           rank 1 calls _exit(3): mpirun (by default) ends the job
  die_no_abort  the same with mpirun told not to end a job when a rank exits non-zero
                (orte_abort_on_non_zero_status 0): rank 0 must give up by the collective timeout
                (mpirun then exits with 0 whatever the ranks' statuses: rank 0's error is the check)
  stall         rank 1 sleeps instead of decoding: rank 0 gives up by the timeout
  leave         rank 1 frees the model and returns 0 from main: rank 0 gives up by the timeout
  skipload      rank 1 sleeps instead of loading the model a second time, as rank 0 does: rank 0's
                load (collective) gives up by the timeout

Where rank 0 must give up, LLMRT_TP_TIMEOUT is short and rank 0 must report the timeout.

Usage: check_tp_faults.py --mpirun MPIRUN --program TP_FAULT --model PATH --case CASE
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from check_tensor_parallel import MPIRUN_FLAGS  # the script's own directory is on sys.path

TIMEOUT = 3         # LLMRT_TP_TIMEOUT where rank 0 must give up: well above a healthy step's wait
BOUND = 40          # seconds within which every job must have ended (mpirun's start is ~1-2 s)

DECODE = ("llmrt_decode", "MPI_Iallgatherv")
LOAD = ("llmrt_model_load", "MPI_Comm_idup")
# case: rank 1's fault, extra mpirun flags, whether mpirun's exit status reports the failure, and
# where rank 0 must report the collective timeout (the call and the collective; None: nowhere)
CASES = {
    "none": ("none", [], False, None),
    "die": ("die", [], True, None),
    "die_no_abort": ("die", ["--mca", "orte_abort_on_non_zero_status", "0"], False, DECODE),
    "stall": ("stall", [], True, DECODE),
    "leave": ("leave", [], True, DECODE),
    "skipload": ("skipload", [], True, LOAD),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpirun", required=True)
    parser.add_argument("--program", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    a = parser.parse_args()
    fault, flags, fails, times_out = CASES[a.case]

    env = dict(os.environ)
    env.pop("LLMRT_TP_TIMEOUT", None)  # the default (minutes) unless the case needs a short one
    if times_out:
        env["LLMRT_TP_TIMEOUT"] = str(TIMEOUT)
    command = [a.mpirun] + MPIRUN_FLAGS + flags + ["-np", "2", a.program, a.model, fault]
    start = time.monotonic()
    # A session of its own, so a hung job can be killed whole: mpirun and both ranks.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        print(f"FAILED: {a.case}: the job still ran after {BOUND} s (a hang):\n"
              f"{out.decode('utf-8', 'replace')}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - start
    text = out.decode("utf-8", "replace")
    print(f"{elapsed:5.1f} s, exit status {proc.returncode}: {' '.join(command)}\n{text}")

    problems = []
    if fault == "none":
        if proc.returncode != 0 or "tp_fault: done" not in text:
            problems.append("the job without a fault did not succeed")
    elif fails and proc.returncode == 0:
        problems.append("the job ended with status 0 although rank 1 failed")
    if times_out:
        call, collective = times_out
        want = (f"tp_fault: rank 0: {call}: i/o error: tensor parallelism: rank 0 of 2 waited {TIMEOUT} s "
                f"in {collective} for the other ranks")
        if want not in text:
            problems.append(f"rank 0 did not report the timeout (expected {want!r})")
        if elapsed < TIMEOUT:
            problems.append(f"ended after {elapsed:.1f} s, before the {TIMEOUT} s timeout could have passed")
    if problems:
        print(f"FAILED: {a.case}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"{a.case}: ended with status {proc.returncode} after {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
