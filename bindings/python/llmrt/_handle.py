"""The lifetime rules every wrapper class shares: close() frees once, `with` closes, and the
garbage collector closes what the program forgot."""
from __future__ import annotations

from typing import Any, Optional

from .errors import InvalidArgumentError


class Handle:
    """Owns one native handle; subclasses define _free(handle)."""

    _handle: Optional[int] = None

    def _set_handle(self, handle: int) -> None:
        self._handle = handle

    def _h(self) -> int:
        """The handle for a call, or InvalidArgumentError once closed (a NULL handle would only give
        the library's less helpful message)."""
        if self._handle is None:
            raise InvalidArgumentError(f"this {type(self).__name__} has been closed")
        return self._handle

    @property
    def closed(self) -> bool:
        return self._handle is None

    def close(self) -> None:
        """Frees the native object now. Safe to call more than once."""
        handle, self._handle = self._handle, None
        if handle is not None:
            self._free(handle)

    def _free(self, handle: int) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # During interpreter shutdown the module globals may already be gone: freeing is then moot.
        try:
            self.close()
        except Exception:
            pass
