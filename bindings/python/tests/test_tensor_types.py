"""Model.tensor_types(): a model's tensors by type, in its file and as loaded."""
from pathlib import Path

import pytest

import llmrt

Q4_K_M = Path(__file__).resolve().parents[4] / "shared/models/debdoc-8M-gguf/debdoc-8M-Q4_K_M.gguf"


def test_bundled_model(model):
    for as_loaded in (False, True):
        types = model.tensor_types(as_loaded=as_loaded)
        assert types and all(isinstance(t, llmrt.TensorType) for t in types)
        assert [t.n_params for t in types] == sorted((t.n_params for t in types), reverse=True)
    loaded = model.tensor_types(as_loaded=True)
    assert sum(t.n_params for t in loaded) == model.n_params
    assert sum(t.n_bytes for t in loaded) == model.weight_bytes
    assert loaded[0].type == model.weight_type


@pytest.mark.skipif(not Q4_K_M.exists(), reason="shared debdoc-8M GGUF files not present")
def test_k_quant_file():
    with llmrt.Model.load(Q4_K_M) as model:
        # Counts from llama.cpp's gguf-py, as in tests/api/test_tensor_types.cpp.
        assert model.tensor_types() == [
            llmrt.TensorType("q4_k", 49, 6422528, 3612672),
            llmrt.TensorType("q6_k", 9, 1966080, 1612800),
            llmrt.TensorType("f32", 17, 4352, 17408),
        ]
        assert model.tensor_types()[0].bits_per_weight == 4.5
        loaded = model.tensor_types(as_loaded=True)
        assert all(t.type == "f32" or t.type.startswith("int") for t in loaded), loaded
        assert sum(t.n_params for t in loaded) == model.n_params


def test_closed_model_is_refused(model_path):
    model = llmrt.Model.load(model_path)
    model.close()
    with pytest.raises(llmrt.InvalidArgumentError, match="closed"):
        model.tensor_types()
