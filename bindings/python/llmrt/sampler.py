"""Sampler: picks the next token from logits."""
from __future__ import annotations

import array
from ctypes import byref, c_float, c_int32, c_uint64, c_void_p
from typing import Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _native as n
from ._handle import Handle
from .errors import check


LogitBiasArg = Union[Mapping[int, float], Iterable[Tuple[int, float]]]


def _logit_bias_entries(logit_bias: Optional[LogitBiasArg]) -> "list[n.LogitBias]":
    """(id, bias) pairs as llmrt_logit_bias structs; the library checks ids and values."""
    if logit_bias is None:
        return []
    pairs = logit_bias.items() if isinstance(logit_bias, Mapping) else logit_bias
    return [n.LogitBias(n.c_int(token, "logit_bias token"), float(bias)) for token, bias in pairs]


class Sampler(Handle):
    """Turns logits into a token: logit bias, repetition / presence / frequency penalties, the
    n-gram ban, temperature, top-k, top-p, min-p.

    Every setting left as None takes the library's default (temperature 0.8, top_k 40, top_p 0.95,
    min_p 0.05, repetition_penalty 1.0 = off, repetition_last_n 64, presence_penalty and
    frequency_penalty 0 = off (OpenAI's, over the last repetition_last_n picked tokens),
    no_repeat_ngram_size 0 = off (Hugging Face's, over prompt + output), no logit_bias, a seed
    from the clock). logit_bias maps token ids to a bias ({id: bias} or (id, bias) pairs;
    float("-inf") bans). temperature=0 is greedy. The same seed and settings give the same tokens.
    """

    def __init__(self, *, temperature: Optional[float] = None, top_k: Optional[int] = None,
                 top_p: Optional[float] = None, min_p: Optional[float] = None,
                 repetition_penalty: Optional[float] = None, repetition_last_n: Optional[int] = None,
                 seed: Optional[int] = None, presence_penalty: Optional[float] = None,
                 frequency_penalty: Optional[float] = None, no_repeat_ngram_size: Optional[int] = None,
                 logit_bias: Optional[LogitBiasArg] = None) -> None:
        params = n.new_params(n.SamplerParams, "llmrt_sampler_params_init")
        settings = dict(temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
                        repetition_penalty=repetition_penalty, repetition_last_n=repetition_last_n, seed=seed,
                        presence_penalty=presence_penalty, frequency_penalty=frequency_penalty,
                        no_repeat_ngram_size=no_repeat_ngram_size)
        integers = dict(top_k=c_int32, repetition_last_n=c_int32, seed=c_uint64, no_repeat_ngram_size=c_int32)
        for name, value in settings.items():
            if value is not None:
                setattr(params, name, n.c_int(value, name, integers[name]) if name in integers else value)
        entries = _logit_bias_entries(logit_bias)
        if entries:
            # The library copies them during llmrt_sampler_create: the array need not outlive it.
            bias_array = (n.LogitBias * len(entries))(*entries)
            params.logit_bias = bias_array
            params.n_logit_bias = len(entries)
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

    def accept_prompt(self, tokens: Sequence[int]) -> None:
        """Tells the sampler of tokens already in the sequence (a prompt evaluated with
        Context.decode), for no_repeat_ngram_size; generate() does this itself."""
        ids = (c_int32 * len(tokens))(*[n.c_int(t, "token") for t in tokens])
        check(n.lib.llmrt_sampler_accept_prompt(self._h(), ids, n.c_int(len(tokens), "len(tokens)")))
