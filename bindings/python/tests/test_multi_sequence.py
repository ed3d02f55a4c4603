"""Several sequences in one Context (decode_multi, seq_*) and Context.beam_search, against the
same model run one sequence at a time and a plain beam search written here."""
import math

import pytest

import llmrt


def alone(model, tokens):
    """Next-token logits after tokens, from a fresh single-sequence context."""
    with llmrt.Context(model, n_ctx=128, n_threads=1) as ctx:
        ctx.decode(tokens)
        return list(ctx.logits())


def log_softmax(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(x - m) for x in row))
    return [x - lse for x in row]


def test_sequences_decoded_together_match_each_alone(model):
    prompts = [model.tokenize("Once upon a time"), model.tokenize("The dog ran to the"),
               model.tokenize("Lily and Tom were friends. One day")]
    with llmrt.Context(model, n_ctx=64, n_threads=2, n_seq_max=3) as ctx:
        assert ctx.n_seq_max == 3
        tokens = [t for p in prompts for t in p]
        seqs = [s for s, p in enumerate(prompts) for _ in p]
        ctx.decode_multi(tokens, seqs)
        last = [sum(len(p) for p in prompts[:s + 1]) - 1 for s in range(3)]
        for s, p in enumerate(prompts):
            assert ctx.seq_n_past(s) == len(p)
            got, expected = ctx.logits(last[s]), alone(model, p)
            assert max(abs(a - b) for a, b in zip(got, expected)) < 1e-4
        # One more token each, in one call.
        ctx.decode_multi([100, 200, 300], [0, 1, 2])
        for s, p in enumerate(prompts):
            expected = alone(model, p + [100 * (s + 1)])
            assert max(abs(a - b) for a, b in zip(ctx.logits(s), expected)) < 1e-4


def test_copy_remove_truncate(model):
    prompt = model.tokenize("Once upon a time, there was")
    with llmrt.Context(model, n_ctx=64, n_threads=2, n_seq_max=2) as ctx:
        ctx.decode(prompt)
        assert ctx.seq_n_past(0) == ctx.n_past == len(prompt)
        ctx.seq_copy(0, 1)
        ctx.decode_multi([50, 60], [0, 1])
        assert max(abs(a - b) for a, b in zip(ctx.logits(1), alone(model, prompt + [60]))) < 1e-4
        ctx.seq_truncate(1, 3)
        assert ctx.seq_n_past(1) == 3
        ctx.seq_remove(1)
        assert ctx.seq_n_past(1) == 0
        assert ctx.seq_n_past(0) == len(prompt) + 1


def test_bad_sequences_raise(model):
    with llmrt.Context(model, n_ctx=8, n_threads=1, n_seq_max=2) as ctx:
        with pytest.raises(llmrt.InvalidArgumentError, match="sequence id 2"):
            ctx.decode_multi([1, 2], [0, 2])
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.decode_multi([1, 2], [0])
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.seq_n_past(5)
        with pytest.raises(llmrt.InvalidArgumentError):
            ctx.seq_copy(0, 7)
        with pytest.raises(llmrt.ContextFullError):
            ctx.decode_multi([5] * 9, [1] * 9)
        assert ctx.seq_n_past(1) == 0
    with pytest.raises(llmrt.InvalidArgumentError, match="n_seq_max"):
        llmrt.Context(model, n_seq_max=0)


def plain_beam_search(model, prompt, num_beams, max_new_tokens, length_penalty, early_stopping, eos):
    """Hugging Face's rules, re-evaluating each beam from scratch."""
    running, kept = [([], 0.0)], []
    for length in range(1, max_new_tokens + 1):
        cands = []
        for b, (toks, total) in enumerate(running):
            lp = log_softmax(alone(model, prompt + toks))
            cands += [(total + lp[v], b, v) for v in range(len(lp))]
        cands.sort(key=lambda c: (-c[0], c[1], c[2]))
        nxt = []
        for rank, (total, b, v) in enumerate(cands[:2 * num_beams]):
            toks = running[b][0] + [v]
            done = v == eos or length == max_new_tokens
            if done and rank < num_beams:
                kept.append((toks, total / length ** length_penalty))
                kept.sort(key=lambda h: -h[1])
                del kept[num_beams:]
            elif not done and len(nxt) < num_beams:
                nxt.append((toks, total))
        if not nxt:
            break
        if len(kept) == num_beams:
            if early_stopping is True:
                break
            best_len = max_new_tokens if early_stopping == "never" and length_penalty > 0 else length
            if not nxt[0][1] / best_len ** length_penalty > kept[-1][1]:
                break
        running = nxt
    return kept


@pytest.mark.parametrize("num_beams,length_penalty,early_stopping", [(2, 1.0, False), (3, 0.5, True),
                                                                     (3, 2.0, "never")])
def test_beam_search_matches_a_plain_one(model, num_beams, length_penalty, early_stopping):
    prompt = model.tokenize("Once upon a time")
    period = model.tokenize("He ran.", add_special=False)[-1]  # ends hypotheses early (eos_token_id)
    expected = plain_beam_search(model, prompt, num_beams, 24, length_penalty, early_stopping, period)
    assert any(h[0][-1] == period for h in expected)
    with llmrt.Context(model, n_ctx=64, n_threads=2, n_seq_max=num_beams) as ctx:
        got = ctx.beam_search(prompt, num_beams=num_beams, max_new_tokens=24, length_penalty=length_penalty,
                              early_stopping=early_stopping, num_return_sequences=num_beams, eos_token_id=period)
        assert [h.tokens for h in got] == [h[0] for h in expected]
        assert all(abs(h.score - e[1]) < 1e-4 for h, e in zip(got, expected))
        # Text prompts are tokenized with BOS, like the ids above.
        assert ctx.beam_search("Once upon a time", num_beams=num_beams, max_new_tokens=24, length_penalty=length_penalty,
                               early_stopping=early_stopping, eos_token_id=period)[0] == got[0]


def test_beam_search_bad_settings_raise(model):
    with llmrt.Context(model, n_ctx=64, n_threads=1, n_seq_max=2) as ctx:
        with pytest.raises(llmrt.InvalidArgumentError, match="n_seq_max"):
            ctx.beam_search("Once", num_beams=4)
        with pytest.raises(ValueError):
            ctx.beam_search("Once", num_beams=2, early_stopping="sometimes")
        with pytest.raises(llmrt.ContextFullError):
            ctx.beam_search("Once", num_beams=2, max_new_tokens=100)
