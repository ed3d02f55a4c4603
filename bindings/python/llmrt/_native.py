"""Loads libllmrt with ctypes and declares the C functions and structs this package uses.

Everything here mirrors include/llmrt.h; nothing else in the package touches ctypes prototypes.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import operator
import os
from ctypes import POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int32, c_size_t, c_uint32, c_uint64, c_void_p
from pathlib import Path
from typing import List, Sequence, Type, TypeVar

# The LLMRT_API_VERSION and LLMRT_API_VERSION_MINOR this package was written against. By llmrt.h's
# version rule it runs on a library of the same major and a minor at least this one; anything else
# is refused at import rather than risking memory corruption later.
API_VERSION = 1
API_VERSION_MINOR = 4

OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_IO = 2
ERR_FORMAT = 3
ERR_UNSUPPORTED = 4
ERR_OUT_OF_MEMORY = 5
ERR_CONTEXT_FULL = 6
CANCELLED = 7
ERR_BUFFER_TOO_SMALL = 8
ERR_INTERNAL = 9
END_OF_GENERATION = 10
ERR_BUSY = 11

DEFAULT_SEED = 0xFFFFFFFFFFFFFFFF


class LibraryNotFoundError(ImportError):
    """libllmrt could not be loaded, or it is a version this package does not support."""


def _candidates() -> List[str]:
    explicit = os.environ.get("LLMRT_LIBRARY")
    if explicit:
        # An explicit choice is honoured alone: silently falling back to another copy would hide
        # a typo and test the wrong library.
        return [explicit]
    here = Path(__file__).resolve().parent
    found = [str(p) for p in sorted(here.glob("libllmrt.so*"))]
    found.append("libllmrt.so.0")
    system = ctypes.util.find_library("llmrt")
    if system:
        found.append(system)
    return found


def _load() -> ctypes.CDLL:
    errors = []
    for candidate in _candidates():
        try:
            # CDLL (not PyDLL) releases the GIL around every foreign call, so a long generate or
            # decode does not block other Python threads (for example one that calls cancel()).
            return ctypes.CDLL(candidate)
        except OSError as e:
            errors.append(f"  {candidate}: {e}")
    raise LibraryNotFoundError(
        "llmrt: could not load the native library libllmrt.so. Tried:\n" + "\n".join(errors) +
        "\nSet LLMRT_LIBRARY to the full path of libllmrt.so, copy it into the llmrt package "
        "directory, or install it on the system library path.")


lib = _load()


PROGRESS_CALLBACK = ctypes.CFUNCTYPE(c_int32, c_float, c_char_p, c_void_p)
STOP_CALLBACK = ctypes.CFUNCTYPE(c_int32, POINTER(c_int32), c_int32, c_void_p)


class TensorOverride(Structure):
    _fields_ = [("pattern", c_char_p), ("dtype", c_char_p)]


class QuantParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("weight_dtype", c_char_p), ("algorithm", c_char_p),
                ("group_size", c_int32), ("asym", c_int32), ("scale_dtype", c_char_p),
                ("compute_dtype", c_char_p), ("tensor_overrides", c_char_p),
                ("progress", PROGRESS_CALLBACK), ("progress_user_data", c_void_p),
                ("calibration_path", c_char_p), ("n_samples", c_int32), ("seq_len", c_int32),
                ("seed", c_uint64), ("gptq_damp", c_float), ("gptq_act_order", c_int32),
                ("gptq_clip_grid", c_int32),
                ("output_format", c_char_p),
                ("sq_alpha", c_float), ("sq_alpha_auto", c_int32), ("sq_alpha_min", c_float),
                ("sq_alpha_max", c_float), ("sq_alpha_step", c_float), ("sq_criterion", c_char_p),
                ("sq_activations", c_char_p), ("sq_act_percentile", c_float), ("sq_keep", c_char_p),
                ("overrides", POINTER(TensorOverride)), ("n_overrides", c_int32),
                ("scale_type", c_int32), ("compute_type", c_int32)]


class ModelParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("use_mmap", c_int32), ("n_threads", c_int32),
                ("quantize", POINTER(QuantParams)), ("compute_dtype", c_char_p), ("compute_type", c_int32),
                ("tensor_parallel", c_int32)]


class ContextParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("n_ctx", c_int32), ("n_batch", c_int32),
                ("n_threads", c_int32), ("logits_all", c_int32), ("kv_type", c_int32), ("n_seq_max", c_int32)]


class LogitBias(Structure):
    _fields_ = [("token", c_int32), ("bias", c_float)]


class SamplerParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("temperature", c_float), ("top_k", c_int32),
                ("top_p", c_float), ("min_p", c_float), ("repetition_penalty", c_float),
                ("repetition_last_n", c_int32), ("seed", c_uint64),
                ("presence_penalty", c_float), ("frequency_penalty", c_float),
                ("no_repeat_ngram_size", c_int32), ("logit_bias", POINTER(LogitBias)), ("n_logit_bias", c_int32)]


class GenerateParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("max_new_tokens", c_int32), ("min_new_tokens", c_int32),
                ("stop_at_eos", c_int32), ("add_special", c_int32),
                ("stop_strings", POINTER(c_char_p)), ("n_stop_strings", c_int32),
                ("stop_callback", STOP_CALLBACK), ("stop_user_data", c_void_p),
                ("shift_mode", c_int32), ("n_keep", c_int32), ("n_discard", c_int32)]


# llmrt.h's LLMRT_SHIFT_* values (StreamingLLM), by the names the Python API takes.
SHIFT_MODES = {"off": 0, "reevaluate": 1, "roped_k": 2}


class BeamParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("num_beams", c_int32), ("num_return_sequences", c_int32),
                ("max_new_tokens", c_int32), ("length_penalty", c_float), ("early_stopping", c_int32),
                ("stop_at_eos", c_int32), ("eos_token_id", c_int32)]


# llmrt.h's LLMRT_EARLY_STOPPING_* values.
EARLY_STOPPING_FALSE = 0
EARLY_STOPPING_TRUE = 1
EARLY_STOPPING_NEVER = 2


class ChatTemplateParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("add_generation_prompt", c_int32), ("bos_token", c_char_p),
                ("eos_token", c_char_p), ("tools_json", c_char_p), ("extra_vars_json", c_char_p)]


class ChatSessionParams(Structure):
    _fields_ = [("struct_size", c_uint32), ("chat_template", c_char_p), ("system_prompt", c_char_p)]


class TensorTypeStats(Structure):
    _fields_ = [("struct_size", c_uint32), ("type", c_char_p), ("n_tensors", c_int32),
                ("n_params", c_uint64), ("n_bytes", c_uint64)]


# The piece is declared as POINTER(c_char), not c_char_p, so ctypes does not cut it at a NUL byte:
# it is read with string_at(piece, length).
TOKEN_CALLBACK = ctypes.CFUNCTYPE(c_int32, POINTER(c_char), c_size_t, c_int32, c_void_p)
LOG_CALLBACK = ctypes.CFUNCTYPE(None, c_int32, c_char_p, c_void_p)

_status = c_int32
_handle = c_void_p
_p_handle = POINTER(c_void_p)
_p_int32 = POINTER(c_int32)
_p_float = POINTER(c_float)

_PROTOTYPES = {
    # name: (restype, argtypes)
    "llmrt_last_error": (c_char_p, []),
    "llmrt_status_string": (c_char_p, [_status]),
    "llmrt_api_version": (c_uint32, []),
    "llmrt_api_version_minor": (c_uint32, []),
    "llmrt_version_string": (c_char_p, []),
    "llmrt_set_log_callback": (None, [LOG_CALLBACK, c_void_p]),
    "llmrt_set_log_level": (None, [c_int32]),
    # The *_params_init_sized functions fill a struct of the size they are given: see new_params().
    "llmrt_model_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_model_load": (_status, [c_char_p, POINTER(ModelParams), _p_handle]),
    "llmrt_model_create_synthetic": (_status, [c_char_p, c_uint64, POINTER(ModelParams), _p_handle]),
    "llmrt_model_free": (None, [_handle]),
    "llmrt_model_architecture": (c_char_p, [_handle]),
    "llmrt_model_weight_type": (c_char_p, [_handle]),
    "llmrt_model_n_params": (c_uint64, [_handle]),
    "llmrt_model_weight_bytes": (c_uint64, [_handle]),
    "llmrt_model_decode_read_bytes": (c_uint64, [_handle]),
    "llmrt_model_n_vocab": (c_int32, [_handle]),
    "llmrt_model_n_ctx_train": (c_int32, [_handle]),
    "llmrt_model_n_embd": (c_int32, [_handle]),
    "llmrt_model_n_layer": (c_int32, [_handle]),
    "llmrt_model_bos": (c_int32, [_handle]),
    "llmrt_model_eos": (c_int32, [_handle]),
    "llmrt_model_tp_rank": (c_int32, [_handle]),
    "llmrt_model_tp_size": (c_int32, [_handle]),
    "llmrt_tokenize_n": (_status, [_handle, c_char_p, c_size_t, c_int32, _p_int32, c_int32, _p_int32]),
    "llmrt_token_to_piece_v2": (_status, [_handle, c_int32, POINTER(c_char), c_size_t, POINTER(c_size_t)]),
    "llmrt_detokenize_v2": (_status, [_handle, _p_int32, c_int32, c_int32, POINTER(c_char), c_size_t, POINTER(c_size_t)]),
    "llmrt_context_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_context_create": (_status, [_handle, POINTER(ContextParams), _p_handle]),
    "llmrt_context_free": (None, [_handle]),
    "llmrt_context_n_ctx": (c_int32, [_handle]),
    "llmrt_context_n_past": (c_int32, [_handle]),
    "llmrt_decode": (_status, [_handle, _p_int32, c_int32]),
    "llmrt_get_logits": (_p_float, [_handle]),
    "llmrt_get_logits_ith": (_p_float, [_handle, c_int32]),
    "llmrt_score_continuation": (_status, [_handle, _p_int32, c_int32, _p_int32, c_int32,
                                           POINTER(c_double), _p_int32]),
    "llmrt_context_reset": (None, [_handle]),
    "llmrt_context_cancel": (None, [_handle]),
    "llmrt_context_set_profiling": (_status, [_handle, c_int32]),
    "llmrt_context_profile_json": (_status, [_handle, POINTER(c_char_p)]),
    "llmrt_context_shift": (_status, [_handle, c_int32, c_int32, c_int32]),
    "llmrt_sampler_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_sampler_create": (_status, [POINTER(SamplerParams), _p_handle]),
    "llmrt_sampler_free": (None, [_handle]),
    "llmrt_sampler_sample": (_status, [_handle, _p_float, c_int32, _p_int32]),
    "llmrt_sampler_reset": (None, [_handle]),
    "llmrt_sampler_accept_prompt": (_status, [_handle, _p_int32, c_int32]),
    "llmrt_generate_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_generate": (_status, [_handle, _handle, c_char_p, POINTER(GenerateParams), TOKEN_CALLBACK, c_void_p]),
    "llmrt_generate_begin": (_status, [_handle, _handle, c_char_p, POINTER(GenerateParams)]),
    "llmrt_generate_next": (_status, [_handle, POINTER(POINTER(c_char)), POINTER(c_size_t), _p_int32]),
    "llmrt_generate_end": (None, [_handle]),
    # Several sequences per context and beam search (issue 11).
    "llmrt_decode_multi": (_status, [_handle, _p_int32, _p_int32, c_int32]),
    "llmrt_context_n_seq_max": (c_int32, [_handle]),
    "llmrt_seq_n_past": (c_int32, [_handle, c_int32]),
    "llmrt_seq_remove": (_status, [_handle, c_int32]),
    "llmrt_seq_copy": (_status, [_handle, c_int32, c_int32]),
    "llmrt_seq_truncate": (_status, [_handle, c_int32, c_int32]),
    "llmrt_beam_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_beam_search": (_status, [_handle, _p_int32, c_int32, POINTER(BeamParams), _p_handle]),
    "llmrt_beam_results_count": (c_int32, [_handle]),
    "llmrt_beam_results_tokens": (_p_int32, [_handle, c_int32, _p_int32]),
    "llmrt_beam_results_score": (c_double, [_handle, c_int32]),
    "llmrt_beam_results_free": (None, [_handle]),
}

# Declared in llmrt.h but implemented later than the rest (quantization: issue 3, tensor types:
# issue 9, chat templates: issue 11): the package works without them, and Quantizer,
# Model.tensor_types() and the chat-template functions report UnsupportedError until the library
# has them.
_OPTIONAL_PROTOTYPES = {
    "llmrt_quant_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_quantizer_create": (_status, [POINTER(QuantParams), _p_handle]),
    "llmrt_quantizer_free": (None, [_handle]),
    "llmrt_quantize": (_status, [_handle, c_char_p, c_char_p]),
    "llmrt_weight_dtype_count": (c_int32, []),
    "llmrt_weight_dtype_name": (c_char_p, [c_int32]),
    "llmrt_kv_type_name": (c_char_p, [c_int32]),
    "llmrt_scale_type_name": (c_char_p, [c_int32]),
    "llmrt_compute_type_name": (c_char_p, [c_int32]),
    "llmrt_model_n_tensor_types": (c_int32, [_handle, c_int32]),
    # Writes only the fields a struct of the size it is given holds, like *_params_init_sized.
    "llmrt_model_tensor_type_sized": (_status, [_handle, c_int32, c_int32, POINTER(TensorTypeStats), c_uint32]),
    # Chat templates (issue 11).
    "llmrt_chat_template_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_model_chat_template": (_status, [_handle, c_char_p, POINTER(c_char), c_size_t, POINTER(c_size_t)]),
    "llmrt_chat_apply_template_json": (_status, [_handle, c_char_p, c_char_p, POINTER(ChatTemplateParams),
                                                 POINTER(c_char), c_size_t, POINTER(c_size_t)]),
    # Generation handles and chat sessions (issue 11).
    "llmrt_generation_create": (_status, [_handle, _handle, c_char_p, POINTER(GenerateParams), _p_handle]),
    "llmrt_generation_next": (_status, [_handle, POINTER(POINTER(c_char)), POINTER(c_size_t), _p_int32]),
    "llmrt_generation_stop_code": (c_int32, [_handle]),
    "llmrt_stop_reason_name": (c_char_p, [c_int32]),
    "llmrt_generation_n_generated": (c_int32, [_handle]),
    "llmrt_generation_free": (None, [_handle]),
    "llmrt_chat_session_params_init_sized": (None, [c_void_p, c_uint32]),
    "llmrt_chat_session_create": (_status, [_handle, _handle, POINTER(ChatSessionParams), _p_handle]),
    "llmrt_chat_session_free": (None, [_handle]),
    "llmrt_chat_session_add_message": (_status, [_handle, c_char_p, c_char_p]),
    "llmrt_chat_session_respond": (_status, [_handle, POINTER(GenerateParams), TOKEN_CALLBACK, c_void_p]),
    "llmrt_chat_session_respond_begin": (_status, [_handle, POINTER(GenerateParams), _p_handle]),
    "llmrt_chat_session_pop_message": (_status, [_handle]),
    "llmrt_chat_session_reset": (_status, [_handle]),
    "llmrt_chat_session_truncate": (_status, [_handle, c_int32]),
    "llmrt_chat_session_n_messages": (c_int32, [_handle]),
    "llmrt_chat_session_message": (_status, [_handle, c_int32, POINTER(c_char_p), POINTER(c_char_p)]),
    "llmrt_chat_session_n_evaluated": (c_int32, [_handle]),
    "llmrt_chat_session_prompt": (c_char_p, [_handle]),
    "llmrt_chat_session_n_reused": (c_int32, [_handle]),
    "llmrt_chat_session_n_dropped": (c_int32, [_handle]),
}


def _declare() -> None:
    missing = []
    for name, (restype, argtypes) in {**_PROTOTYPES, **_OPTIONAL_PROTOTYPES}.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            if name in _PROTOTYPES:
                missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise LibraryNotFoundError(f"llmrt: {lib._name} lacks {', '.join(missing)}; it is not a "
                                   "compatible libllmrt")


def _check_version() -> None:
    try:
        api_version = lib.llmrt_api_version
    except AttributeError:
        raise LibraryNotFoundError(f"llmrt: {lib._name} is not libllmrt (it has no llmrt_api_version)") from None
    api_version.restype = c_uint32
    api_version.argtypes = []
    found = api_version()
    # A library from before the minor existed is minor 0.
    minor = lib.llmrt_api_version_minor() if hasattr(lib, "llmrt_api_version_minor") else 0
    if found != API_VERSION or minor < API_VERSION_MINOR:
        raise LibraryNotFoundError(
            f"llmrt: {lib._name} has API version {found}.{minor}, but this Python package needs "
            f"{API_VERSION}.{API_VERSION_MINOR} or a later minor; install a newer library")


_check_version()
_declare()


def has_function(name: str) -> bool:
    """Whether the loaded library exports name (for the optional functions)."""
    return hasattr(lib, name)


_S = TypeVar("_S", bound=Structure)


def new_params(struct_type: Type[_S], init_name: str) -> _S:
    """A params struct filled with the library's defaults by its *_params_init_sized function.

    The library writes only the fields a struct of this package's size holds, and records that
    size in struct_size, so a newer library with larger structs reads only those fields.
    """
    params = struct_type()
    getattr(lib, init_name + "_sized")(ctypes.byref(params), ctypes.sizeof(struct_type))
    return params


def last_error() -> str:
    """The calling thread's last error message from the library ("" if none)."""
    return (lib.llmrt_last_error() or b"").decode("utf-8", errors="replace")


def status_string(status: int) -> str:
    return (lib.llmrt_status_string(status) or b"").decode("utf-8", errors="replace")


def c_string(text: str, name: str) -> bytes:
    """text as UTF-8 for a NUL-terminated C string parameter. A NUL character would end the string
    there and the rest would be silently dropped: refuse it, naming the parameter."""
    data = text.encode("utf-8")
    if b"\0" in data:
        raise ValueError(f"{name} contains a NUL character, which cannot be passed to llmrt as text")
    return data


def value_named(name_function: str, text: str, name: str) -> int:
    """The constant of a closed set (LLMRT_SCALE_*, LLMRT_COMPUTE_*, ...) that the library's
    name_function (llmrt_scale_type_name, ...) names text; ValueError listing the names if none."""
    wanted = c_string(text, name)
    names = []
    while (found := getattr(lib, name_function)(len(names))) is not None:
        if found == wanted:
            return len(names)
        names.append(found.decode())
    raise ValueError(f"{name} must be one of {names}, not {text!r}")


def c_path(path: "os.PathLike[str] | str", name: str) -> bytes:
    """A file path for a C string parameter (the file system's encoding), refusing a NUL like
    c_string."""
    data = os.fsencode(path)
    if b"\0" in data:
        raise ValueError(f"{name} contains a NUL character, which cannot be passed to llmrt as a path")
    return data


def c_int(value: int, name: str, ctype: type = c_int32) -> int:
    """value, checked to fit the C integer type ctype. ctypes would silently keep only the low
    bits (2**32 + 5 would become 5), so an out-of-range value raises OverflowError naming the
    parameter, and a non-integer TypeError."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    bits = 8 * ctypes.sizeof(ctype)
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if ctype(-1).value < 0 else (0, (1 << bits) - 1)
    if not low <= value <= high:
        raise OverflowError(f"{name} = {value} is out of range: it must be between {low} and {high}")
    return value


def c_int32_array(values: Sequence[int], name: str) -> "ctypes.Array[c_int32]":
    """values as a C int32_t array, each element checked by c_int."""
    return (c_int32 * len(values))(*(c_int(v, f"{name}[{i}]") for i, v in enumerate(values)))
