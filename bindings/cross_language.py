#!/usr/bin/env python3
"""Runs one sampled generation (prompt "Once upon a time", temperature 0.8, top-p 0.9, top-k 40,
min-p 0.05, seed 42, 40 new tokens) from C, Python, Java and C#, and checks the four texts are
identical and not empty.

Each language's command is given as a list of arguments; the model path and an output file are
appended to it:  --c CMD... --python CMD... --java CMD... --csharp CMD... --model MODEL
"""
import subprocess
import sys
import tempfile
from pathlib import Path

LANGUAGES = ["c", "python", "java", "csharp"]


def main() -> int:
    args = parse_arguments(sys.argv[1:])

    texts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for language in LANGUAGES:
            out = Path(tmp) / f"{language}.txt"
            command = args[language] + [args["model"][0], str(out)]
            result = subprocess.run(command, capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                print(f"{language}: {' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
                return 1
            texts[language] = out.read_text(encoding="utf-8")
            print(f"{language:>7}: {texts[language]!r}")

    if not texts["c"]:
        print("FAIL: the C text is empty")
        return 1
    different = [language for language in LANGUAGES if texts[language] != texts["c"]]
    if different:
        print(f"FAIL: {', '.join(different)} differ from C")
        return 1
    print("all four languages produced the same text")
    return 0


def parse_arguments(argv):
    """{"model": [path], "c": [command...], ...}. Not argparse: the commands have options of their
    own (-Djava.library.path=..., -cp) that argparse would take for ours."""
    names = ["model"] + LANGUAGES
    args, current = {}, None
    for arg in argv:
        if arg.startswith("--") and arg[2:] in names:
            current = args.setdefault(arg[2:], [])
        elif current is None:
            sys.exit(f"unexpected argument {arg!r}\n{__doc__}")
        else:
            current.append(arg)
    missing = [name for name in names if not args.get(name)]
    if missing:
        sys.exit(f"missing --{', --'.join(missing)}\n{__doc__}")
    return args


if __name__ == "__main__":
    sys.exit(main())
