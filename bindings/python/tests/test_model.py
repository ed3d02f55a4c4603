"""Loading, introspection, tokenizer, lifetimes."""
import pytest

import llmrt


def test_library_loads_with_the_expected_api_version():
    assert llmrt._native.lib.llmrt_api_version() == llmrt.API_VERSION
    assert llmrt._native.lib.llmrt_api_version_minor() >= llmrt._native.API_VERSION_MINOR
    assert llmrt.library_version()


def test_version_rule_accepts_an_older_minor_and_refuses_a_newer(monkeypatch):
    # The package as if written for an older minor: a newer library runs it.
    monkeypatch.setattr(llmrt._native, "API_VERSION_MINOR", 0)
    llmrt._native._check_version()
    # Written for a minor the library does not have yet, or another major: refused.
    monkeypatch.setattr(llmrt._native, "API_VERSION_MINOR", llmrt._native.lib.llmrt_api_version_minor() + 1)
    with pytest.raises(llmrt.LibraryNotFoundError, match="newer library"):
        llmrt._native._check_version()
    monkeypatch.setattr(llmrt._native, "API_VERSION_MINOR", 0)
    monkeypatch.setattr(llmrt._native, "API_VERSION", llmrt.API_VERSION + 1)
    with pytest.raises(llmrt.LibraryNotFoundError):
        llmrt._native._check_version()


def test_load_bundled_model(model):
    assert model.architecture == "llama"
    assert model.n_vocab == 512
    assert model.n_params > 0
    assert model.n_layer > 0 and model.n_embd > 0
    assert model.bos == 1


def test_tokenize_matches_reference(model, reference):
    assert model.tokenize(reference["prompt"]) == reference["prompt_token_ids"]
    assert model.tokenize(reference["prompt"], add_special=False) == reference["prompt_token_ids"][1:]


def test_detokenize_and_pieces(model, reference):
    assert model.detokenize(reference["greedy_token_ids"]) == reference["greedy_text"]
    assert model.token_to_piece(reference["greedy_token_ids"][0]) == b","


def test_context_manager_closes_handles(model_path):
    with llmrt.Model.load(model_path) as model:
        with llmrt.Context(model, n_ctx=128) as ctx:
            assert ctx.n_ctx == 128
        assert ctx.closed
    assert model.closed
    with pytest.raises(llmrt.InvalidArgumentError, match="closed"):
        model.tokenize("hello")
    with pytest.raises(llmrt.InvalidArgumentError, match="closed"):
        ctx.decode([1])


def test_closing_model_before_context_is_safe(model_path):
    model = llmrt.Model.load(model_path)
    ctx = llmrt.Context(model)
    model.close()  # the native model stays alive for the context
    ctx.decode([1, 403])
    assert len(ctx.logits()) == 512
    ctx.close()


def test_decode_logits_and_sampler_give_the_reference_greedy_tokens(model, reference):
    with llmrt.Context(model) as ctx, llmrt.Sampler(temperature=0) as sampler:
        ctx.decode(reference["prompt_token_ids"])
        generated = []
        for _ in range(len(reference["greedy_token_ids"])):
            token = sampler.sample(ctx.logits())
            generated.append(token)
            ctx.decode([token])
        assert generated == reference["greedy_token_ids"]
        assert ctx.n_past == len(reference["prompt_token_ids"]) + len(generated)
        ctx.reset()
        assert ctx.n_past == 0


def test_logits_all(model, reference):
    ids = reference["prompt_token_ids"]
    with llmrt.Context(model, logits_all=True) as ctx:
        ctx.decode(ids)
        assert len(ctx.logits(0)) == model.n_vocab
        assert list(ctx.logits(len(ids) - 1)) == list(ctx.logits())


def test_kv_type_reaches_the_library(model, reference):
    """Every cache type gives logits other than the f32 cache's (so the setting took effect) and
    near them (their accuracy is measured by the C API tests); an unknown name is refused before
    reaching C."""
    ids = reference["prompt_token_ids"]
    with llmrt.Context(model) as ctx:
        ctx.decode(ids)
        base = list(ctx.logits())
    for kv_type in ("f16", "bf16", "int8"):
        with llmrt.Context(model, kv_type=kv_type) as ctx:
            ctx.decode(ids)
            got = list(ctx.logits())
        diff = max(abs(a - b) for a, b in zip(base, got))
        assert 0.0 < diff < 0.05 * max(abs(x) for x in base), (kv_type, diff)
    with pytest.raises(ValueError, match="kv_type"):
        llmrt.Context(model, kv_type="int3")
    assert llmrt.kv_types() == {"f32": 0, "f16": 1, "bf16": 2, "int8": 3}  # llmrt.h's LLMRT_KV_*


def test_context_full(model):
    with llmrt.Context(model, n_ctx=8) as ctx:
        with pytest.raises(llmrt.ContextFullError):
            ctx.decode(list(range(1, 20)))


def test_profiling_counts_decode_steps_per_op(model, reference):
    with llmrt.Context(model, n_ctx=64) as ctx:
        with pytest.raises(llmrt.InvalidArgumentError, match="profiling"):
            ctx.profile()
        ctx.set_profiling(True)
        ctx.decode(reference["prompt_token_ids"])
        for token in reference["greedy_token_ids"][:3]:
            ctx.decode([token])
        p = ctx.profile()
        assert p["decode"]["steps"] == 3 and p["decode"]["tokens"] == 3
        assert p["prefill"]["tokens"] == len(reference["prompt_token_ids"])
        ops = {op["op"]: op for op in p["decode"]["ops"]}
        assert ops["matmul.ffn_down"]["calls"] == 3 * model.n_layer
        per_token = sum(op["bytes"] * op["calls"] for op in ops.values()) / 3
        assert per_token < model.decode_read_bytes < model.weight_bytes
