"""Generation: greedy reference, streaming, callbacks, cancellation."""
import threading

import pytest

import llmrt


def test_greedy_generation_equals_reference(model, reference):
    tokens = []
    text = model.generate_with_callback(reference["prompt"], lambda piece, token: tokens.append(token),
                                        max_new_tokens=len(reference["greedy_token_ids"]), temperature=0)
    assert tokens == reference["greedy_token_ids"]
    assert text == reference["greedy_text"]
    assert model.generate(reference["prompt"], max_new_tokens=32, temperature=0) == reference["greedy_text"]


def test_stream_yields_pieces_as_they_are_produced(model, reference):
    with llmrt.Context(model) as ctx:
        stream = model.generate(reference["prompt"], stream=True, max_new_tokens=32, temperature=0, context=ctx)
        first = next(stream)
        # Only the prompt and the first token have been evaluated so far.
        assert ctx.n_past <= len(reference["prompt_token_ids"]) + 1
        pieces = [first] + list(stream)
    assert len(pieces) > 1
    assert "".join(pieces) == reference["greedy_text"]
    assert stream.tokens == reference["greedy_token_ids"]


def test_stream_can_stop_early(model, reference):
    with model.generate(reference["prompt"], stream=True, max_new_tokens=32, temperature=0) as stream:
        first = next(stream)
    assert first == ","
    assert stream.tokens == reference["greedy_token_ids"][:1]


def test_callback_returning_true_cancels(model, reference):
    seen = []

    def stop_after_three(piece, token):
        seen.append(token)
        return len(seen) >= 3

    with pytest.raises(llmrt.CancelledError) as info:
        model.generate_with_callback(reference["prompt"], stop_after_three, max_new_tokens=32, temperature=0)
    assert info.value.status == 7
    assert seen == reference["greedy_token_ids"][:3]


def test_exception_in_callback_stops_and_is_reraised(model, reference):
    class Boom(Exception):
        pass

    calls = []

    def explode(piece, token):
        calls.append(token)
        raise Boom("from the callback")

    with pytest.raises(Boom, match="from the callback"):
        model.generate_with_callback(reference["prompt"], explode, max_new_tokens=32, temperature=0)
    assert len(calls) == 1


def test_cancel_from_another_thread(model, reference):
    started = threading.Event()

    def slow(piece, token):
        started.set()
        threading.Event().wait(0.005)  # gives the other thread time to cancel

    with llmrt.Context(model) as ctx:
        canceller = threading.Thread(target=lambda: (started.wait(5), ctx.cancel()))
        canceller.start()
        with pytest.raises(llmrt.CancelledError):
            model.generate_with_callback(reference["prompt"], slow, max_new_tokens=200, stop_at_eos=False,
                                         temperature=0, context=ctx)
        canceller.join()


def test_stop_strings(model, reference):
    text = model.generate(reference["prompt"], max_new_tokens=32, temperature=0, stop=["Lily"])
    assert text == reference["greedy_text"].split("Lily")[0]


def test_sampled_generation_is_reproducible(model, reference):
    settings = dict(max_new_tokens=40, temperature=0.8, top_p=0.9, top_k=40, min_p=0.05, seed=42)
    first = model.generate(reference["prompt"], **settings)
    assert first and first == model.generate(reference["prompt"], **settings)
    with llmrt.Sampler(temperature=0.8, top_p=0.9, top_k=40, min_p=0.05, seed=42) as sampler:
        assert "".join(model.generate(reference["prompt"], stream=True, max_new_tokens=40, sampler=sampler)) == first


def test_sampler_and_settings_are_exclusive(model):
    with llmrt.Sampler() as sampler, pytest.raises(ValueError):
        model.generate("x", sampler=sampler, temperature=0.5)
