"""Arguments the C API cannot take as given are refused, never silently changed: integers that do
not fit their C type (ctypes would keep the low 32 bits), and NUL characters in text that crosses
as a NUL-terminated string (it would end the string there). Text to tokenize takes a length, so
a NUL there is an ordinary character."""
import pytest

import llmrt


# ---- NUL characters ----

def test_tokenize_keeps_what_follows_a_nul(model):
    # stories260K: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then merged pieces.
    ids = model.tokenize("a\0b")
    nul = 3
    assert model.token_to_piece(nul) == b"\0"
    b = [t for t in range(259, model.n_vocab) if model.token_to_piece(t) == b"b"]
    assert ids == model.tokenize("a") + [nul] + b
    assert model.detokenize(ids) == "a\0b"


@pytest.mark.parametrize("call, name", [
    (lambda m: m.generate("Once\0 upon", max_new_tokens=1), "prompt"),
    (lambda m: m.generate("Once", stream=True, max_new_tokens=1, stop=["a", "b\0c"]), r"stop\[1\]"),
    (lambda m: m.generate_with_callback("Once\0", lambda p, t: None, max_new_tokens=1), "prompt"),
    (lambda m: llmrt.Model.load(m.path + "\0.txt"), "path"),
    (lambda m: llmrt.Model.load(m.path, compute_dtype="fp32\0"), "compute_dtype"),
    (lambda m: llmrt.Model.synthetic("stories260k\0"), "shape"),
])
def test_nul_in_c_string_text_is_refused(model, call, name):
    with pytest.raises(ValueError, match=f"^{name} contains a NUL character"):
        call(model)


# ---- integer ranges ----

def test_token_to_piece_out_of_int32(model):
    with pytest.raises(OverflowError, match="^token = 1099511627776 is out of range"):
        model.token_to_piece(2**40)
    assert model.token_to_piece(403) == b" Once"  # in range: still works


def test_detokenize_out_of_int32(model):
    with pytest.raises(OverflowError, match=r"^tokens\[1\] = 4294967301 is out of range"):
        model.detokenize([1, 2**32 + 5])


def test_decode_out_of_int32(model):
    with llmrt.Context(model, n_ctx=16) as ctx:
        with pytest.raises(OverflowError, match=r"^tokens\[0\]"):
            ctx.decode([2**32 + 5])
        assert ctx.n_past == 0
        with pytest.raises(OverflowError, match="^i = "):
            ctx.logits(2**40)


def test_max_new_tokens_out_of_int32(model):
    with pytest.raises(OverflowError, match="^max_new_tokens = 1099511627776 is out of range"):
        model.generate("Once", max_new_tokens=2**40)
    with pytest.raises(OverflowError, match="^min_new_tokens"):
        model.generate("Once", stream=True, min_new_tokens=-2**31 - 1)


def test_context_sizes_out_of_int32(model):
    with pytest.raises(OverflowError, match="^n_ctx = 2147483648 is out of range"):
        llmrt.Context(model, n_ctx=2**31)
    for name in ("n_batch", "n_threads"):
        with pytest.raises(OverflowError, match=f"^{name} = "):
            llmrt.Context(model, **{name: 2**32})
    assert model._users == 0  # the failed constructions took no use of the model


def test_sampler_settings_out_of_range():
    with pytest.raises(OverflowError, match="^top_k = "):
        llmrt.Sampler(top_k=2**31)
    with pytest.raises(OverflowError, match="^repetition_last_n = "):
        llmrt.Sampler(repetition_last_n=-2**40)
    with pytest.raises(OverflowError, match="^seed = -1 is out of range"):
        llmrt.Sampler(seed=-1)
    with pytest.raises(OverflowError, match="^seed = "):
        llmrt.Sampler(seed=2**64)
    with llmrt.Sampler(seed=2**64 - 1):  # the largest seed is valid
        pass
    with pytest.raises(TypeError, match="^top_k must be an integer"):
        llmrt.Sampler(top_k=1.5)


def test_load_settings_out_of_range(model_path):
    with pytest.raises(OverflowError, match="^n_threads = "):
        llmrt.Model.load(model_path, n_threads=2**32 + 1)
    with pytest.raises(OverflowError, match="^seed = "):
        llmrt.Model.synthetic("stories260k", seed=-5)
