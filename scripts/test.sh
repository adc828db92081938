#!/usr/bin/env bash
# Installs Interlink and its development tools into .venv, then runs the whole suite:
# ruff (lint and format), mypy, import-linter and pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
echo "== ruff";           .venv/bin/ruff check src tests benchmarks
echo "== ruff format";    .venv/bin/ruff format --check src tests benchmarks
echo "== mypy";           .venv/bin/mypy
echo "== import-linter";  .venv/bin/lint-imports
echo "== pytest";         .venv/bin/pytest "$@"
