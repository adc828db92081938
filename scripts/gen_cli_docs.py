"""Writes docs/cli.md from the Typer app (see interlink.cli.docs).

.venv/bin/python scripts/gen_cli_docs.py
"""

from __future__ import annotations

from pathlib import Path

from interlink.cli.docs import render

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"

if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
