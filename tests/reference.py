"""Reference values computed by an independent implementation (PyTorch), kept in the repository
so that the tests run without it: a plain ``pip install torch`` pulls several GB of CUDA.

    expected = reference("sgd/quadratic", lambda: torch_trajectory(...))

``compute`` returns a dict of arrays (or one array) and may import torch. Where torch is
importable, the value is computed live and also checked against the stored copy, so a stored
copy cannot silently go stale; without torch, the stored copy is used. The copies live in
``tests/references/<test module>.npz``; regenerate them all with ``python tests/make_references.py``
(which needs torch: ``pip install -r requirements-torch.txt``).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent / "references"
# REFERENCES=stored uses the stored copies even where torch is installed (to test that path).
TORCH = importlib.util.find_spec("torch") is not None and os.environ.get("REFERENCES") != "stored"
REGENERATE = os.environ.get("REGENERATE_REFERENCES") in ("1", "fresh")
# A full regeneration starts each file afresh, so references no test asks for any more go.
FRESH = os.environ.get("REGENERATE_REFERENCES") == "fresh"
# What REGENERATE runs computed, per module; tests/conftest.py writes them out at the end.
COMPUTED: dict[str, dict[str, np.ndarray]] = {}
_STORED: dict[str, dict[str, np.ndarray]] = {}

Value = np.ndarray | dict[str, np.ndarray]


def reference(name: str, compute: Callable[[], Value], *, module: str | None = None) -> Value:
    """The reference ``name`` of the calling test module (see the module docstring)."""
    module = module or Path(inspect.currentframe().f_back.f_code.co_filename).stem
    if TORCH:
        value = compute()
        arrays = _as_arrays(value)
        if REGENERATE:
            COMPUTED.setdefault(module, {}).update(
                {f"{name}::{key}": array for key, array in arrays.items()}
            )
        else:
            _check_stored(module, name, arrays)
        return value
    stored = _stored(module)
    keys = [key for key in stored if key.startswith(f"{name}::")]
    if not keys:
        raise LookupError(
            f"no stored reference {name!r} in {module}.npz: run tests/make_references.py"
        )
    arrays = {key.split("::", 1)[1]: stored[key] for key in keys}
    return arrays[""] if list(arrays) == [""] else arrays


def write_computed() -> list[Path]:
    """Write what a REGENERATE run computed (called by tests/conftest.py at the session's end)."""
    FOLDER.mkdir(exist_ok=True)
    written = []
    for module, arrays in COMPUTED.items():
        path = FOLDER / f"{module}.npz"
        kept = {} if FRESH else _stored(module)  # a narrowed run updates its own entries only
        np.savez_compressed(path, **dict(sorted((kept | arrays).items())))
        written.append(path)
    return written


def _as_arrays(value: Value) -> dict[str, np.ndarray]:
    if isinstance(value, dict):
        return {key: np.asarray(array) for key, array in value.items()}
    return {"": np.asarray(value)}


def _stored(module: str) -> dict[str, np.ndarray]:
    if module not in _STORED:
        path = FOLDER / f"{module}.npz"
        _STORED[module] = dict(np.load(path)) if path.exists() else {}
    return _STORED[module]


def _check_stored(module: str, name: str, arrays: dict[str, np.ndarray]) -> None:
    stored = _stored(module)
    for key, array in arrays.items():
        copy = stored.get(f"{name}::{key}")
        assert copy is not None, f"{module}.npz has no {name!r}: run tests/make_references.py"
        # Another CPU or torch build may round the last bits differently; entries near zero
        # are compared at the scale of the whole array.
        scale = float(np.abs(copy).max()) if copy.size and copy.dtype.kind in "fc" else 0.0
        np.testing.assert_allclose(
            copy, array, rtol=1e-12, atol=1e-12 * scale,
            err_msg=f"stored reference {name!r} went stale",
        )  # fmt: skip
