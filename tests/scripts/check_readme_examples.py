"""Checks that every README listing marked `<!-- example: PATH -->` equals the file PATH, which
ctest builds and runs (tests/examples.cmake): the README's code cannot rot.

Usage: check_readme_examples.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path


def main() -> int:
    source = Path(sys.argv[1])
    readme = (source / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", readme, flags=re.S)
    if not found:
        print("check_readme_examples: no marked example in README.md", file=sys.stderr)
        return 1
    bad = [path for path, listing in found if listing != (source / path).read_text(encoding="utf-8")]
    for path in bad:
        print(f"check_readme_examples: README.md's listing of {path} differs from the file", file=sys.stderr)
    if not bad:
        print(f"check_readme_examples: {len(found)} listings equal their files")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
