"""The core (surfaces/, optimizers/, nets/, viz/) never imports streamlit, checked on the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(
    p for folder in ("surfaces", "optimizers", "nets", "viz") for p in (ROOT / folder).rglob("*.py")
)


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_does_not_import_streamlit(path):
    assert "streamlit" not in _imported(ast.parse(path.read_text(encoding="utf-8")))


def test_the_check_sees_an_import():
    assert "streamlit" in _imported(ast.parse("from streamlit.runtime import x\nimport os"))


WORDLESS = [p for p in FILES if p.relative_to(ROOT).parts[0] in ("surfaces", "optimizers", "nets")]


@pytest.mark.parametrize("path", WORDLESS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_models_leave_wording_to_the_pages(path):
    """surfaces/, optimizers/ and nets/ return codes (why a search stopped, how a run went); the
    pages word them, so these never import the UI's i18n."""
    assert "i18n" not in _imported(ast.parse(path.read_text(encoding="utf-8")))
