"""Quantizer: a checkpoint in, a packed llmrt file with quantized weights out."""
from __future__ import annotations

import os
from ctypes import byref, c_void_p
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _native as n
from ._handle import Handle
from .errors import UnsupportedError, check

ProgressCallback = Callable[[float, str], Optional[bool]]
QuantizeSpec = Union[str, Mapping[str, Any]]
# "pattern=dtype;...", or (pattern, dtype) pairs in order, or {pattern: dtype}.
TensorOverrides = Union[str, Sequence[Tuple[str, str]], Mapping[str, str]]


def weight_dtypes() -> List[str]:
    """The weight_dtype names the library accepts ("int8", "int4", "nf4", ...), in its order."""
    if not n.has_function("llmrt_weight_dtype_count"):
        raise UnsupportedError("this libllmrt does not list its weight types (no llmrt_weight_dtype_count)")
    return [n.lib.llmrt_weight_dtype_name(i).decode() for i in range(n.lib.llmrt_weight_dtype_count())]


def _set_override_array(params: n.QuantParams, overrides: Union[Sequence[Tuple[str, str]], Mapping[str, str]]) -> None:
    """The array form (llmrt_tensor_override), which takes any pattern. The struct keeps the array alive."""
    pairs = list(overrides.items()) if isinstance(overrides, Mapping) else list(overrides)
    array = (n.TensorOverride * max(len(pairs), 1))()
    for i, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ValueError(f"tensor_overrides[{i}] must be a (pattern, dtype) pair, not {pair!r}")
        array[i].pattern = n.c_string(pair[0], "pattern")
        array[i].dtype = n.c_string(pair[1], "dtype")
    params.overrides = array
    params.n_overrides = len(pairs)


def quant_params(weight_dtype: Optional[str] = None, *, algorithm: Optional[str] = None,
                 group_size: Optional[int] = None, asym: Optional[bool] = None, scale_dtype: Optional[str] = None,
                 compute_dtype: Optional[str] = None, tensor_overrides: Optional[TensorOverrides] = None,
                 calibration_path: Optional[str] = None, n_samples: Optional[int] = None,
                 seq_len: Optional[int] = None, seed: Optional[int] = None, gptq_damp: Optional[float] = None,
                 gptq_act_order: Optional[bool] = None, gptq_clip_grid: Optional[int] = None,
                 output_format: Optional[str] = None,
                 sq_alpha: Optional[Union[float, str]] = None,
                 sq_alpha_min: Optional[float] = None, sq_alpha_max: Optional[float] = None,
                 sq_alpha_step: Optional[float] = None, sq_criterion: Optional[str] = None,
                 sq_act: Optional[str] = None, sq_act_percentile: Optional[float] = None,
                 sq_keep: Optional[Union[str, List[str]]] = None) -> n.QuantParams:
    """llmrt_quant_params from keyword settings; None leaves the library's default. (The struct
    keeps the encoded strings alive itself.)"""
    if not n.has_function("llmrt_quant_params_init_sized"):
        raise UnsupportedError("this libllmrt does not implement quantization yet (no llmrt_quant_params_init_sized)")
    params = n.new_params(n.QuantParams, "llmrt_quant_params_init")
    if tensor_overrides is not None and not isinstance(tensor_overrides, str):
        _set_override_array(params, tensor_overrides)
        tensor_overrides = None
    if scale_dtype is not None:
        params.scale_type = n.value_named("llmrt_scale_type_name", scale_dtype, "scale_dtype")
    if compute_dtype is not None:
        params.compute_type = n.value_named("llmrt_compute_type_name", compute_dtype, "compute_dtype")
    strings = dict(weight_dtype=weight_dtype, algorithm=algorithm, tensor_overrides=tensor_overrides,
                   output_format=output_format,
                   calibration_path=os.fspath(calibration_path) if calibration_path is not None else None)
    for name, value in strings.items():
        if value is not None:
            setattr(params, name, n.c_string(value, name))
    if group_size is not None:
        params.group_size = n.c_int(group_size, "group_size")
    if asym is not None:
        params.asym = int(asym)
    if n_samples is not None:
        params.n_samples = n.c_int(n_samples, "n_samples")
    if seq_len is not None:
        params.seq_len = n.c_int(seq_len, "seq_len")
    if seed is not None:
        params.seed = int(seed)
    if gptq_damp is not None:
        params.gptq_damp = float(gptq_damp)
    if gptq_act_order is not None:
        params.gptq_act_order = int(gptq_act_order)
    if gptq_clip_grid is not None:
        params.gptq_clip_grid = int(gptq_clip_grid)
    if sq_alpha == "auto":
        params.sq_alpha_auto = 1
    elif sq_alpha is not None:
        params.sq_alpha = float(sq_alpha)
    for name, value in (("sq_alpha_min", sq_alpha_min), ("sq_alpha_max", sq_alpha_max),
                        ("sq_alpha_step", sq_alpha_step), ("sq_act_percentile", sq_act_percentile)):
        if value is not None:
            setattr(params, name, float(value))
    if sq_criterion is not None:
        params.sq_criterion = n.c_string(sq_criterion, "sq_criterion")
    if sq_act is not None:
        params.sq_activations = n.c_string(sq_act, "sq_act")
    if sq_keep is not None:
        keep = sq_keep if isinstance(sq_keep, str) else ";".join(sq_keep)
        params.sq_keep = n.c_string(keep, "sq_keep")
    return params


def quant_params_from_spec(spec: QuantizeSpec) -> n.QuantParams:
    """Model.load(quantize=...) accepts a weight type ("int4") or a dict of quant_params settings."""
    if isinstance(spec, str):
        return quant_params(spec)
    return quant_params(**spec)


class _Progress:
    """What the native progress callback reports to during one quantize() call. Kept apart from
    the Quantizer so the ctypes callback does not make a reference cycle through it."""

    def __init__(self) -> None:
        self.callback: Optional[ProgressCallback] = None
        self.failures: List[BaseException] = []

    def __call__(self, fraction: float, tensor_name: Optional[bytes], _user_data: object) -> int:
        if self.callback is None:
            return 0
        try:
            name = (tensor_name or b"").decode("utf-8", errors="replace")
            return 1 if self.callback(fraction, name) else 0
        except BaseException as e:  # must not escape into C: re-raised by quantize()
            self.failures.append(e)
            return 1


class Quantizer(Handle):
    """Quantizes checkpoints (Hugging Face directory, GGUF or llmrt file) into llmrt files.

    Settings left as None take the library's defaults (int4, RTN, group size 32, symmetric, fp32
    scales, the fastest compute type, embeddings and output head kept in int8).

    Args:
        weight_dtype: one of weight_dtypes() ("int8", "int4", "nf4", "fp4", "fp8_e4m3", "fp8_e5m2").
        algorithm: "rtn" (round to nearest), "gptq", "awq" or "smoothquant" (calibrated; need
            calibration_path). "smoothquant" is W8A8: weight_dtype "int8", group_size -1.
        group_size: 32, 64, 128, or -1 for one group per output channel.
        asym: int8/int4 with a minimum per group as well as a scale.
        scale_dtype: "fp32", "bf16" or "fp16".
        compute_dtype: "auto", "fp32", "bf16" or "int8".
        tensor_overrides: tensors kept in another type: "pattern=dtype;...", (pattern, dtype) pairs or
            {pattern: dtype}, the first match winning ("" or [] quantizes all).
        calibration_path: "gptq": plain text or JSONL with a "text" field (not the evaluation text).
        n_samples, seq_len, seed: "gptq": how many windows of how many tokens, drawn where.
        gptq_damp, gptq_act_order: "gptq": dampening share and act-order (static groups).
        gptq_clip_grid: "gptq": steps of the per-group range-shrink search (0 = off).
        output_format: "llmrt" (default), "hf-gptq" (a Hugging Face GPTQ directory) or "gguf"
            (llama.cpp's file with Q4_0/Q4_1/Q8_0 blocks); a tensor the format cannot hold
            exactly raises UnsupportedError naming it.
        sq_alpha: "smoothquant": migration strength in [0, 1] (0.5) or "auto" (searched per layer
            group on sq_alpha_min..sq_alpha_max by sq_alpha_step, by sq_criterion "mean" or "max").
        sq_act: "smoothquant": "dynamic" (int8 activations, one scale per token) or "static" (one
            calibrated scale per layer, from the sq_act_percentile of |x|, 100 = max).
        sq_keep: "smoothquant": tensor name patterns kept in f32 (a list, or ';'-separated).

    Raises:
        InvalidArgumentError: an unknown type or group size.
        UnsupportedError: the library does not implement quantization.
    """

    def __init__(self, weight_dtype: Optional[str] = None, *, algorithm: Optional[str] = None,
                 group_size: Optional[int] = None, asym: Optional[bool] = None, scale_dtype: Optional[str] = None,
                 compute_dtype: Optional[str] = None, tensor_overrides: Optional[TensorOverrides] = None,
                 **calibration: Any) -> None:
        if not n.has_function("llmrt_quantizer_create"):
            raise UnsupportedError("this libllmrt does not implement quantization yet (no llmrt_quantizer_create)")
        params = quant_params(weight_dtype, algorithm=algorithm, group_size=group_size, asym=asym,
                              scale_dtype=scale_dtype, compute_dtype=compute_dtype, tensor_overrides=tensor_overrides,
                              **calibration)
        self._progress = _Progress()
        # The library keeps the callback pointer for the quantizer's lifetime: so must we.
        self._native_progress = n.PROGRESS_CALLBACK(self._progress)
        params.progress = self._native_progress
        out = c_void_p()
        check(n.lib.llmrt_quantizer_create(byref(params), byref(out)))
        self._set_handle(out.value)

    def __enter__(self) -> "Quantizer":
        return self

    def _free(self, handle: int) -> None:
        n.lib.llmrt_quantizer_free(handle)

    def quantize(self, input_path: Union[str, "os.PathLike[str]"], output_path: Union[str, "os.PathLike[str]"],
                 progress: Optional[ProgressCallback] = None) -> None:
        """Writes output_path, the quantized form of input_path (atomically: a failed or cancelled
        run leaves no partial file).

        progress(fraction, tensor_name) is called as tensors are processed; returning True cancels
        (CancelledError), and an exception it raises cancels and propagates.
        """
        paths = n.c_path(input_path, "input_path"), n.c_path(output_path, "output_path")
        handle = self._acquire()  # a progress callback that closes the quantizer must not free it here
        self._progress.callback = progress
        self._progress.failures.clear()
        try:
            status = n.lib.llmrt_quantize(handle, *paths)
        finally:
            self._progress.callback = None
            self._unuse()
        if self._progress.failures:
            failure = self._progress.failures.pop()
            self._progress.failures.clear()
            raise failure
        check(status)
