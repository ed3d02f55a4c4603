#!/usr/bin/env python3
"""Checks that `pip install` of the package works offline and that the installed package finds the
library shipped inside it, with no LLMRT_LIBRARY.

    check_pip_install.py PACKAGE_DIR VENV_DIR MODEL
"""
import os
import subprocess
import sys
import venv

CHECK = """
import sys, llmrt
assert "site-packages" in llmrt.library_path(), llmrt.library_path()
with llmrt.Model.load(sys.argv[1]) as model:
    text = model.generate("Once upon a time", max_new_tokens=8, temperature=0)
print("installed llmrt works:", llmrt.library_path(), repr(text))
assert text.startswith(", there was")
"""


def main(package_dir: str, venv_dir: str, model: str) -> int:
    # System site packages provide setuptools and wheel, so nothing is downloaded.
    venv.create(venv_dir, system_site_packages=True, clear=True, with_pip=True)
    python = os.path.join(venv_dir, "bin", "python")
    env = {k: v for k, v in os.environ.items() if k not in ("LLMRT_LIBRARY", "PYTHONPATH")}
    env["PIP_NO_INDEX"] = "1"  # offline: fail rather than reach for the network
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
                    "--no-cache-dir", package_dir], check=True, env=env)
    # Run from the venv directory so the source tree's package cannot shadow the installed one.
    subprocess.run([python, "-c", CHECK, model], check=True, env=env, cwd=venv_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
