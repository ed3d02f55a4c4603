"""Shared fixtures. The tests use the bundled stories260K model and the reference greedy output in
../shared/reference (paths overridable with LLMRT_TEST_MODEL / LLMRT_TEST_REFERENCE)."""
import json
import os
from pathlib import Path

import pytest

import llmrt

SOURCE_DIR = Path(__file__).resolve().parents[3]
MODEL_PATH = os.environ.get("LLMRT_TEST_MODEL", str(SOURCE_DIR / "models/stories260K/stories260K.gguf"))
REFERENCE_PATH = os.environ.get("LLMRT_TEST_REFERENCE",
                                str(SOURCE_DIR.parent / "shared/reference/stories260K.json"))


@pytest.fixture(scope="session")
def model_path() -> str:
    return MODEL_PATH


@pytest.fixture(scope="session")
def reference() -> dict:
    """prompts[0] of the reference: prompt, prompt_token_ids, greedy_token_ids, greedy_text."""
    with open(REFERENCE_PATH, encoding="utf-8") as f:
        return json.load(f)["prompts"][0]


@pytest.fixture
def model(model_path):
    with llmrt.Model.load(model_path) as m:
        yield m
