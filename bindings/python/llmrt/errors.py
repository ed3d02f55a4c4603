"""Exceptions: one class per llmrt status code, each carrying the library's message.

The names are those of the Java and C# bindings (InvalidArgument, File, ModelFormat, Unsupported,
Allocation, ContextFull, Cancelled, Busy, Internal), and each also derives from the builtin a Python
caller would catch for that kind of failure (ValueError, OSError, MemoryError, ...)."""
from __future__ import annotations

from typing import Dict, Optional, Type

from . import _native as n


class LlmrtError(Exception):
    """Base class of every error the library reports.

    Attributes:
        status: the llmrt_status code (see include/llmrt.h).
        message: the library's message (llmrt_last_error()) or the status description.
    """

    status: int = -1

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(LlmrtError, ValueError):
    """LLMRT_ERR_INVALID_ARGUMENT: a closed handle or a bad parameter value."""
    status = n.ERR_INVALID_ARGUMENT


class FileError(LlmrtError, OSError):
    """LLMRT_ERR_IO: a file could not be opened, read or written, or the ranks of a tensor-parallel
    model stopped communicating (LLMRT_TP_TIMEOUT). (Not named IOError, which is a builtin alias
    of OSError.)"""
    status = n.ERR_IO


class ModelFormatError(LlmrtError, ValueError):
    """LLMRT_ERR_FORMAT: a file is malformed (truncated, bad offsets, wrong shapes)."""
    status = n.ERR_FORMAT


class UnsupportedError(LlmrtError, NotImplementedError):
    """LLMRT_ERR_UNSUPPORTED: valid input this build cannot handle (architecture, dtype)."""
    status = n.ERR_UNSUPPORTED


class AllocationError(LlmrtError, MemoryError):
    """LLMRT_ERR_OUT_OF_MEMORY."""
    status = n.ERR_OUT_OF_MEMORY


class ContextFullError(LlmrtError):
    """LLMRT_ERR_CONTEXT_FULL: the tokens do not fit in the context window."""
    status = n.ERR_CONTEXT_FULL


class CancelledError(LlmrtError):
    """LLMRT_CANCELLED: a callback asked to stop, or Context.cancel() was called."""
    status = n.CANCELLED


class BufferTooSmallError(LlmrtError):
    """LLMRT_ERR_BUFFER_TOO_SMALL (the bindings size their buffers, so this means a bug)."""
    status = n.ERR_BUFFER_TOO_SMALL


class BusyError(LlmrtError, RuntimeError):
    """LLMRT_ERR_BUSY: the context is in use by a running call (e.g. called from its own callback)."""
    status = n.ERR_BUSY


class InternalError(LlmrtError, RuntimeError):
    """LLMRT_ERR_INTERNAL: a bug in llmrt; please report it."""
    status = n.ERR_INTERNAL


# The names before the bindings agreed on one set (deprecated; same classes).
FormatError = ModelFormatError
OutOfMemoryError = AllocationError

_BY_STATUS: Dict[int, Type[LlmrtError]] = {
    cls.status: cls
    for cls in (InvalidArgumentError, FileError, ModelFormatError, UnsupportedError, AllocationError,
                ContextFullError, CancelledError, BufferTooSmallError, BusyError, InternalError)
}


def error_for(status: int) -> LlmrtError:
    """The exception for a failed call, with the thread's last error message.

    Must be called right after the failing call: the message is only valid until the thread's next
    llmrt call.
    """
    message = n.last_error() or n.status_string(status)
    cls = _BY_STATUS.get(status, LlmrtError)
    return cls(message, status)


def check(status: int) -> None:
    """Raises the matching exception unless status is LLMRT_OK."""
    if status != n.OK:
        raise error_for(status)
