"""Sampler settings and the stop callback: the keyword arguments reach the library (each one
changes the tokens in the way its definition says)."""
import math

import pytest

import llmrt


def repeated_bigrams(ids):
    seen, repeats = set(), 0
    for pair in zip(ids, ids[1:]):
        repeats += pair in seen
        seen.add(pair)
    return repeats


def greedy_ids(model, prompt, n, **kwargs):
    with model.generate(prompt, stream=True, max_new_tokens=n, stop_at_eos=False, temperature=0, **kwargs) as s:
        s.text()
        return s.tokens


def test_stop_callback_stops_at_the_requested_count(model, reference):
    seen = []

    def stop_at_five(tokens):
        seen.append(list(tokens))
        return len(tokens) >= 5

    tokens = []
    model.generate_with_callback(reference["prompt"], lambda piece, token: tokens.append(token),
                                 max_new_tokens=32, temperature=0, stop_callback=stop_at_five)
    assert [t for t in tokens if t >= 0] == reference["greedy_token_ids"][:5]
    assert seen == [reference["greedy_token_ids"][:i] for i in range(1, 6)]
    # The streaming form too, and min_new_tokens is a floor for it.
    assert greedy_ids(model, reference["prompt"], 32, stop_callback=lambda t: True, min_new_tokens=4) == \
        reference["greedy_token_ids"][:4]


def test_stop_callback_exception_stops_and_is_reraised(model, reference):
    def boom(tokens):
        if len(tokens) == 3:
            raise KeyError("from the stop callback")
        return False

    with pytest.raises(KeyError):
        model.generate(reference["prompt"], max_new_tokens=32, temperature=0, stop_callback=boom)
    stream = model.generate(reference["prompt"], stream=True, max_new_tokens=32, temperature=0, stop_callback=boom)
    with pytest.raises(KeyError):
        stream.text()
    assert stream.tokens == reference["greedy_token_ids"][:3]


def test_logit_bias_bans_and_checks_ids(model, reference):
    first = reference["greedy_token_ids"][0]
    for bias in ({first: -math.inf}, [(first, -math.inf)]):
        tokens = greedy_ids(model, reference["prompt"], 1, logit_bias=bias)
        assert tokens and tokens[0] != first
    with pytest.raises(llmrt.InvalidArgumentError, match=str(model.n_vocab)):
        model.generate(reference["prompt"], max_new_tokens=1, temperature=0, logit_bias={model.n_vocab: 1.0})


def test_no_repeat_ngram_size_covers_prompt_and_output(model, reference):
    prompt_ids = reference["prompt_token_ids"]
    plain = greedy_ids(model, reference["prompt"], 60)
    banned = greedy_ids(model, reference["prompt"], 60, no_repeat_ngram_size=2)
    assert repeated_bigrams(prompt_ids + plain) > 0
    assert len(banned) == 60 and repeated_bigrams(prompt_ids + banned) == 0


@pytest.mark.parametrize("name", ["presence_penalty", "frequency_penalty"])
def test_large_penalty_makes_every_generated_token_distinct(model, reference, name):
    n = 32  # within the default penalty window of 64 picked tokens
    plain = greedy_ids(model, reference["prompt"], n)
    assert len(set(plain)) < n
    penalised = greedy_ids(model, reference["prompt"], n, **{name: 1000.0})
    assert len(set(penalised)) == n
    with pytest.raises(llmrt.InvalidArgumentError):
        llmrt.Sampler(**{name: math.nan})
