#!/usr/bin/env python3
"""Load a model, stream a generation to the console, then quantize the model to int8 (with a
progress bar) and stream from the quantized copy.

    LLMRT_LIBRARY=build/libllmrt.so PYTHONPATH=bindings/python python3 examples/python/generate.py \
        [MODEL] [PROMPT] [MAX_TOKENS]

(With the package installed as bindings/README.md shows, and libllmrt installed or copied into
it, plain `python3 examples/python/generate.py` does.)
"""
import os
import sys
import tempfile
from pathlib import Path

import llmrt

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models/stories260K/stories260K.gguf"


def stream(model_path: str, prompt: str, max_tokens: int) -> None:
    with llmrt.Model.load(model_path) as model:
        print(f"[{model.architecture}, {model.n_params:,} parameters, {model.weight_type}]", file=sys.stderr)
        print(prompt, end="", flush=True)
        for piece in model.generate(prompt, stream=True, max_new_tokens=max_tokens, temperature=0.8, seed=42):
            print(piece, end="", flush=True)
        print()


def show_progress(fraction: float, tensor: str) -> bool:
    bar = "#" * int(fraction * 30)
    print(f"\r[{bar:<30}] {fraction:4.0%} {tensor[:40]:<40}", end="", file=sys.stderr, flush=True)
    return False  # True would cancel


def main() -> int:
    model_path = sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_MODEL)
    prompt = sys.argv[2] if len(sys.argv) > 2 else "Once upon a time"
    max_tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    try:
        stream(model_path, prompt, max_tokens)
        if not llmrt.has_quantizer():
            print("[quantization: not implemented by this libllmrt yet]", file=sys.stderr)
            return 0
        with tempfile.TemporaryDirectory() as tmp:
            quantized = os.path.join(tmp, "model-int8.llmrt")
            try:
                with llmrt.Quantizer("int8") as quantizer:
                    quantizer.quantize(model_path, quantized, progress=show_progress)
            except llmrt.UnsupportedError as e:
                print(f"[quantization: not available yet: {e}]", file=sys.stderr)
                return 0
            print(f"\n[{os.path.getsize(model_path):,} bytes -> {os.path.getsize(quantized):,} bytes (int8)]",
                  file=sys.stderr)
            stream(quantized, prompt, max_tokens)
    except llmrt.LlmrtError as e:
        print(f"error: {e} (status {e.status})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
