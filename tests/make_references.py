"""Recompute stored reference values with PyTorch (tests/reference.py) and write
tests/references/*.npz. Needs torch: pip install -r requirements-torch.txt.

    python tests/make_references.py                         # every module, each file afresh
    python tests/make_references.py tests/test_schedules.py # these modules only
    python tests/make_references.py -k adam                 # pytest's options narrow it down

A narrowed run updates the entries it computes and keeps the others.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    given = [arg for arg in sys.argv[1:] if arg.endswith(".py")]
    modules = given or sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").glob("test_*.py")
        if "reference(" in path.read_text(encoding="utf-8")
    )
    options = [arg for arg in sys.argv[1:] if arg not in given]
    fresh = not sys.argv[1:]
    env = os.environ | {"REGENERATE_REFERENCES": "fresh" if fresh else "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *modules, *options]
    sys.exit(subprocess.call(command, cwd=ROOT, env=env))
