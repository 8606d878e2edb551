#!/usr/bin/env bash
# Set up (first time) and run every test: lint, unit, property, app and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
# pytest exits 5 when it collects nothing; that is a failure here, and set -e keeps it one.
.venv/bin/python -m pytest -q "$@"
