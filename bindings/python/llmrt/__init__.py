"""llmrt: run large language models on CPUs.

    import llmrt
    with llmrt.Model.load("stories260K.gguf") as model:
        for piece in model.generate("Once upon a time", stream=True, max_new_tokens=32):
            print(piece, end="", flush=True)

The native library is found through the LLMRT_LIBRARY environment variable, next to this package,
or on the system library path.
"""
from __future__ import annotations

from typing import Callable, Optional

from . import _native
from .chat import apply_chat_template
from ._native import API_VERSION, LibraryNotFoundError
from .context import BeamHypothesis, Context, kv_types
from .errors import (AllocationError, BufferTooSmallError, BusyError, CancelledError, ContextFullError, FileError,
                     FormatError, InternalError, InvalidArgumentError, LlmrtError, ModelFormatError, OutOfMemoryError,
                     UnsupportedError)
from .generation import TokenStream
from .model import Model, TensorType
from .quantizer import Quantizer, weight_dtypes
from .sampler import Sampler
from .session import ChatSession, Generation

__version__ = "0.1.0"

LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR = 0, 1, 2, 3

# Every ctypes log callback ever installed stays referenced: the library calls a callback without
# a lock, so one being replaced may still run on another thread after set_log_callback returns.
_log_callbacks: list = []


def library_version() -> str:
    """The native library's version string, e.g. "0.1.0"."""
    return _native.lib.llmrt_version_string().decode()


def has_quantizer() -> bool:
    """Whether the loaded library implements quantization (Quantizer, Model.load(quantize=...))."""
    return _native.has_function("llmrt_quantizer_create")


def library_path() -> str:
    """The file the native library was loaded from."""
    return str(_native.lib._name)


def set_log_level(level: int) -> None:
    """Drops library log messages below level (LOG_DEBUG ... LOG_ERROR; default LOG_WARN)."""
    _native.lib.llmrt_set_log_level(_native.c_int(level, "level"))


def set_log_callback(callback: Optional[Callable[[int, str], None]]) -> None:
    """Sends library log messages to callback(level, message) (from any thread); None restores the
    default (stderr)."""
    if callback is None:
        _native.lib.llmrt_set_log_callback(_native.LOG_CALLBACK(), None)
        return

    def on_log(level: int, message: bytes, _user_data: object) -> None:
        try:
            callback(level, message.decode("utf-8", errors="replace"))
        except Exception:
            pass  # a logger must never break the library call that logged

    new_callback = _native.LOG_CALLBACK(on_log)
    _log_callbacks.append(new_callback)
    _native.lib.llmrt_set_log_callback(new_callback, None)


__all__ = [
    "API_VERSION", "AllocationError", "BeamHypothesis", "BufferTooSmallError", "BusyError", "CancelledError",
    "ChatSession", "Context", "ContextFullError", "FileError", "FormatError", "Generation", "InternalError",
    "InvalidArgumentError", "LibraryNotFoundError", "LlmrtError", "Model", "ModelFormatError",
    "OutOfMemoryError", "Quantizer", "Sampler", "TensorType", "TokenStream", "UnsupportedError",
    "apply_chat_template", "LOG_DEBUG",
    "LOG_INFO", "LOG_WARN", "LOG_ERROR", "has_quantizer", "library_path", "library_version", "set_log_callback",
    "set_log_level", "kv_types", "weight_dtypes",
]
