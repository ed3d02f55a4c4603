"""Chat templates: rendering a conversation into a prompt with a model's (or a given) Jinja template,
as Hugging Face transformers' apply_chat_template does with Jinja2."""
from __future__ import annotations

import json
from ctypes import byref, c_char, c_size_t
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

from . import _native as n
from .errors import UnsupportedError, check

if TYPE_CHECKING:
    from .model import Model


def require_chat_support() -> None:
    if not n.has_function("llmrt_chat_apply_template_json"):
        raise UnsupportedError("this libllmrt has no chat templates (no llmrt_chat_apply_template_json)")


def read_text(call: Callable[[Any, int, Any], int]) -> str:
    """Calls a (buf, capacity, *length) function that writes NUL-terminated text: once with no
    buffer to learn the length, then with a buffer of that size."""
    length = c_size_t()
    status = call(None, 0, byref(length))
    if status == n.ERR_BUFFER_TOO_SMALL:
        buf = (c_char * (length.value + 1))()
        check(call(buf, len(buf), byref(length)))
        return buf.raw[:length.value].decode("utf-8")
    check(status)  # an error, or (length 0) nothing to write
    return ""


def _json(value: Any, name: str) -> bytes:
    # ensure_ascii=False keeps the text as UTF-8, as the library would see it from C.
    return n.c_string(json.dumps(value, ensure_ascii=False), name)


def apply_chat_template(messages: Sequence[Mapping[str, Any]], template: Optional[str] = None,
                        model: Optional["Model"] = None, add_generation_prompt: bool = True,
                        bos_token: Optional[str] = None, eos_token: Optional[str] = None,
                        tools: Optional[Sequence[Mapping[str, Any]]] = None, **extra: Any) -> str:
    """Renders a conversation with a chat template and returns the prompt text.

    Args:
        messages: dicts such as {"role": "user", "content": "Hi"}; any further keys (tool_calls,
            tool_call_id, name, ...) are passed to the template as they are.
        template: the Jinja template text; None uses model's default template.
        model: supplies the default template and the bos_token/eos_token text; may be None when
            template is given (the tokens are then undefined unless passed).
        add_generation_prompt: end with the opening of the assistant's turn.
        tools: tool definitions (JSON-serializable), the template's `tools`.
        extra: further template variables, e.g. enable_thinking=False; they win over the above.

    Raises:
        InvalidArgumentError: the template is malformed or raised; the message is like Jinja2's
            ("TemplateError: System role not supported").
    """
    require_chat_support()
    params = n.new_params(n.ChatTemplateParams, "llmrt_chat_template_params_init")
    params.add_generation_prompt = int(bool(add_generation_prompt))
    if bos_token is not None:
        params.bos_token = n.c_string(bos_token, "bos_token")
    if eos_token is not None:
        params.eos_token = n.c_string(eos_token, "eos_token")
    if tools is not None:
        params.tools_json = _json(list(tools), "tools")
    if extra:
        params.extra_vars_json = _json(extra, "extra")
    handle = model._h() if model is not None else None
    tmpl = n.c_string(template, "template") if template is not None else None
    messages_json = _json(list(messages), "messages")
    return read_text(lambda buf, cap, length: n.lib.llmrt_chat_apply_template_json(
        handle, tmpl, messages_json, byref(params), buf, cap, length))
