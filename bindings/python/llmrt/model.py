"""Model: weights plus tokenizer, shared by any number of contexts."""
from __future__ import annotations

import os
from ctypes import byref, c_char, c_int32, c_size_t, c_uint64, c_void_p, pointer, sizeof
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Literal, Optional, Sequence, Tuple, Union, overload

from . import _native as n
from ._handle import Handle
from .errors import UnsupportedError, check, error_for

if TYPE_CHECKING:  # the real imports are deferred: context and generation import this module
    from .context import Context
    from .generation import StopCallback, TokenStream
    from .quantizer import QuantizeSpec
    from .sampler import LogitBiasArg, Sampler

PathLike = Union[str, "os.PathLike[str]"]
TokenCallback = Callable[[str, int], Optional[bool]]


@dataclass(frozen=True)
class TensorType:
    """The tensors of one type in a model (Model.tensor_types())."""

    type: str       # "f32", "bf16", "q4_k"... in a file; "f32", "int4_g32_sym_fp32"... as loaded
    n_tensors: int
    n_params: int   # elements of those tensors
    n_bytes: int

    @property
    def bits_per_weight(self) -> float:
        return self.n_bytes * 8 / self.n_params if self.n_params else 0.0


class Model(Handle):
    """A loaded model. Create with Model.load() or Model.synthetic(); close() or `with` frees it.

    A model may be used from many threads at once. Contexts keep the model's memory alive: closing
    the model while a context is open only frees it once the last context is closed (see Handle).
    """

    def __init__(self, handle: int, path: str) -> None:
        """Internal: use Model.load() or Model.synthetic()."""
        self._set_handle(handle)
        self.path = path

    # ---- creation and lifetime ----

    @classmethod
    def load(cls, path: PathLike, *, use_mmap: bool = True, n_threads: int = 0, compute_dtype: Optional[str] = None,
             quantize: Optional["QuantizeSpec"] = None, tensor_parallel: bool = False) -> "Model":
        """Loads a GGUF file, an llmrt file or a Hugging Face directory.

        Args:
            path: the file or directory.
            use_mmap: map the weights from the file where the layout allows.
            n_threads: threads for load-time work such as conversion; 0 = all cores.
            compute_dtype: for weights stored quantized: "auto" (default), "fp32", "bf16", "int8".
            quantize: quantize the weights in memory while loading: a weight type ("int4") or a
                dict of Quantizer settings ({"weight_dtype": "int8", "group_size": 64}).
            tensor_parallel: shard the model over the ranks of MPI_COMM_WORLD: run the script with
                `mpirun -np N python3 script.py`. Every rank must make the same calls with the same
                arguments (prompts, seeds; one generation at a time), and every rank gets the same
                tokens, equal to a single process's; print from rank 0 only (tp_rank). Alone (no
                mpirun), a one-rank model. A rank that waits for the others longer than
                LLMRT_TP_TIMEOUT seconds raises FileError (README, "Tensor parallelism (MPI)").

        Raises:
            FileError: the file cannot be opened or read (the message names the file).
            ModelFormatError: the file is malformed.
            UnsupportedError: the architecture or data type is not supported by this build, or
                tensor_parallel in a build without MPI.
        """
        path = os.fspath(path)
        native_path = n.c_path(path, "path")
        params = n.new_params(n.ModelParams, "llmrt_model_params_init")
        params.use_mmap = int(use_mmap)
        params.n_threads = n.c_int(n_threads, "n_threads")
        if compute_dtype is not None:
            params.compute_type = n.value_named("llmrt_compute_type_name", compute_dtype, "compute_dtype")
        if quantize is not None:
            from .quantizer import quant_params_from_spec
            quant = quant_params_from_spec(quantize)
            params.quantize = pointer(quant)
        params.tensor_parallel = int(bool(tensor_parallel))
        out = c_void_p()
        status = n.lib.llmrt_model_load(native_path, byref(params), byref(out))
        if status != n.OK:
            error = error_for(status)
            if path not in error.message:  # every load error names the file, whatever the library said
                error = type(error)(f"{path}: {error.message}", status)
            raise error
        return cls(out.value, path)

    @classmethod
    def synthetic(cls, shape: str, seed: int = 0, *, n_threads: int = 0) -> "Model":
        """A model with random weights and the shape of a known one ("stories260k",
        "tinyllama-1.1b", "llama-7b"), built in memory, with a byte-level tokenizer."""
        params = n.new_params(n.ModelParams, "llmrt_model_params_init")
        params.n_threads = n.c_int(n_threads, "n_threads")
        out = c_void_p()
        check(n.lib.llmrt_model_create_synthetic(n.c_string(shape, "shape"), n.c_int(seed, "seed", c_uint64),
                                                 byref(params), byref(out)))
        return cls(out.value, f"synthetic:{shape}")

    def __enter__(self) -> "Model":
        return self

    def _free(self, handle: int) -> None:
        n.lib.llmrt_model_free(handle)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.architecture}, {self.n_params} params"
        return f"<llmrt.Model {self.path!r} ({state})>"

    # ---- introspection ----

    @property
    def architecture(self) -> str:
        """The model family, e.g. "llama"."""
        return n.lib.llmrt_model_architecture(self._h()).decode()

    @property
    def weight_type(self) -> str:
        """The weights' data type, e.g. "f32"."""
        return n.lib.llmrt_model_weight_type(self._h()).decode()

    @property
    def n_params(self) -> int:
        return int(n.lib.llmrt_model_n_params(self._h()))

    @property
    def weight_bytes(self) -> int:
        return int(n.lib.llmrt_model_weight_bytes(self._h()))

    @property
    def decode_read_bytes(self) -> int:
        """Weight bytes one decoded token reads (all but the embedding table): decode tokens/s is
        at most the memory bandwidth over this."""
        return int(n.lib.llmrt_model_decode_read_bytes(self._h()))

    @property
    def n_vocab(self) -> int:
        return int(n.lib.llmrt_model_n_vocab(self._h()))

    @property
    def n_ctx_train(self) -> int:
        """The context length the model was trained with."""
        return int(n.lib.llmrt_model_n_ctx_train(self._h()))

    @property
    def n_embd(self) -> int:
        return int(n.lib.llmrt_model_n_embd(self._h()))

    @property
    def n_layer(self) -> int:
        return int(n.lib.llmrt_model_n_layer(self._h()))

    @property
    def tp_rank(self) -> int:
        """This process's rank among those the model is sharded over (load(tensor_parallel=True));
        0 for a model that is not sharded."""
        return int(n.lib.llmrt_model_tp_rank(self._h()))

    @property
    def tp_size(self) -> int:
        """How many ranks the model is sharded over (load(tensor_parallel=True)); 1 for a model
        that is not sharded."""
        return int(n.lib.llmrt_model_tp_size(self._h()))

    @property
    def bos(self) -> Optional[int]:
        """The beginning-of-sequence token, or None."""
        token = int(n.lib.llmrt_model_bos(self._h()))
        return token if token >= 0 else None

    @property
    def eos(self) -> Optional[int]:
        """The end-of-sequence token, or None."""
        token = int(n.lib.llmrt_model_eos(self._h()))
        return token if token >= 0 else None

    def tensor_types(self, as_loaded: bool = False) -> List[TensorType]:
        """The model's tensors by type, most parameters first.

        as_loaded=False: as stored in its file (every tensor of the file; a synthetic model's are
        the bf16 tensors it is generated in). as_loaded=True: as the model holds them in memory,
        after conversion, the repacking of GGUF blocks or quantization on load; their n_params add
        up to n_params and their n_bytes to weight_bytes.
        """
        if not n.has_function("llmrt_model_tensor_type_sized"):
            raise UnsupportedError("this libllmrt cannot list tensor types (no llmrt_model_tensor_type_sized)")
        handle = self._h()
        which = int(bool(as_loaded))
        types = []
        for i in range(n.lib.llmrt_model_n_tensor_types(handle, which)):
            stats = n.TensorTypeStats()
            check(n.lib.llmrt_model_tensor_type_sized(handle, which, i, byref(stats), sizeof(stats)))
            types.append(TensorType(stats.type.decode(), int(stats.n_tensors), int(stats.n_params),
                                    int(stats.n_bytes)))
        return types

    # ---- tokenizer ----

    def tokenize(self, text: str, add_special: bool = True) -> List[int]:
        """Token ids for text; add_special adds BOS (and whatever else the tokenizer adds). A NUL
        character is text like any other (its byte token)."""
        data = text.encode("utf-8")
        # More than enough for every tokenizer we know (retried if not), within what int32_t holds.
        capacity = min(len(data) + 8, 2**31 - 1)
        while True:
            tokens = (c_int32 * capacity)()
            count = c_int32()
            status = n.lib.llmrt_tokenize_n(self._h(), data, len(data), int(add_special), tokens, capacity,
                                            byref(count))
            if status == n.ERR_BUFFER_TOO_SMALL and count.value > capacity:
                capacity = count.value
                continue
            check(status)
            return list(tokens[:count.value])

    def token_to_piece(self, token: int) -> bytes:
        """The bytes one token stands for. Bytes, not str: a piece may be part of a UTF-8 character."""
        handle = self._h()
        token = n.c_int(token, "token")
        return _read_sized(lambda buf, cap, length: n.lib.llmrt_token_to_piece_v2(handle, token, buf, cap, length),
                           extra=0)

    def detokenize(self, tokens: Sequence[int], skip_special: bool = True) -> str:
        """The text for a sequence of token ids; skip_special omits control tokens (BOS, EOS)."""
        handle = self._h()
        ids = n.c_int32_array(tokens, "tokens")
        data = _read_sized(
            lambda buf, cap, length: n.lib.llmrt_detokenize_v2(handle, ids, len(tokens), int(skip_special), buf, cap,
                                                               length),
            extra=1)
        return data.decode("utf-8", errors="replace")

    # ---- chat ----

    def chat_template(self, name: Optional[str] = None) -> Optional[str]:
        """The model's chat template (Jinja text) called name (None: its default one; some
        tokenizer_config.json files have others, such as "tool_use"), or None if it has none."""
        from .chat import read_text, require_chat_support
        require_chat_support()
        handle = self._h()
        native_name = n.c_string(name, "name") if name is not None else None
        text = read_text(lambda buf, cap, length: n.lib.llmrt_model_chat_template(handle, native_name, buf, cap,
                                                                                   length))
        return text or None

    def apply_chat_template(self, messages: Any, **kwargs: Any) -> str:
        """llmrt.apply_chat_template(messages, model=self, **kwargs): the conversation rendered
        with this model's template (or template=...) and its BOS/EOS text."""
        from .chat import apply_chat_template
        return apply_chat_template(messages, model=self, **kwargs)

    # ---- generation ----

    def create_context(self, **kwargs: object) -> "Context":
        """Same as Context(model, **kwargs)."""
        from .context import Context
        return Context(self, **kwargs)  # type: ignore[arg-type]

    @overload
    def generate(self, prompt: str, *, stream: Literal[False] = ..., **kwargs: object) -> str: ...

    @overload
    def generate(self, prompt: str, *, stream: Literal[True], **kwargs: object) -> "TokenStream": ...

    def generate(self, prompt: str, *, stream: bool = False, max_new_tokens: int = 128, min_new_tokens: int = 0,
                 stop_at_eos: bool = True, add_special: bool = True, stop: Optional[Sequence[str]] = None,
                 temperature: Optional[float] = None, top_k: Optional[int] = None, top_p: Optional[float] = None,
                 min_p: Optional[float] = None, repetition_penalty: Optional[float] = None,
                 seed: Optional[int] = None, presence_penalty: Optional[float] = None,
                 frequency_penalty: Optional[float] = None, no_repeat_ngram_size: Optional[int] = None,
                 logit_bias: Optional["LogitBiasArg"] = None, stop_callback: Optional["StopCallback"] = None,
                 shift: Optional[str] = None, n_keep: Optional[int] = None, n_discard: Optional[int] = None,
                 context: Optional["Context"] = None,
                 sampler: Optional["Sampler"] = None) -> Union[str, "TokenStream"]:
        """Generates text after prompt.

        With stream=False returns the whole text; with stream=True returns a TokenStream, an
        iterator of text pieces produced as the model runs (close it, or use `with`, to stop early).

        Sampling settings (temperature ... seed) build a Sampler, defaulting to the library's
        defaults; pass sampler= instead to reuse one. Without context= a fresh context is created
        and freed afterwards; a given context is appended to (call context.reset() for a fresh
        sequence). stop lists strings that end the generation (they are not emitted).
        stop_callback(tokens) is called after each token from the min_new_tokens-th on with the ids
        generated so far; returning True ends the generation there (stop reason "callback"); an
        exception it raises ends it too and propagates to the caller.

        StreamingLLM (endless generation in a fixed window): shift="reevaluate" or "roped_k" makes
        room when the window is full instead of stopping: n_keep tokens from the start are kept
        (library default 4; -1 = the whole prompt) and n_discard after them dropped (default -1 =
        half of the rest), then the remaining tokens are evaluated again ("reevaluate") or their
        cached keys re-rotated ("roped_k", RoPE and ALiBi models; UnsupportedError for learned
        positions). None or "off": the generation ends when the window is full.
        """
        from .generation import GenerateParams, TokenStream, run_with_callback
        params = GenerateParams(max_new_tokens, min_new_tokens, stop_at_eos, add_special, stop, stop_callback,
                                shift, n_keep, n_discard)
        context, sampler, owned = self._prepare(context, sampler, dict(
            temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, repetition_penalty=repetition_penalty,
            seed=seed, presence_penalty=presence_penalty, frequency_penalty=frequency_penalty,
            no_repeat_ngram_size=no_repeat_ngram_size, logit_bias=logit_bias))
        if stream:
            return TokenStream(context, sampler, prompt, params, owned)
        try:
            return run_with_callback(context, sampler, prompt, params, None)
        finally:
            for handle in owned:
                handle.close()

    def generate_with_callback(self, prompt: str, callback: TokenCallback, *, max_new_tokens: int = 128,
                               min_new_tokens: int = 0, stop_at_eos: bool = True, add_special: bool = True,
                               stop: Optional[Sequence[str]] = None, temperature: Optional[float] = None,
                               top_k: Optional[int] = None, top_p: Optional[float] = None,
                               min_p: Optional[float] = None, repetition_penalty: Optional[float] = None,
                               seed: Optional[int] = None, presence_penalty: Optional[float] = None,
                               frequency_penalty: Optional[float] = None,
                               no_repeat_ngram_size: Optional[int] = None,
                               logit_bias: Optional["LogitBiasArg"] = None,
                               stop_callback: Optional["StopCallback"] = None,
                               shift: Optional[str] = None, n_keep: Optional[int] = None,
                               n_discard: Optional[int] = None,
                               context: Optional["Context"] = None,
                               sampler: Optional["Sampler"] = None) -> str:
        """Like generate(), but calls callback(piece, token) for every token as it is produced
        (piece may be "" while a UTF-8 character is incomplete) and returns the whole text.

        A callback that returns True stops the generation with CancelledError; an exception raised
        by the callback stops it too and propagates to the caller.
        """
        from .generation import GenerateParams, run_with_callback
        params = GenerateParams(max_new_tokens, min_new_tokens, stop_at_eos, add_special, stop, stop_callback,
                                shift, n_keep, n_discard)
        context, sampler, owned = self._prepare(context, sampler, dict(
            temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, repetition_penalty=repetition_penalty,
            seed=seed, presence_penalty=presence_penalty, frequency_penalty=frequency_penalty,
            no_repeat_ngram_size=no_repeat_ngram_size, logit_bias=logit_bias))
        try:
            return run_with_callback(context, sampler, prompt, params, callback)
        finally:
            for handle in owned:
                handle.close()

    def _prepare(self, context: Optional["Context"], sampler: Optional["Sampler"], settings: Dict[str, object]
                 ) -> Tuple["Context", "Sampler", List[Handle]]:
        """The context and sampler to generate with, plus those created here (to close after).
        settings are Sampler's keyword arguments (None = the library's default)."""
        from .context import Context
        from .sampler import Sampler
        owned: List[Handle] = []
        if sampler is None:
            sampler = Sampler(**settings)  # type: ignore[arg-type]
            owned.append(sampler)
        elif any(v is not None for v in settings.values()):
            raise ValueError("pass either sampler= or sampling settings, not both")
        if context is None:
            try:
                context = Context(self)
            except BaseException:
                for handle in owned:
                    handle.close()
                raise
            owned.insert(0, context)  # closed first: the context uses the sampler
        elif context.model is not self:
            raise ValueError("the context belongs to another model")
        return context, sampler, owned


def _read_sized(call: Callable[[Any, int, Any], int], extra: int) -> bytes:
    """Calls a (buf, capacity, *length) function, growing the buffer once if it reports too small.
    extra is the room the function needs beyond *length (1 for a NUL terminator)."""
    capacity = 64
    while True:
        buf = (c_char * capacity)()
        length = c_size_t()
        status = call(buf, capacity, byref(length))
        if status == n.ERR_BUFFER_TOO_SMALL and length.value + extra > capacity:
            capacity = length.value + extra
            continue
        check(status)
        return buf.raw[:length.value]

