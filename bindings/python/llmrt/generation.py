"""Generation: the streaming iterator (llmrt_generate_begin/next/end) and the callback form
(llmrt_generate)."""
from __future__ import annotations

from ctypes import POINTER, byref, c_char, c_char_p, c_int32, c_size_t, cast, string_at
from typing import Callable, Iterator, List, Optional, Sequence

from . import _native as n
from ._handle import Handle
from .context import Context
from .errors import InvalidArgumentError, check, error_for
from .sampler import Sampler


StopCallback = Callable[[List[int]], Optional[bool]]


def shift_mode_value(shift: str) -> int:
    """LLMRT_SHIFT_* for "off", "reevaluate" or "roped_k"."""
    try:
        return n.SHIFT_MODES[shift]
    except (KeyError, TypeError):
        raise InvalidArgumentError(f"shift must be one of {', '.join(n.SHIFT_MODES)}, not {shift!r}") from None


class GenerateParams:
    """llmrt_generate_params plus what its pointers refer to (stop strings, the native stop
    callback), kept alive here as long as a generation may use them."""

    def __init__(self, max_new_tokens: int, min_new_tokens: int, stop_at_eos: bool, add_special: bool,
                 stop: Optional[Sequence[str]], stop_callback: Optional[StopCallback] = None,
                 shift: Optional[str] = None, n_keep: Optional[int] = None, n_discard: Optional[int] = None) -> None:
        if isinstance(stop, str):
            stop = [stop]  # a lone string would otherwise be taken as a list of characters
        self.struct = n.new_params(n.GenerateParams, "llmrt_generate_params_init")
        self.struct.max_new_tokens = n.c_int(max_new_tokens, "max_new_tokens")
        self.struct.min_new_tokens = n.c_int(min_new_tokens, "min_new_tokens")
        self.struct.stop_at_eos = int(stop_at_eos)
        self.struct.add_special = int(add_special)
        self._stop = [n.c_string(s, f"stop[{i}]") for i, s in enumerate(stop or [])]
        self._stop_array = (c_char_p * len(self._stop))(*self._stop)
        self.struct.stop_strings = cast(self._stop_array, POINTER(c_char_p))
        self.struct.n_stop_strings = len(self._stop)
        # StreamingLLM; None keeps the library's defaults.
        if shift is not None:
            self.struct.shift_mode = shift_mode_value(shift)
        if n_keep is not None:
            self.struct.n_keep = n.c_int(n_keep, "n_keep")
        if n_discard is not None:
            self.struct.n_discard = n.c_int(n_discard, "n_discard")
        # An exception raised by stop_callback is kept here (it must not cross into C, where ctypes
        # would print and ignore it), the generation is stopped, and raise_failure re-raises it.
        self.failure: List[BaseException] = []
        self._native_stop = None
        if stop_callback is not None:
            self._native_stop = n.STOP_CALLBACK(self._stop_adapter(stop_callback))
            self.struct.stop_callback = self._native_stop

    def _stop_adapter(self, stop_callback: StopCallback) -> Callable[[object, int, object], int]:
        def on_stop(generated: "POINTER[c_int32]", n_generated: int, _user_data: object) -> int:
            try:
                return 1 if stop_callback(generated[:n_generated]) else 0
            except BaseException as e:
                self.failure.append(e)
                return 1
        return on_stop

    def raise_failure(self) -> None:
        """Re-raises an exception stop_callback raised, once."""
        if self.failure:
            raise self.failure.pop()


class _Uses:
    """The context and sampler a generation uses, held (Handle._acquire) from its start to its end,
    so closing either meanwhile (from a callback, or while a stream is open) cannot free them."""

    def __init__(self, context: Context, sampler: Sampler) -> None:
        self.context = context._acquire()
        try:
            self.sampler = sampler._acquire()
        except BaseException:
            context._unuse()
            raise
        self._handles: List[Handle] = [context, sampler]

    def release(self) -> None:
        """Gives both back; safe to call more than once."""
        handles, self._handles = self._handles, []
        for handle in handles:
            handle._unuse()


def _replaced_pull(context: Context, status: int) -> None:
    """After llmrt_generate or llmrt_generate_begin: unless refused as busy, the call ended the
    context's previous pull generation, so the stream that ran it has ended."""
    if status != n.ERR_BUSY:
        context._pull_id += 1


class TokenStream(Iterator[str]):
    """An iterator over the text pieces of a running generation, produced one token at a time.

    The prompt is evaluated when the stream is created (so errors show up at once). Iterating runs
    the model; closing (or leaving a `with` block, or exhausting the iterator) ends the generation.
    `tokens` lists the token ids generated so far. The stream keeps its context and sampler alive:
    closing them while the stream is open frees them only once the stream ends. Resetting the
    context or starting another generation on it ends the stream: iterating it then raises
    InvalidArgumentError.
    """

    def __init__(self, context: Context, sampler: Sampler, prompt: str, params: GenerateParams,
                 owned: Sequence[Handle] = ()) -> None:
        self.context = context
        self.tokens: List[int] = []
        self._params = params
        self._owned = list(owned)
        self._uses: Optional[_Uses] = None
        try:
            prompt_bytes = n.c_string(prompt, "prompt")
            uses = _Uses(context, sampler)
            try:
                status = n.lib.llmrt_generate_begin(uses.context, uses.sampler, prompt_bytes, byref(params.struct))
                _replaced_pull(context, status)
                check(status)
            except BaseException:
                uses.release()
                raise
        except BaseException:
            self._close_owned()
            raise
        self._uses = uses
        self._pull_id = context._pull_id

    def __iter__(self) -> "TokenStream":
        return self

    def __next__(self) -> str:
        piece = POINTER(c_char)()
        length = c_size_t()
        token = c_int32()
        if self._uses is not None and self.context._pull_id != self._pull_id:
            self.close()
            raise InvalidArgumentError("this stream has ended: its context was reset or started another generation")
        while self._uses is not None:
            status = n.lib.llmrt_generate_next(self._uses.context, byref(piece), byref(length), byref(token))
            if status == n.END_OF_GENERATION:
                break
            if status != n.OK:
                error = error_for(status)  # before close(): the message lasts until the next llmrt call
                self.close()
                raise error
            if token.value >= 0:
                self.tokens.append(token.value)
            if self._params.failure:  # the stop callback raised: the token it saw is kept above
                self.close()
                self._params.raise_failure()
            if length.value:  # empty while a UTF-8 character is incomplete: keep going
                return string_at(piece, length.value).decode("utf-8", errors="replace")
        self.close()
        raise StopIteration

    def text(self) -> str:
        """Runs the generation to the end and returns the rest of the text."""
        return "".join(self)

    def close(self) -> None:
        """Ends the generation (and frees the context and sampler it created, if any)."""
        uses, self._uses = self._uses, None
        if uses is not None:
            if self.context._pull_id == self._pull_id:  # else another generation has replaced it
                n.lib.llmrt_generate_end(uses.context)
                self.context._pull_id += 1
            uses.release()
        self._close_owned()

    def _close_owned(self) -> None:
        owned, self._owned = self._owned, []
        for handle in owned:
            handle.close()

    def __enter__(self) -> "TokenStream":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def run_with_callback(context: Context, sampler: Sampler, prompt: str, params: GenerateParams,
                      callback: Optional[Callable[[str, int], Optional[bool]]]) -> str:
    """Runs llmrt_generate, calling callback(piece, token) per token; returns the whole text."""
    pieces: List[bytes] = []
    failure: List[BaseException] = []

    def on_token(piece: object, length: int, token: int, _user_data: object) -> int:
        # An exception must not escape into C (ctypes would print and ignore it): keep it, ask the
        # library to stop, and re-raise it once llmrt_generate has returned.
        try:
            data = string_at(piece, length)
            pieces.append(data)
            if callback is not None and callback(data.decode("utf-8", errors="replace"), token):
                return 1
            return 0
        except BaseException as e:
            failure.append(e)
            return 1

    prompt_bytes = n.c_string(prompt, "prompt")
    native_callback = n.TOKEN_CALLBACK(on_token)  # referenced until the call returns
    uses = _Uses(context, sampler)
    try:
        status = n.lib.llmrt_generate(uses.context, uses.sampler, prompt_bytes, byref(params.struct),
                                      native_callback, None)
        error = error_for(status) if status != n.OK else None  # before release(), which may call llmrt
        _replaced_pull(context, status)
    finally:
        uses.release()
    if failure:
        raise failure.pop()
    params.raise_failure()
    if error is not None:
        raise error
    return b"".join(pieces).decode("utf-8", errors="replace")
