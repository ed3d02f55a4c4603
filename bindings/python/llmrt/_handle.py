"""The lifetime rules every wrapper class shares: close() frees once, `with` closes, and the
garbage collector closes what the program forgot.

An object in use stays alive. A context uses its model, and a running generation (a TokenStream,
or a generate call while its callback runs) uses its context and sampler: each takes a use with
_acquire() and gives it back with _unuse(). close() ends the object for its owner at once (every
later call on it raises InvalidArgumentError), but the native object is only freed when the last
use is given back. So no close() order, and no close() from a callback, can free memory a
generation is still using.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

from .errors import InvalidArgumentError

# Guards the use counts: a model may be shared by contexts on several threads. One lock for all
# handles, held only for a few assignments.
_uses_lock = threading.Lock()


class Handle:
    """Owns one native handle; subclasses define _free(handle)."""

    _handle: Optional[int] = None  # None once closed: calls through this object are refused
    _native: Optional[int] = None  # None once freed
    _users = 0                     # uses taken with _acquire() and not given back

    def _set_handle(self, handle: int) -> None:
        self._handle = self._native = handle

    def _h(self) -> int:
        """The handle for a call, or InvalidArgumentError once closed (a NULL handle would only give
        the library's less helpful message)."""
        if self._handle is None:
            raise InvalidArgumentError(f"this {type(self).__name__} has been closed")
        return self._handle

    def _acquire(self) -> int:
        """Takes a use: the native object stays alive until the matching _unuse(), even if the
        object is closed meanwhile. Returns the native handle to use until then."""
        with _uses_lock:
            handle = self._h()
            self._users += 1
            return handle

    def _unuse(self) -> None:
        """Gives back a use taken with _acquire(); frees the native object if it was the last one
        and the object is closed."""
        with _uses_lock:
            self._users -= 1
        self._free_if_unused()

    @property
    def closed(self) -> bool:
        return self._handle is None

    def close(self) -> None:
        """Closes this object: later calls on it raise InvalidArgumentError. The native object is
        freed now, or when the last context or generation using it is done. Safe to call more than
        once."""
        self._handle = None
        self._free_if_unused()

    def _free_if_unused(self) -> None:
        with _uses_lock:
            if self._handle is not None or self._users > 0 or self._native is None:
                return
            native, self._native = self._native, None
        self._free(native)

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
