"""Context.score_continuation (llmrt_score_continuation) and the evaluation-harness adapter in
examples/python/eval_harness.py, against float64 log-softmax over logits_all decodes."""
import importlib.util
import math
from pathlib import Path

import pytest

import llmrt

EXAMPLE = Path(__file__).resolve().parents[3] / "examples/python/eval_harness.py"


def log_softmax(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(x - m) for x in row))
    return [x - lse for x in row]


def reference(model, prefix, cont):
    with llmrt.Context(model, logits_all=True, n_threads=1) as ctx:
        ctx.decode(prefix + cont)
        total, greedy = 0.0, True
        for j, tok in enumerate(cont):
            row = list(ctx.logits(len(prefix) - 1 + j))
            total += log_softmax(row)[tok]
            greedy = greedy and max(range(len(row)), key=lambda i: (row[i], -i)) == tok
    return total, greedy


def greedy_tokens(model, prefix, n):
    with llmrt.Context(model, n_threads=1) as ctx:
        ctx.decode(prefix)
        out = []
        for _ in range(n):
            row = list(ctx.logits())
            out.append(max(range(len(row)), key=lambda i: (row[i], -i)))
            ctx.decode([out[-1]])
    return out


def test_score_matches_logits(model):
    prefix = model.tokenize("Once upon a time, there was a little")
    cont = model.tokenize(" girl named Lily who loved", add_special=False)
    want, _ = reference(model, prefix, cont)
    with llmrt.Context(model, n_threads=1) as ctx:  # no logits_all: the call needs none
        got, greedy = ctx.score_continuation(prefix, cont)
    assert got == pytest.approx(want, abs=1e-5)
    assert got < 0 and isinstance(greedy, bool)


def test_greedy_flag(model):
    prefix = model.tokenize("Once upon a time")
    cont = greedy_tokens(model, prefix, 5)
    with llmrt.Context(model, n_threads=1) as ctx:
        lp, greedy = ctx.score_continuation(prefix, cont)
        assert greedy
        assert lp == pytest.approx(reference(model, prefix, cont)[0], abs=1e-5)
        changed = cont[:-1] + [(cont[-1] + 1) % model.n_vocab]
        assert ctx.score_continuation(prefix, changed)[1] is False


def test_cached_prefix_gives_the_same_scores(model):
    prefix = model.tokenize("Once upon a time, there was a dog")
    endings = [model.tokenize(t, add_special=False) for t in (" named Max.", " who liked to run", " and a cat")]
    with llmrt.Context(model, n_threads=1) as shared:
        reused = [shared.score_continuation(prefix, e) for e in endings]
        # Another sequence in between, then back to the first: the cache is replaced correctly.
        shared.score_continuation(model.tokenize("The sun"), endings[0])
        again = shared.score_continuation(prefix, endings[1])
    for e, (lp, greedy) in zip(endings, reused):
        with llmrt.Context(model, n_threads=1) as fresh:
            assert (lp, greedy) == pytest.approx(fresh.score_continuation(prefix, e), abs=1e-6)
    assert again == pytest.approx(reused[1], abs=1e-6)


def test_score_errors(model):
    with llmrt.Context(model, n_ctx=16, n_threads=1) as ctx:
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.score_continuation([1, 2], [])
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.score_continuation([], [5])
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.score_continuation([1], [model.n_vocab])
        with pytest.raises(llmrt.ContextFullError):
            ctx.score_continuation(list(range(1, 12)), list(range(1, 7)))
        assert ctx.score_continuation([1, 2], [3])[0] < 0  # still usable


def test_harness_adapter(model_path):
    spec = importlib.util.spec_from_file_location("eval_harness", EXAMPLE)
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    requests = [("Once upon a time, there was a", " little girl"), ("Lily liked to play ", "outside.")]

    class Instance:  # lm-eval passes objects with .args
        def __init__(self, args):
            self.args = args

    with harness.LlmrtLM(model_path, n_threads=1) as lm:
        got = lm.loglikelihood([requests[0], Instance(requests[1])])
        model = lm.model
        for (context, continuation), (lp, greedy) in zip(requests, got):
            # lm-eval's split: trailing spaces of the context go to the continuation.
            stripped = context.rstrip(" ")
            continuation = context[len(stripped):] + continuation
            whole = model.tokenize(stripped + continuation)
            n = len(model.tokenize(stripped))
            want_lp, want_greedy = reference(model, whole[:n], whole[n:])
            assert lp == pytest.approx(want_lp, abs=1e-5)
            assert greedy == want_greedy
