"""An object in use stays alive: closing a context, sampler or model that a running generation
uses ends it for its owner (calls on it raise InvalidArgumentError), but the native object is only
freed when the generation is done with it, so the generation finishes exactly as it would have."""
import pytest

import llmrt

SAMPLED = dict(temperature=0.8, top_p=0.9, top_k=40, min_p=0.05, seed=42)


@pytest.fixture
def sampled_text(model, reference):
    """What 40 sampled tokens give when nothing is closed early."""
    return model.generate(reference["prompt"], max_new_tokens=40, **SAMPLED)


def test_closing_the_sampler_of_an_open_stream(model, reference, sampled_text):
    with llmrt.Context(model) as ctx:
        sampler = llmrt.Sampler(**SAMPLED)
        stream = model.generate(reference["prompt"], stream=True, max_new_tokens=40, context=ctx, sampler=sampler)
        first = next(stream)
        sampler.close()
        assert sampler.closed
        with pytest.raises(llmrt.InvalidArgumentError, match="closed"):
            sampler.reset()
        assert first + "".join(stream) == sampled_text


def test_closing_everything_under_an_open_stream(model_path, reference, sampled_text):
    model = llmrt.Model.load(model_path)
    ctx = llmrt.Context(model)
    sampler = llmrt.Sampler(**SAMPLED)
    stream = model.generate(reference["prompt"], stream=True, max_new_tokens=40, context=ctx, sampler=sampler)
    first = next(stream)
    for handle in (ctx, sampler, model):
        handle.close()
    with pytest.raises(llmrt.InvalidArgumentError, match="closed"):
        ctx.decode([1])
    with pytest.raises(llmrt.InvalidArgumentError, match="closed"):
        model.tokenize("x")
    assert first + "".join(stream) == sampled_text


def test_closing_from_the_callback(model, reference, sampled_text):
    with llmrt.Context(model) as ctx, llmrt.Sampler(**SAMPLED) as sampler:
        def close_both(piece, token):
            sampler.close()
            ctx.close()

        text = model.generate_with_callback(reference["prompt"], close_both, max_new_tokens=40, context=ctx,
                                            sampler=sampler)
        assert text == sampled_text
        assert ctx.closed and sampler.closed


def test_a_closed_handle_cannot_start_a_generation(model, reference):
    sampler = llmrt.Sampler(temperature=0)
    sampler.close()
    with pytest.raises(llmrt.InvalidArgumentError, match="Sampler has been closed"):
        model.generate(reference["prompt"], stream=True, sampler=sampler)
    with llmrt.Context(model) as ctx:
        pass
    with pytest.raises(llmrt.InvalidArgumentError, match="Context has been closed"):
        model.generate(reference["prompt"], context=ctx)


def test_an_abandoned_stream_lets_its_handles_go(model, reference):
    # The stream's uses are given back when it is closed: then closing the sampler frees it at once.
    with llmrt.Sampler(temperature=0) as sampler:
        stream = model.generate(reference["prompt"], stream=True, max_new_tokens=8, sampler=sampler)
        next(stream)
        stream.close()
        assert sampler._users == 0
    assert sampler._native is None


def test_a_stream_replaced_by_another_generation_says_so(model, reference):
    with llmrt.Context(model) as ctx, llmrt.Sampler(temperature=0) as sampler:
        first = model.generate(reference["prompt"], stream=True, max_new_tokens=8, context=ctx, sampler=sampler)
        next(first)
        ctx.reset()
        second = model.generate(reference["prompt"], stream=True, max_new_tokens=32, context=ctx, sampler=sampler)
        with pytest.raises(llmrt.InvalidArgumentError, match="this stream has ended"):
            next(first)
        first.close()  # does not end the second stream
        assert "".join(second) == reference["greedy_text"]
