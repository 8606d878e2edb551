#!/usr/bin/env bash
# The oldest versions requirements.txt allows, exactly: a separate venv (.venv-lower) with every
# lower bound pinned, then every page's AppTests on it. Run it after raising or lowering a bound.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-lower
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
pins=$(mktemp)
sed -E 's/^([A-Za-z0-9_.-]+)>=/\1==/' requirements.txt > "$pins"
"$venv/bin/python" -m pip install --quiet -r "$pins" pytest hypothesis
rm -f "$pins"
"$venv/bin/python" -m pip list 2>/dev/null | grep -iE '^(streamlit|plotly|numpy|scipy|sympy|orjson|jax) '
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not browser" \
  tests/test_app.py tests/test_presets.py tests/test_language.py "tests/test_page_"*.py "$@"
