"""Handles are released deterministically: repeated load/free does not grow the process."""
import gc

import llmrt


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def load_and_free(model_path: str) -> None:
    with llmrt.Model.load(model_path) as model, llmrt.Context(model, n_ctx=64) as ctx:
        ctx.decode([1, 403])


def test_200_load_free_cycles_do_not_grow_rss(model_path):
    for _ in range(20):  # warm up allocator pools and caches
        load_and_free(model_path)
    gc.collect()
    before = rss_kib()
    for _ in range(200):
        load_and_free(model_path)
    gc.collect()
    growth = rss_kib() - before
    # A leaked model would cost over 1 MiB per cycle (its weights alone); allow allocator noise.
    assert growth < 8 * 1024, f"RSS grew by {growth} KiB over 200 cycles"
