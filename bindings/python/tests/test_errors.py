"""Errors become exceptions that carry the status and the library's message."""
import os
import subprocess
import sys

import pytest

import llmrt


def test_missing_file_raises_file_error_naming_it(tmp_path):
    path = str(tmp_path / "no-such-model.gguf")
    with pytest.raises(llmrt.FileError) as info:
        llmrt.Model.load(path)
    assert path in str(info.value)
    assert info.value.status == 2
    assert isinstance(info.value, llmrt.LlmrtError)


def test_corrupt_file_raises_format_error_naming_it(tmp_path):
    path = tmp_path / "garbage.gguf"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(llmrt.ModelFormatError) as info:
        llmrt.Model.load(path)
    assert str(path) in info.value.message


def test_truncated_model_raises_format_error(tmp_path, model_path):
    path = tmp_path / "truncated.gguf"
    with open(model_path, "rb") as f:
        path.write_bytes(f.read(2000))
    with pytest.raises(llmrt.ModelFormatError, match="truncated.gguf"):
        llmrt.Model.load(path)


def test_bad_parameter_raises_invalid_argument(model):
    with pytest.raises(llmrt.InvalidArgumentError):
        llmrt.Context(model, n_ctx=-1)


def test_missing_library_gives_a_clear_import_error():
    env = dict(os.environ, LLMRT_LIBRARY="/nonexistent/libllmrt.so")
    result = subprocess.run([sys.executable, "-c", "import llmrt"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "LibraryNotFoundError" in result.stderr
    assert "LLMRT_LIBRARY" in result.stderr


def test_errors_are_also_the_builtins_a_caller_would_catch(tmp_path):
    with pytest.raises(OSError):
        llmrt.Model.load(str(tmp_path / "absent.gguf"))
    (tmp_path / "garbage.gguf").write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(8))  # truncated
    with pytest.raises(ValueError):
        llmrt.Model.load(tmp_path / "garbage.gguf")
    assert issubclass(llmrt.InvalidArgumentError, ValueError)
    assert issubclass(llmrt.UnsupportedError, NotImplementedError)
    assert issubclass(llmrt.AllocationError, MemoryError)
    # The names before the bindings shared one set still work.
    assert llmrt.FormatError is llmrt.ModelFormatError and llmrt.OutOfMemoryError is llmrt.AllocationError
