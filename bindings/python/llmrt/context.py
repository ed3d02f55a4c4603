"""Context: the KV cache and scratch memory for one sequence, or several."""
from __future__ import annotations

import array
import json
from ctypes import byref, c_char_p, c_double, c_int32, c_void_p, string_at
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from . import _native as n
from ._handle import Handle
from .errors import InvalidArgumentError, UnsupportedError, check
from .model import Model


def kv_types() -> Dict[str, int]:
    """The KV cache types by name, as the library lists them: {"f32": 0, "f16": 1, ...}."""
    if not n.has_function("llmrt_kv_type_name"):
        raise UnsupportedError("this libllmrt does not list its KV cache types (no llmrt_kv_type_name)")
    names = {}
    while (name := n.lib.llmrt_kv_type_name(len(names))) is not None:
        names[name.decode()] = len(names)
    return names

# Hugging Face generate's early_stopping values and llmrt.h's LLMRT_EARLY_STOPPING_*.
_EARLY_STOPPING = {False: n.EARLY_STOPPING_FALSE, True: n.EARLY_STOPPING_TRUE, "never": n.EARLY_STOPPING_NEVER}


class BeamHypothesis(NamedTuple):
    """A finished beam: the generated token ids (the end-of-sequence id included when it ended
    the beam) and the score, sum of their log-probabilities / len(tokens) ** length_penalty."""
    tokens: List[int]
    score: float


class Context(Handle):
    """One sequence being evaluated on a model. Use from one thread at a time, except cancel().

    Args:
        model: the model; it stays alive (natively) until this context is closed and no
            generation uses the context any more.
        n_ctx: context window in tokens (None: the library default, the model's training length
            capped at 4096).
        n_batch: most tokens evaluated in one prefill step (None: the library default, 512).
        n_threads: worker threads (None or 0: all cores).
        logits_all: keep the logits of every token of the last decode(), for logits(i).
        kv_type: the KV cache's type, "f32" (None: the library default), "f16", "bf16" or "int8".
        n_seq_max: independent sequences the context holds (None: 1), each with n_ctx positions,
            for decode_multi() and beam_search(). Sequence 0 is the one decode() uses.
    """

    def __init__(self, model: Model, *, n_ctx: Optional[int] = None, n_batch: Optional[int] = None,
                 n_threads: Optional[int] = None, logits_all: bool = False,
                 kv_type: Optional[str] = None, n_seq_max: Optional[int] = None) -> None:
        params = n.new_params(n.ContextParams, "llmrt_context_params_init")
        if n_ctx is not None:
            params.n_ctx = n.c_int(n_ctx, "n_ctx")
        if n_batch is not None:
            params.n_batch = n.c_int(n_batch, "n_batch")
        if n_threads is not None:
            params.n_threads = n.c_int(n_threads, "n_threads")
        params.logits_all = int(logits_all)
        if kv_type is not None:
            known = kv_types()
            if kv_type not in known:
                raise ValueError(f"kv_type must be one of {list(known)}, not {kv_type!r}")
            params.kv_type = known[kv_type]
        if n_seq_max is not None:
            params.n_seq_max = n.c_int(n_seq_max, "n_seq_max")
        model_handle = model._acquire()
        out = c_void_p()
        try:
            check(n.lib.llmrt_context_create(model_handle, byref(params), byref(out)))
        except BaseException:
            model._unuse()
            raise
        self.model = model
        self._n_vocab = model.n_vocab
        # Which TokenStream's generation the context holds: starting a generation or resetting
        # ends the one before (TokenStream._pull_id).
        self._pull_id = 0
        self._set_handle(out.value)

    def __enter__(self) -> "Context":
        return self

    def _free(self, handle: int) -> None:
        n.lib.llmrt_context_free(handle)
        self.model._unuse()

    @property
    def n_ctx(self) -> int:
        """The context window in tokens."""
        return int(n.lib.llmrt_context_n_ctx(self._h()))

    @property
    def n_past(self) -> int:
        """Tokens currently in the KV cache."""
        return int(n.lib.llmrt_context_n_past(self._h()))

    def decode(self, tokens: Sequence[int]) -> None:
        """Appends tokens to the sequence and evaluates them.

        Raises:
            ContextFullError: they do not fit in the context window.
            CancelledError: cancel() was called meanwhile.
        """
        ids = n.c_int32_array(tokens, "tokens")
        check(n.lib.llmrt_decode(self._h(), ids, len(ids)))

    @property
    def n_seq_max(self) -> int:
        """How many sequences the context holds."""
        return int(n.lib.llmrt_context_n_seq_max(self._h()))

    def decode_multi(self, tokens: Sequence[int], seq_ids: Sequence[int]) -> None:
        """Appends tokens[i] to sequence seq_ids[i] at its next position and evaluates them all
        together (one read of the weights serves every sequence). Afterwards logits(i) gives the
        logits after tokens[i], for every i.

        Raises:
            InvalidArgumentError: a sequence id outside [0, n_seq_max), a bad token id, or
                tokens and seq_ids of different lengths.
            ContextFullError: a sequence would pass n_ctx (nothing is evaluated).
        """
        if len(tokens) != len(seq_ids):
            raise InvalidArgumentError(f"tokens ({len(tokens)}) and seq_ids ({len(seq_ids)}) differ in length")
        ids = n.c_int32_array(tokens, "tokens")
        seqs = n.c_int32_array(seq_ids, "seq_ids")
        check(n.lib.llmrt_decode_multi(self._h(), ids, seqs, len(ids)))

    def seq_n_past(self, seq: int) -> int:
        """Tokens cached for sequence seq."""
        count = int(n.lib.llmrt_seq_n_past(self._h(), n.c_int(seq, "seq")))
        if count < 0:
            raise InvalidArgumentError(f"sequence id {seq} is not in [0, {self.n_seq_max})")
        return count

    def seq_remove(self, seq: int) -> None:
        """Empties sequence seq."""
        check(n.lib.llmrt_seq_remove(self._h(), n.c_int(seq, "seq")))

    def seq_copy(self, src: int, dst: int) -> None:
        """Makes sequence dst a copy of src (tokens and their cache), e.g. to share a prompt."""
        check(n.lib.llmrt_seq_copy(self._h(), n.c_int(src, "src"), n.c_int(dst, "dst")))

    def seq_truncate(self, seq: int, n_keep: int) -> None:
        """Keeps sequence seq's first n_keep tokens."""
        check(n.lib.llmrt_seq_truncate(self._h(), n.c_int(seq, "seq"), n.c_int(n_keep, "n_keep")))

    def beam_search(self, prompt: Union[str, Sequence[int]], *, num_beams: int = 4, max_new_tokens: int = 128,
                    length_penalty: float = 1.0, early_stopping: Union[bool, str] = False,
                    num_return_sequences: int = 1, stop_at_eos: bool = True,
                    eos_token_id: Optional[int] = None) -> List[BeamHypothesis]:
        """Beam search with Hugging Face generate's semantics (num_beams, length_penalty,
        early_stopping True/False/"never", num_return_sequences); the best hypotheses first.

        prompt is text (tokenized with BOS) or token ids as they are. eos_token_id replaces the
        model's end-of-generation ids (None keeps them). The beams are sequences of
        this context (n_seq_max >= num_beams), which the search empties first.

        Raises:
            InvalidArgumentError: bad settings, or n_seq_max < num_beams.
            ContextFullError: the prompt and max_new_tokens do not fit in n_ctx.
        """
        if not (isinstance(early_stopping, bool) or early_stopping == "never"):
            raise ValueError(f"early_stopping must be True, False or \"never\", not {early_stopping!r}")
        ids = self.model.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
        params = n.new_params(n.BeamParams, "llmrt_beam_params_init")
        params.num_beams = n.c_int(num_beams, "num_beams")
        params.max_new_tokens = n.c_int(max_new_tokens, "max_new_tokens")
        params.length_penalty = float(length_penalty)
        params.early_stopping = _EARLY_STOPPING[early_stopping]
        params.num_return_sequences = n.c_int(num_return_sequences, "num_return_sequences")
        params.stop_at_eos = int(stop_at_eos)
        if eos_token_id is not None:
            params.eos_token_id = n.c_int(eos_token_id, "eos_token_id")
        arr = n.c_int32_array(ids, "prompt")
        results = c_void_p()
        check(n.lib.llmrt_beam_search(self._h(), arr, len(arr), byref(params), byref(results)))
        self._pull_id += 1  # a generation streaming on this context has ended
        try:
            out = []
            for i in range(n.lib.llmrt_beam_results_count(results)):
                count = c_int32()
                ptr = n.lib.llmrt_beam_results_tokens(results, i, byref(count))
                out.append(BeamHypothesis([ptr[j] for j in range(count.value)],
                                          float(n.lib.llmrt_beam_results_score(results, i))))
            return out
        finally:
            n.lib.llmrt_beam_results_free(results)

    def logits(self, i: Optional[int] = None) -> "array.array[float]":
        """A copy of the next-token logits (n_vocab floats) after the last token of the last
        decode(), or after its token i (needs logits_all=True unless i is the last)."""
        handle = self._h()
        ptr = n.lib.llmrt_get_logits(handle) if i is None else n.lib.llmrt_get_logits_ith(handle, n.c_int(i, "i"))
        if not ptr:
            raise InvalidArgumentError("no logits: call decode() first" if i is None else
                                       f"no logits for token {i} of the last decode()")
        values = array.array("f")
        values.frombytes(string_at(ptr, self._n_vocab * values.itemsize))
        return values

    def score_continuation(self, context: Sequence[int], continuation: Sequence[int]) -> Tuple[float, bool]:
        """Log-likelihood of the continuation's tokens after the context's (natural log, summed),
        and whether each of them is the greedy choice, as evaluation harnesses score answers.

        Both are token ids as they are (include BOS in context if the model expects it). The
        context's sequence becomes context + continuation; positions already cached that agree
        with it are reused, so several continuations of one context evaluate it once.

        Raises:
            ContextFullError: len(context) + len(continuation) > n_ctx.
            InvalidArgumentError: an empty context or continuation, an id outside the vocabulary.
        """
        ctx_ids = n.c_int32_array(context, "context")
        cont_ids = n.c_int32_array(continuation, "continuation")
        logprob = c_double()
        greedy = c_int32()
        check(n.lib.llmrt_score_continuation(self._h(), ctx_ids, len(ctx_ids), cont_ids, len(cont_ids),
                                             byref(logprob), byref(greedy)))
        self._pull_id += 1  # a generation streaming on this context has ended
        return logprob.value, bool(greedy.value)

    def reset(self) -> None:
        """Empties the KV cache (a fresh sequence) and clears a pending cancel. A stream running
        on this context ends."""
        n.lib.llmrt_context_reset(self._h())
        self._pull_id += 1

    def shift(self, n_keep: int, n_discard: int = -1, mode: str = "reevaluate") -> None:
        """StreamingLLM for your own decode loop: drops the cached positions [n_keep, n_keep +
        n_discard) and moves the later ones down (n_discard -1: half of those after n_keep).
        mode "reevaluate" evaluates the moved tokens again (exact); "roped_k" re-rotates their
        cached keys instead (nothing recomputed).

        Raises:
            InvalidArgumentError: a range outside the cache, or an unknown mode.
            UnsupportedError: "roped_k" on a model with learned positions (nothing changes).
        """
        from .generation import shift_mode_value
        check(n.lib.llmrt_context_shift(self._h(), n.c_int(n_keep, "n_keep"), n.c_int(n_discard, "n_discard"),
                                        shift_mode_value(mode)))

    def set_profiling(self, enabled: bool) -> None:
        """Times every op of the following forward passes (enabling clears earlier counts)."""
        check(n.lib.llmrt_context_set_profiling(self._h(), 1 if enabled else 0))

    def profile(self) -> dict:
        """What profiling counted: {"decode": {...}, "prefill": {...}}, each with steps, tokens,
        seconds, ops (op, calls, seconds, bytes), barrier_wait_seconds and pool_runs."""
        text = c_char_p()
        check(n.lib.llmrt_context_profile_json(self._h(), byref(text)))
        return json.loads(text.value.decode())

    def cancel(self) -> None:
        """Asks the running (or next) decode or generation to stop with CancelledError. May be
        called from any thread."""
        handle = self._handle
        if handle is not None:
            n.lib.llmrt_context_cancel(handle)

    def __repr__(self) -> str:
        return "<llmrt.Context (closed)>" if self.closed else f"<llmrt.Context n_ctx={self.n_ctx} n_past={self.n_past}>"
