"""Tensor parallelism: Model.load(tensor_parallel=True), tp_rank and tp_size.

Alone (the normal suite) the model is sharded over one rank, an MPI singleton; under
`mpirun -np N python3 -m pytest THIS_FILE` (ctest mpi_python_np2) over N ranks, and every rank
must generate what a single unsharded process generates. Every rank runs the same tests in the
same order, which keeps the ranks' collectives in step.
"""
import os

import pytest

import llmrt

# Set by mpirun for each rank; alone, the process is the one rank of its world.
WORLD_SIZE = int(os.environ.get("OMPI_COMM_WORLD_SIZE", "1"))
WORLD_RANK = int(os.environ.get("OMPI_COMM_WORLD_RANK", "0"))


@pytest.fixture(scope="module")
def sharded(model_path):
    try:
        m = llmrt.Model.load(model_path, tensor_parallel=True)
    except llmrt.UnsupportedError as e:
        assert "MPI" in e.message  # a build without MPI says why
        pytest.skip("this libllmrt was built without MPI")
    with m:
        yield m


def test_a_model_loaded_without_it_is_not_sharded(model):
    assert (model.tp_rank, model.tp_size) == (0, 1)


def test_rank_and_size_are_mpis(sharded):
    assert sharded.tp_size == WORLD_SIZE
    assert sharded.tp_rank == WORLD_RANK


def test_greedy_generation_equals_a_single_process(sharded, model, reference):
    # reference: a single process's greedy tokens (../shared/reference); model: this process's own
    # unsharded load of the same file.
    n = len(reference["greedy_token_ids"])
    tokens = []
    text = sharded.generate_with_callback(reference["prompt"], lambda piece, token: tokens.append(token),
                                          max_new_tokens=n, temperature=0)
    assert tokens == reference["greedy_token_ids"]
    assert text == reference["greedy_text"]
    assert text == model.generate(reference["prompt"], max_new_tokens=n, temperature=0)


def test_sampled_generation_equals_a_single_process(sharded, model):
    # Every rank samples from the same logits with the same seed: the same text as unsharded.
    settings = dict(max_new_tokens=40, temperature=0.8, top_p=0.9, top_k=40, min_p=0.05, seed=42)
    with sharded.generate("Once upon a time", stream=True, **settings) as stream:
        streamed = "".join(stream)
    assert streamed == model.generate("Once upon a time", **settings)
