"""Checks the bindings' copies of llmrt.h's structs and constants against the header itself, so
they cannot drift apart again (the SWIG sampler params once lacked three fields and kv_type could
not be set from Java or C#).

  - Python (bindings/python/llmrt/_native.py): every ctypes Structure mirroring a header struct
    has the header's fields, in its order, each of the same size; the status codes and
    DEFAULT_SEED have the header's values; context.py's kv types are the header's LLMRT_KV_*.
  - SWIG (bindings/swig/llmrt.i): each struct declared there lists header fields of the same
    type, in the header's order, and leaves out only the fields OMITTED_IN_SWIG names; the
    constants of SWIG_CONSTANT_PREFIXES are exposed (as %constant KV_F16 = LLMRT_KV_F16), older
    names too. The library names each value of the NAMED_SETS (llmrt_stop_reason_name, ...), no more.

Usage: check_header_sync.py SOURCE_DIR (with bindings/python on PYTHONPATH and LLMRT_LIBRARY set,
as the Python tests run).
"""
from __future__ import annotations

import ctypes
import re
import sys
from pathlib import Path
from typing import Dict, List, Tuple

# Header struct -> the ctypes class that mirrors it. Header structs not listed must be in NOT_IN_CTYPES.
CTYPES_STRUCTS = {
    "llmrt_quant_params": "QuantParams",
    "llmrt_model_params": "ModelParams",
    "llmrt_context_params": "ContextParams",
    "llmrt_logit_bias": "LogitBias",
    "llmrt_tensor_override": "TensorOverride",
    "llmrt_beam_params": "BeamParams",
    "llmrt_sampler_params": "SamplerParams",
    "llmrt_generate_params": "GenerateParams",
    "llmrt_chat_template_params": "ChatTemplateParams",
    "llmrt_tensor_type_stats": "TensorTypeStats",
    "llmrt_chat_session_params": "ChatSessionParams",
}
NOT_IN_CTYPES = {
    "llmrt_chat_message": "Python passes messages as JSON (llmrt_chat_apply_template_json)",
}
# Fields the SWIG structs leave out on purpose, with the reason.
OMITTED_IN_SWIG = {
    ("llmrt_context_params", "struct_size"): "filled by the constructor",
    ("llmrt_sampler_params", "struct_size"): "filled by the constructor",
    ("llmrt_sampler_params", "logit_bias"): "a pointer with a length: not a plain field in Java or C#",
    ("llmrt_sampler_params", "n_logit_bias"): "goes with logit_bias",
}

# Closed sets Python (and Java and C# for scale and compute types) reach by the library's names.
NAMED_SETS = {"LLMRT_STOP_": "llmrt_stop_reason_name", "LLMRT_SCALE_": "llmrt_scale_type_name",
              "LLMRT_COMPUTE_": "llmrt_compute_type_name"}
# The header's closed sets of int32_t values, which Java and C# reach as constants.
SWIG_CONSTANT_PREFIXES = ("LLMRT_KV_", "LLMRT_SHIFT_", "LLMRT_EARLY_STOPPING_", "LLMRT_STOP_")

C_SIZES = {"int32_t": 4, "llmrt_token": 4, "uint32_t": 4, "float": 4, "uint64_t": 8, "double": 8, "size_t": 8}


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_fields(body: str) -> List[Tuple[str, str]]:
    """(type, name) per field declaration of a struct body without comments."""
    fields = []
    for decl in body.split(";"):
        decl = " ".join(decl.split())
        if not decl:
            continue
        m = re.match(r"(.*?)(\w+)$", decl)
        if not m:
            raise ValueError(f"cannot parse field declaration {decl!r}")
        fields.append((m.group(1).replace(" *", "*").strip(), m.group(2)))
    return fields


def header_structs(header: str) -> Dict[str, List[Tuple[str, str]]]:
    text = strip_comments(header)
    return {m.group(1): parse_fields(m.group(2))
            for m in re.finditer(r"typedef struct (\w+) \{(.*?)\} \1;", text, flags=re.S)}


def header_constants(header: str) -> Dict[str, int]:
    out = {}
    for m in re.finditer(r"^#define (LLMRT_\w+)\s+(0x[0-9A-Fa-f]+|\d+)(?:ull)?\b", header, flags=re.M):
        out[m.group(1)] = int(m.group(2), 0)
    return out


def header_aliases(header: str, constants: Dict[str, int]) -> Dict[str, int]:
    """Older names kept for a constant (#define LLMRT_KV_Q8 LLMRT_KV_INT8), with their values."""
    found = re.findall(r"^#define (LLMRT_\w+)\s+(LLMRT_\w+)\b", header, flags=re.M)
    return {alias: constants[target] for alias, target in found if target in constants}


def c_size(c_type: str) -> int:
    if "*" in c_type or c_type.endswith("_callback"):
        return ctypes.sizeof(ctypes.c_void_p)
    base = c_type.replace("const ", "").strip()
    if base not in C_SIZES:
        raise ValueError(f"unknown C type {c_type!r}: add it to C_SIZES")
    return C_SIZES[base]


def check_ctypes(structs, errors: List[str]) -> None:
    from llmrt import _native
    for c_name, fields in structs.items():
        if c_name in NOT_IN_CTYPES:
            continue
        if c_name not in CTYPES_STRUCTS:
            errors.append(f"{c_name}: no ctypes Structure mirrors it (add it to _native.py and CTYPES_STRUCTS, "
                          "or to NOT_IN_CTYPES with a reason)")
            continue
        py = getattr(_native, CTYPES_STRUCTS[c_name])
        py_fields = [(name, ctypes.sizeof(t)) for name, t in py._fields_]
        want = [(name, c_size(t)) for t, name in fields]
        if py_fields != want:
            errors.append(f"{c_name}: ctypes {py.__name__} has {py_fields}, the header {want}")


def check_python_constants(constants: Dict[str, int], errors: List[str]) -> None:
    from llmrt import _native, context
    statuses = {name for name in constants if name.startswith(("LLMRT_ERR_", "LLMRT_OK"))} | {
        "LLMRT_CANCELLED", "LLMRT_END_OF_GENERATION", "LLMRT_DEFAULT_SEED"}
    for name in sorted(statuses):
        py_name = name[len("LLMRT_"):]
        if getattr(_native, py_name, None) != constants[name]:
            errors.append(f"{name} = {constants[name]}: _native.{py_name} is {getattr(_native, py_name, None)}")
    kv = {name[len("LLMRT_KV_"):].lower(): v for name, v in constants.items() if name.startswith("LLMRT_KV_")}
    if context.kv_types() != kv:
        errors.append(f"LLMRT_KV_*: the library's llmrt_kv_type_name lists {context.kv_types()}, the header {kv}")
    # Python takes and reports these sets by the library's names: one for each constant, no more.
    for prefix, name_function in NAMED_SETS.items():
        values = sorted(v for name, v in constants.items() if name.startswith(prefix))
        named = [v for v in range(len(values) + 1) if getattr(_native.lib, name_function)(v) is not None]
        if named != list(range(len(values))) or values != named:
            errors.append(f"{prefix}* are {values}, {name_function} names {named}")


def check_swig(structs, swig: str, errors: List[str]) -> None:
    text = strip_comments(swig)
    found = list(re.finditer(r"^struct (\w+) \{(.*?)\};", text, flags=re.S | re.M))
    if not found:
        errors.append("llmrt.i declares no structs: has its layout changed? Update this check.")
    for m in found:
        name, fields = m.group(1), parse_fields(m.group(2))
        if name not in structs:
            errors.append(f"llmrt.i declares struct {name}, which llmrt.h does not have")
            continue
        header = structs[name]
        kept = [(t, f) for t, f in header if (name, f) not in OMITTED_IN_SWIG]
        if fields != kept:
            missing = [f for t, f in kept if (t, f) not in fields]
            errors.append(f"llmrt.i struct {name}: has {fields}, want {kept} (missing: {missing}; leave a field "
                          "out only through OMITTED_IN_SWIG)")


def check_swig_constants(constants: Dict[str, int], aliases: Dict[str, int], swig: str, errors: List[str]) -> None:
    """Every constant of the closed sets (SWIG_CONSTANT_PREFIXES), older names included, is exposed as a %constant named
    without LLMRT_, set from the macro."""
    exposed = dict(re.findall(r"^%constant \w+ (\w+) = (LLMRT_\w+);", swig, flags=re.M))
    for name in (n for n in list(constants) + list(aliases) if n.startswith(SWIG_CONSTANT_PREFIXES)):
        if exposed.get(name[len("LLMRT_"):]) != name:
            errors.append(f"llmrt.i: {name} is not exposed as %constant ... {name[len('LLMRT_'):]} = {name};")
    for short, macro in exposed.items():
        if macro not in constants and macro not in aliases:
            errors.append(f"llmrt.i: %constant {short} = {macro}, which llmrt.h does not define")


def main() -> int:
    source = Path(sys.argv[1])
    header = (source / "include/llmrt.h").read_text()
    structs = header_structs(header)
    constants = header_constants(header)
    if len(structs) < 5 or "LLMRT_OK" not in constants:
        print("check_header_sync: could not parse llmrt.h", file=sys.stderr)
        return 1
    errors: List[str] = []
    check_ctypes(structs, errors)
    check_python_constants(constants, errors)
    swig = (source / "bindings/swig/llmrt.i").read_text()
    check_swig(structs, swig, errors)
    check_swig_constants(constants, header_aliases(header, constants), swig, errors)
    for e in errors:
        print("check_header_sync: " + e, file=sys.stderr)
    if not errors:
        print(f"check_header_sync: {len(structs)} structs and {len(constants)} constants agree")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
