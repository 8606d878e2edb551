#!/usr/bin/env bash
# Set up (first time) and run the app on http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}  # fewer malloc heaps: see ui/memory.py
exec .venv/bin/python -m streamlit run app.py --server.port "${PORT:-8501}" "$@"
