#!/usr/bin/env bash
# Set up (first time) and run every test: lint, unit, property, app and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
# pytest exits 5 when it collects nothing; that is a failure here, and set -e keeps it one.
# Two workers, each a test file at a time (a file's fixtures and its live app stay together):
# the tests wait on servers and browsers for much of their time.
.venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"
