"""Sampler: picks the next token from logits."""
from __future__ import annotations

import array
from ctypes import byref, c_float, c_int32, c_uint64, c_void_p
from typing import Optional, Sequence

from . import _native as n
from ._handle import Handle
from .errors import check


class Sampler(Handle):
    """Turns logits into a token: temperature, top-k, top-p, min-p, repetition penalty.

    Every setting left as None takes the library's default (temperature 0.8, top_k 40, top_p 0.95,
    min_p 0.05, repetition_penalty 1.0 = off, repetition_last_n 64, a seed from the clock).
    temperature=0 is greedy. The same seed and settings give the same tokens.
    """

    def __init__(self, *, temperature: Optional[float] = None, top_k: Optional[int] = None,
                 top_p: Optional[float] = None, min_p: Optional[float] = None,
                 repetition_penalty: Optional[float] = None, repetition_last_n: Optional[int] = None,
                 seed: Optional[int] = None) -> None:
        params = n.new_params(n.SamplerParams, "llmrt_sampler_params_init")
        settings = dict(temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
                        repetition_penalty=repetition_penalty, repetition_last_n=repetition_last_n, seed=seed)
        integers = dict(top_k=c_int32, repetition_last_n=c_int32, seed=c_uint64)
        for name, value in settings.items():
            if value is not None:
                setattr(params, name, n.c_int(value, name, integers[name]) if name in integers else value)
        out = c_void_p()
        check(n.lib.llmrt_sampler_create(byref(params), byref(out)))
        self._set_handle(out.value)

    def __enter__(self) -> "Sampler":
        return self

    def _free(self, handle: int) -> None:
        n.lib.llmrt_sampler_free(handle)

    def sample(self, logits: Sequence[float]) -> int:
        """Picks a token from logits (for example Context.logits()); remembers it for the
        repetition penalty."""
        if isinstance(logits, array.array) and logits.typecode == "f":
            values = (c_float * len(logits)).from_buffer(logits)  # no copy
        else:
            values = (c_float * len(logits))(*logits)
        token = c_int32()
        check(n.lib.llmrt_sampler_sample(self._h(), values, n.c_int(len(logits), "len(logits)"), byref(token)))
        return token.value

    def reset(self) -> None:
        """Forgets remembered tokens and reseeds with the original seed."""
        n.lib.llmrt_sampler_reset(self._h())
