"""Cross-language check: writes the text of one sampled generation to the file given as argv[1]
(bindings/cross_language.py runs the same generation from C, Python, Java and C#)."""
import sys

import llmrt

SETTINGS = dict(max_new_tokens=40, temperature=0.8, top_p=0.9, top_k=40, min_p=0.05, seed=42)


def main(model_path: str, out_path: str) -> None:
    with llmrt.Model.load(model_path) as model:
        # Streamed, so this also checks that the pull form matches the other languages.
        text = "".join(model.generate("Once upon a time", stream=True, **SETTINGS))
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
