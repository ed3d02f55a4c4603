"""Generation handles (llmrt_generation_*) and multi-round chat sessions (llmrt_chat_session_*).

    with llmrt.Context(model) as ctx, llmrt.Sampler(temperature=0) as sampler, \\
            llmrt.ChatSession(ctx, sampler, system_prompt="You are brief.") as chat:
        print(chat.respond("Hello!"))
        for piece in chat.respond_stream("And then?"):
            print(piece, end="")
"""
from __future__ import annotations

from ctypes import POINTER, byref, c_char, c_char_p, c_int32, c_size_t, c_void_p, string_at
from typing import Callable, Dict, Iterator, List, Optional, Sequence

from . import _native as n
from ._handle import Handle
from .context import Context
from .errors import UnsupportedError, check, error_for
from .generation import GenerateParams, StopCallback
from .sampler import Sampler


def _require(name: str) -> None:
    if not n.has_function(name):
        raise UnsupportedError(f"this libllmrt has no {name}")


class Generation(Handle, Iterator[str]):
    """A running generation (llmrt_generation_*): iterate it for the text pieces.

    The prompt is evaluated when it is created. `tokens` lists the ids produced so far and
    `stop_reason` says why it ended ("length", "eos", "stop_string", "context_full", "cancelled",
    "callback"; "" while running). One generation per context at a time: another on the same
    context raises BusyError until this one is closed. The library keeps the context and sampler
    alive while it exists. Close it (or use `with`) when done.
    """

    def __init__(self, context: Context, sampler: Sampler, prompt: str, *, max_new_tokens: int = 128,
                 min_new_tokens: int = 0, stop_at_eos: bool = True, add_special: bool = True,
                 stop: Optional[Sequence[str]] = None, stop_callback: Optional[StopCallback] = None) -> None:
        _require("llmrt_generation_create")
        self._params = GenerateParams(max_new_tokens, min_new_tokens, stop_at_eos, add_special, stop, stop_callback)
        out = c_void_p()
        check(n.lib.llmrt_generation_create(context._h(), sampler._h(), n.c_string(prompt, "prompt"),
                                            byref(self._params.struct), byref(out)))
        context._pull_id += 1  # a TokenStream running on the context has ended
        self._adopt(out.value, self._params)

    @classmethod
    def _from_handle(cls, handle: int, params: GenerateParams) -> "Generation":
        gen = cls.__new__(cls)
        gen._adopt(handle, params)
        return gen

    def _adopt(self, handle: int, params: GenerateParams) -> None:
        self._params = params  # its stop strings and callback must outlive the handle
        self.tokens: List[int] = []
        self._set_handle(handle)

    def _free(self, handle: int) -> None:
        n.lib.llmrt_generation_free(handle)

    def __iter__(self) -> "Generation":
        return self

    def __next__(self) -> str:
        piece = POINTER(c_char)()
        length = c_size_t()
        token = c_int32()
        while True:
            status = n.lib.llmrt_generation_next(self._h(), byref(piece), byref(length), byref(token))
            if status == n.END_OF_GENERATION:
                raise StopIteration
            if status != n.OK:
                raise error_for(status)
            if token.value >= 0:
                self.tokens.append(token.value)
            self._params.raise_failure()
            if length.value:  # empty while a UTF-8 character is incomplete: keep going
                return string_at(piece, length.value).decode("utf-8", errors="replace")

    def text(self) -> str:
        """Runs the generation to its end and returns the rest of the text."""
        return "".join(self)

    @property
    def stop_reason(self) -> str:
        return n.lib.llmrt_stop_reason_name(n.lib.llmrt_generation_stop_code(self._h())).decode()

    def __enter__(self) -> "Generation":
        return self


class ChatSession(Handle):
    """A multi-round conversation on one context (llmrt_chat_session_*).

    Each answer renders the whole conversation with the chat template (the model's, the one given,
    or a plain "User: ...\\nAssistant:" transcript for models without one) and evaluates only what
    the KV cache does not already hold. When the window fills, the oldest turns are dropped (the
    system message stays). The session keeps the context and sampler alive; do not use the
    context for anything else meanwhile.
    """

    def __init__(self, context: Context, sampler: Sampler, *, template: Optional[str] = None,
                 system_prompt: Optional[str] = None) -> None:
        _require("llmrt_chat_session_create")
        params = n.new_params(n.ChatSessionParams, "llmrt_chat_session_params_init")
        if template is not None:
            params.chat_template = n.c_string(template, "template")
        if system_prompt is not None:
            params.system_prompt = n.c_string(system_prompt, "system_prompt")
        out = c_void_p()
        check(n.lib.llmrt_chat_session_create(context._h(), sampler._h(), byref(params), byref(out)))
        self._set_handle(out.value)

    def _free(self, handle: int) -> None:
        n.lib.llmrt_chat_session_free(handle)

    def __enter__(self) -> "ChatSession":
        return self

    def add_message(self, role: str, content: str) -> None:
        check(n.lib.llmrt_chat_session_add_message(self._h(), n.c_string(role, "role"),
                                                   n.c_string(content, "content")))

    def respond(self, message: Optional[str] = None, callback: Optional[Callable[[str, int], Optional[bool]]] = None,
                *, max_new_tokens: int = 128, min_new_tokens: int = 0, stop: Optional[Sequence[str]] = None,
                stop_callback: Optional[StopCallback] = None) -> str:
        """Adds message (if given) as the user's, generates the answer and returns it; the answer
        joins the conversation. callback(piece, token) sees it as it streams; a true return stops it
        (CancelledError; the part produced is kept in the conversation)."""
        if message is not None:
            self.add_message("user", message)
        params = GenerateParams(max_new_tokens, min_new_tokens, True, True, stop, stop_callback)
        pieces: List[bytes] = []
        failure: List[BaseException] = []

        def on_token(piece: object, length: int, token: int, _user_data: object) -> int:
            try:  # an exception must not escape into C: keep it and stop
                data = string_at(piece, length)
                pieces.append(data)
                return 1 if callback is not None and callback(data.decode("utf-8", errors="replace"), token) else 0
            except BaseException as e:
                failure.append(e)
                return 1

        native_callback = n.TOKEN_CALLBACK(on_token)
        status = n.lib.llmrt_chat_session_respond(self._h(), byref(params.struct), native_callback, None)
        if failure:
            raise failure.pop()
        params.raise_failure()
        check(status)
        return b"".join(pieces).decode("utf-8", errors="replace")

    def respond_stream(self, message: Optional[str] = None, *, max_new_tokens: int = 128, min_new_tokens: int = 0,
                       stop: Optional[Sequence[str]] = None,
                       stop_callback: Optional[StopCallback] = None) -> Generation:
        """The pull form of respond: a Generation to iterate; the answer joins the conversation when
        it ends or is closed. The session refuses other calls (BusyError) until then."""
        if message is not None:
            self.add_message("user", message)
        params = GenerateParams(max_new_tokens, min_new_tokens, True, True, stop, stop_callback)
        out = c_void_p()
        check(n.lib.llmrt_chat_session_respond_begin(self._h(), byref(params.struct), byref(out)))
        return Generation._from_handle(out.value, params)

    def pop_message(self) -> None:
        """Removes the newest message (never the system message)."""
        check(n.lib.llmrt_chat_session_pop_message(self._h()))

    def reset(self) -> None:
        """Forgets the conversation but the system message."""
        check(n.lib.llmrt_chat_session_reset(self._h()))

    def truncate(self, n_oldest_turns: int) -> None:
        """Drops the n oldest turns (a user message and the answers after it)."""
        check(n.lib.llmrt_chat_session_truncate(self._h(), n.c_int(n_oldest_turns, "n_oldest_turns")))

    @property
    def messages(self) -> List[Dict[str, str]]:
        h = self._h()
        out = []
        for i in range(n.lib.llmrt_chat_session_n_messages(h)):
            role, content = c_char_p(), c_char_p()
            check(n.lib.llmrt_chat_session_message(h, i, byref(role), byref(content)))
            out.append({"role": role.value.decode("utf-8", errors="replace"),
                        "content": content.value.decode("utf-8", errors="replace")})
        return out

    @property
    def prompt(self) -> str:
        """The text the last answer was generated from."""
        return n.lib.llmrt_chat_session_prompt(self._h()).decode("utf-8", errors="replace")

    @property
    def n_evaluated(self) -> int:
        """Prompt tokens the last answer evaluated (those the cache did not hold)."""
        return n.lib.llmrt_chat_session_n_evaluated(self._h())

    @property
    def n_reused(self) -> int:
        """Prompt tokens the last answer reused from the cache."""
        return n.lib.llmrt_chat_session_n_reused(self._h())

    @property
    def n_dropped(self) -> int:
        """Messages the last answer dropped to fit the window."""
        return n.lib.llmrt_chat_session_n_dropped(self._h())
