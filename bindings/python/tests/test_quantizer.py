"""Quantization with a progress callback (skipped until the library implements it: issue 3)."""
import contextlib
import os

import pytest

import llmrt

from conftest import SOURCE_DIR

SOURCE_DIR_SHARED = SOURCE_DIR.parent / "shared"

needs_quantizer = pytest.mark.skipif(not llmrt.has_quantizer(), reason="libllmrt does not implement quantization yet")


@contextlib.contextmanager
def skip_if_unsupported():
    """The quantizer API may exist before the library supports a weight type (issue 3)."""
    try:
        yield
    except llmrt.UnsupportedError as e:
        pytest.skip(f"the library cannot quantize this yet: {e}")


@pytest.mark.skipif(llmrt.has_quantizer(), reason="the library implements quantization")
def test_quantizer_reports_unsupported_until_the_library_has_it():
    with pytest.raises(llmrt.UnsupportedError, match="quantization"):
        llmrt.Quantizer("int8")


@needs_quantizer
def test_quantize_with_progress(model_path, tmp_path):
    out = tmp_path / "stories260K-int8.llmrt"
    reports = []
    with llmrt.Quantizer("int8", group_size=32) as quantizer, skip_if_unsupported():
        quantizer.quantize(model_path, out, progress=lambda fraction, tensor: reports.append((fraction, tensor)))
    assert out.exists() and out.stat().st_size > 0
    assert reports and all(0.0 <= f <= 1.0 for f, _ in reports)
    assert [f for f, _ in reports] == sorted(f for f, _ in reports)
    with llmrt.Model.load(out) as model:
        assert model.generate("Once upon a time", max_new_tokens=8, temperature=0)


@needs_quantizer
def test_progress_returning_true_cancels_and_writes_nothing(model_path, tmp_path):
    out = tmp_path / "cancelled.llmrt"
    with llmrt.Quantizer("int8") as quantizer, skip_if_unsupported(), pytest.raises(llmrt.CancelledError):
        quantizer.quantize(model_path, out, progress=lambda fraction, tensor: True)
    assert not out.exists()
    assert os.listdir(tmp_path) == []


@needs_quantizer
def test_exception_in_progress_propagates(model_path, tmp_path):
    def explode(fraction, tensor):
        raise KeyError("from progress")

    with llmrt.Quantizer("int8") as quantizer, skip_if_unsupported(), pytest.raises(KeyError):
        quantizer.quantize(model_path, tmp_path / "x.llmrt", progress=explode)


@needs_quantizer
@needs_quantizer
def test_weight_dtypes_lists_what_the_quantizer_accepts():
    names = llmrt.weight_dtypes()
    assert names[:2] == ["int8", "int4"] and "nf4" in names and len(names) == len(set(names))
    for name in names:
        llmrt.Quantizer(name)  # each listed name is accepted
    with pytest.raises(llmrt.InvalidArgumentError, match=", ".join(names)):
        llmrt.Quantizer("int3")  # and the error lists them all


def test_unknown_weight_type_is_rejected():
    with pytest.raises(llmrt.InvalidArgumentError):
        llmrt.Quantizer("int3")


@needs_quantizer
def test_quantize_while_loading(model_path):
    with skip_if_unsupported(), llmrt.Model.load(model_path, quantize={"weight_dtype": "int8"}) as model:
        assert model.generate("Once upon a time", max_new_tokens=8, temperature=0)


@needs_quantizer
@needs_quantizer
def test_override_pairs_and_mapping_equal_the_string_form(model_path):
    def loaded(overrides):
        spec = {"weight_dtype": "int4", "tensor_overrides": overrides}
        with llmrt.Model.load(model_path, quantize=spec) as model:
            return [(t.type, t.n_tensors) for t in model.tensor_types(as_loaded=True)]

    text = loaded("token_embd=f32;attn_q=int8_g64_asym_fp16")
    assert ("int8_g64_asym_fp16", 5) in text
    assert loaded([("token_embd", "f32"), ("attn_q", "int8_g64_asym_fp16")]) == text
    assert loaded({"token_embd": "f32", "attn_q": "int8_g64_asym_fp16"}) == text
    assert loaded([]) == loaded("")
    with pytest.raises(ValueError, match="pair"):
        loaded([("token_embd",)])


def test_closing_the_quantizer_from_progress_finishes_the_file(model_path, tmp_path):
    # The quantizer is in use until quantize() returns: closing it then only ends it for its owner.
    out = tmp_path / "closed-meanwhile.llmrt"
    quantizer = llmrt.Quantizer("int8")
    quantizer.quantize(model_path, out, progress=lambda fraction, tensor: quantizer.close())
    assert quantizer.closed
    with llmrt.Model.load(out) as model:
        assert model.generate("Once upon a time", max_new_tokens=8, temperature=0)


@needs_quantizer
def test_bad_quantizer_arguments_are_refused(model_path, tmp_path):
    with pytest.raises(OverflowError, match="^group_size = "):
        llmrt.Quantizer("int8", group_size=2**32 + 32)
    with pytest.raises(ValueError, match="^weight_dtype contains a NUL"):
        llmrt.Quantizer("int8\0")
    with llmrt.Quantizer("int8") as quantizer, pytest.raises(ValueError, match="^output_path contains a NUL"):
        quantizer.quantize(model_path, str(tmp_path / "x\0.llmrt"))


@needs_quantizer
def test_gptq_with_a_calibration_text(model_path, tmp_path):
    """GPTQ from Python: the settings reach the library (a bad calibration path is its I/O error),
    progress names the blocks, and the weights take the bytes round to nearest gives."""
    calib = SOURCE_DIR_SHARED / "data/calibration/tinyshakespeare.txt"
    if not calib.exists():
        pytest.skip("no calibration text")
    settings = dict(group_size=32, algorithm="gptq", n_samples=4, seq_len=64, seed=3, gptq_damp=0.02)
    with llmrt.Quantizer("int4", calibration_path=tmp_path / "missing.txt", **settings) as quantizer:
        with pytest.raises(llmrt.LlmrtError):
            quantizer.quantize(model_path, tmp_path / "x.llmrt")
    reports = []
    with llmrt.Quantizer("int4", calibration_path=calib, **settings) as quantizer:
        quantizer.quantize(model_path, tmp_path / "gptq.llmrt", progress=lambda f, what: reports.append(what))
    with llmrt.Quantizer("int4", group_size=32) as quantizer:
        quantizer.quantize(model_path, tmp_path / "rtn.llmrt")
    assert any(what.startswith("block 0") for what in reports)
    with llmrt.Model.load(tmp_path / "gptq.llmrt") as gptq, llmrt.Model.load(tmp_path / "rtn.llmrt") as rtn:
        assert gptq.weight_bytes == rtn.weight_bytes and gptq.weight_type == rtn.weight_type
        assert gptq.generate("Once upon a time", max_new_tokens=4, temperature=0)


@needs_quantizer
def test_export_to_gguf(model_path, tmp_path):
    """output_format reaches the library: a GGUF file that loads and generates what the llmrt file
    of the same quantization does; a type GGUF cannot hold is UnsupportedError naming the tensor."""
    settings = dict(group_size=32, scale_dtype="fp16", tensor_overrides="token_embd=int8;ffn_down=f32")
    with llmrt.Quantizer("int4", output_format="gguf", **settings) as quantizer:
        quantizer.quantize(model_path, tmp_path / "q4_0.gguf")
    with llmrt.Quantizer("int4", **settings) as quantizer:
        quantizer.quantize(model_path, tmp_path / "q4_0.llmrt")
    assert (tmp_path / "q4_0.gguf").read_bytes()[:4] == b"GGUF"
    with llmrt.Model.load(tmp_path / "q4_0.gguf") as gguf, llmrt.Model.load(tmp_path / "q4_0.llmrt") as ours:
        assert gguf.generate("Once upon a time", max_new_tokens=8, temperature=0) == \
            ours.generate("Once upon a time", max_new_tokens=8, temperature=0)
    refused = pytest.raises(llmrt.UnsupportedError, match="^tensor '.+' is .+GGUF cannot hold")
    with llmrt.Quantizer("nf4", output_format="gguf") as quantizer, refused:
        quantizer.quantize(model_path, tmp_path / "nf4.gguf")
    assert not (tmp_path / "nf4.gguf").exists()


@needs_quantizer
def test_smoothquant_settings_reach_the_library(model_path, tmp_path):
    """SmoothQuant W8A8 from Python: the sq_* settings reach the library (a bad activation mode
    is refused by it), and the static-activation model loads and generates."""
    full = SOURCE_DIR_SHARED / "data/calibration/tinyshakespeare.txt"
    if not full.exists():
        pytest.skip("no calibration text")
    # Its first 16 KB: 4 samples of 64 tokens need no more, and tokenizing 1.1 MB takes a second.
    calib = tmp_path / "calib.txt"
    calib.write_bytes(full.read_bytes()[:16384])
    with pytest.raises(llmrt.InvalidArgumentError, match="sq_activations"):
        llmrt.Quantizer("int8", algorithm="smoothquant", calibration_path=calib, sq_act="sometimes")
    settings = dict(algorithm="smoothquant", group_size=-1, calibration_path=calib, n_samples=4, seq_len=64,
                    sq_alpha="auto", sq_alpha_min=0.4, sq_alpha_max=0.6, sq_alpha_step=0.1, sq_criterion="max",
                    sq_act="static", sq_act_percentile=99.9, sq_keep=["lm_head", "output.weight"])
    with llmrt.Quantizer("int8", **settings) as quantizer:
        quantizer.quantize(model_path, tmp_path / "sq.llmrt")
    with llmrt.Model.load(tmp_path / "sq.llmrt") as sq:
        assert sq.weight_type.startswith("int8")
        assert sq.generate("Once upon a time", max_new_tokens=4, temperature=0)


@needs_quantizer
def test_scale_and_compute_types_by_name(model_path):
    """scale_dtype and compute_dtype take the names the library gives its LLMRT_SCALE_* and
    LLMRT_COMPUTE_* constants; the stored scales follow; an unknown name lists the known ones."""
    params = llmrt.quantizer.quant_params("int4", scale_dtype="bf16", compute_dtype="fp32", tensor_overrides="")
    assert (params.scale_type, params.compute_type) == (1, 1)  # LLMRT_SCALE_BF16, LLMRT_COMPUTE_F32
    with llmrt.Model.load(model_path, quantize={"weight_dtype": "int4", "scale_dtype": "fp16",
                                                "tensor_overrides": ""}) as model:
        assert model.weight_type == "int4_g32_sym_fp16"
    with pytest.raises(ValueError, match=r"scale_dtype must be one of \['fp32', 'bf16', 'fp16'\], not 'fp64'"):
        llmrt.quantizer.quant_params("int4", scale_dtype="fp64")
    with pytest.raises(ValueError, match="compute_dtype must be one of"):
        llmrt.Model.load(model_path, compute_dtype="int7")
