"""StreamingLLM: generation past the context window (shift="reevaluate" / "roped_k"), and
Context.shift for an application's own decode loop."""
import pytest

import llmrt

N_CTX = 64


@pytest.mark.parametrize("shift", ["reevaluate", "roped_k"])
def test_generation_runs_four_windows(model, shift):
    with llmrt.Context(model, n_ctx=N_CTX) as ctx:
        n_past = []
        model.generate_with_callback("Once upon a time", lambda piece, token: n_past.append(ctx.n_past),
                                     max_new_tokens=4 * N_CTX, stop_at_eos=False, temperature=0, context=ctx,
                                     shift=shift, n_keep=4, n_discard=-1)
        assert len(n_past) == 4 * N_CTX
        assert max(n_past) <= N_CTX
        # n_past drops by n_discard = (64 - 4) // 2 at every shift.
        assert any(b == a - 30 + 1 for a, b in zip(n_past, n_past[1:]))


def test_without_shift_a_full_window_ends_the_generation(model):
    with llmrt.Context(model, n_ctx=N_CTX) as ctx:
        stream = model.generate("Once upon a time", stream=True, max_new_tokens=4 * N_CTX, stop_at_eos=False,
                                temperature=0, context=ctx)
        assert len(list(stream)) < N_CTX
        assert ctx.n_past == N_CTX


def test_reevaluate_shift_equals_a_fresh_context(model):
    ids = [(7 * i + 3) % model.n_vocab for i in range(50)]
    with llmrt.Context(model, n_ctx=N_CTX) as ctx, llmrt.Context(model, n_ctx=N_CTX) as fresh:
        ctx.decode(ids)
        ctx.shift(4, 20, "reevaluate")
        assert ctx.n_past == 30
        fresh.decode(ids[:4] + ids[24:])
        assert max(abs(a - b) for a, b in zip(ctx.logits(), fresh.logits())) < 1e-4


def test_bad_shift_arguments_raise(model):
    with llmrt.Context(model, n_ctx=N_CTX) as ctx:
        ctx.decode([1, 2, 3, 4, 5, 6])
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.shift(6, 1)
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.shift(2, 2, "sideways")
        with pytest.raises(llmrt.InvalidArgumentError):
            model.generate("Once", context=ctx, shift="reevaluate", n_keep=N_CTX)
        assert ctx.n_past == 6


def test_learned_positions_refuse_roped_k():
    with llmrt.Model.load(str(llmrt_synthetic("gpt2"))) as gpt2, llmrt.Context(gpt2, n_ctx=N_CTX) as ctx:
        ctx.decode(list(range(1, 41)))
        with pytest.raises(llmrt.UnsupportedError, match="learned absolute position"):
            ctx.shift(4, 10, "roped_k")
        assert ctx.n_past == 40
        ctx.shift(4, 10, "reevaluate")
        assert ctx.n_past == 30


def llmrt_synthetic(name):
    from conftest import SOURCE_DIR
    path = SOURCE_DIR.parent / "shared/models/synthetic" / name
    if not path.exists():
        pytest.skip(f"{path} is not there")
    return path
