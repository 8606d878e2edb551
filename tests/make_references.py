"""Recompute every stored reference value with PyTorch (tests/reference.py) and write
tests/references/*.npz. Needs torch: pip install -r requirements-torch.txt.

    python tests/make_references.py            # every test module that stores references
    python tests/make_references.py -k adam    # pytest's own options narrow it down
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    modules = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").glob("test_*.py")
        if "reference(" in path.read_text(encoding="utf-8")
    )
    env = os.environ | {"REGENERATE_REFERENCES": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *modules]
    sys.exit(subprocess.call(command + sys.argv[1:], cwd=ROOT, env=env))
