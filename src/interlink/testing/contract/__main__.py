"""`python -m interlink.testing.contract record TYPE ...`: see the package's docstring."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from interlink.core.errors import ParameterValidationError
from interlink.providers.kit.action import Connector
from interlink.providers.kit.fixtures import Fixture
from interlink.providers.registry import default_registry
from interlink.testing.contract.recorder import as_json, chosen, fixtures_folder, record, write


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m interlink.testing.contract")
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser(
        "record", help="record (or refresh) a provider's fixtures against its mock"
    )
    rec.add_argument("type", help="the provider's type, e.g. github")
    rec.add_argument(
        "--fixture", action="append", default=[], metavar="NAME",
        help="only this fixture (repeatable); with --new, the new one's name",
    )  # fmt: skip
    rec.add_argument("--action", help="only the fixtures of this action; with --new, its action")
    rec.add_argument("--new", action="store_true", help="write a new fixture from the options")
    rec.add_argument("--parameters", default="{}", help="with --new: the action's parameters")
    rec.add_argument("--mock", default="{}", help="with --new: options to the mock's constructor")
    rec.add_argument("--configuration", default="{}", help="with --new: configuration fields")
    rec.add_argument("--description", default="", help="with --new: what the fixture shows")
    rec.add_argument(
        "--into", type=Path, metavar="DIR",
        help="write the files there instead of the provider's fixtures folder",
    )  # fmt: skip
    rec.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 when a recording differs from its file",
    )  # fmt: skip
    return parser


def _provider(type_: str) -> type[Connector]:
    found = default_registry().connector(type_)
    if found is None:
        raise SystemExit(f"unknown provider type {type_!r}; known: {default_registry().types()}")
    return found


def _object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"{option} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SystemExit(f"{option} must be a JSON object")
    return value


def _specs(provider: type[Connector], args: argparse.Namespace) -> list[Fixture]:
    if not args.new:
        found = chosen(provider.fixtures(), args.fixture, args.action)
        if not found:
            folder = fixtures_folder(provider)
            raise SystemExit(f"no fixture matches in {folder}; write one with --new")
        return found
    if len(args.fixture) != 1 or not args.action:
        raise SystemExit("--new needs one --fixture NAME and an --action")
    return [
        Fixture(
            name=args.fixture[0],
            action=args.action,
            description=args.description,
            mock=_object(args.mock, "--mock"),
            configuration=_object(args.configuration, "--configuration"),
            parameters=_object(args.parameters, "--parameters"),
        )
    ]


async def _record(
    provider: type[Connector], specs: list[Fixture], check: bool, into: Path | None
) -> int:
    differ = 0
    for spec in specs:
        try:
            recorded = await record(provider, spec)
        except (ValueError, ParameterValidationError) as exc:
            raise SystemExit(f"{spec.name}: {exc}") from None
        outcome = f"error {recorded.error}" if recorded.error else "output"
        summary = f"{len(recorded.exchanges)} exchange(s), {outcome}"
        if check:
            same = as_json(recorded) == as_json(spec)
            differ += not same
            print(f"{spec.name}: {'unchanged' if same else 'DIFFERS'} ({summary})")
        else:
            print(f"wrote {write(provider, recorded, into)} ({summary})")
    return 1 if differ else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    provider = _provider(args.type)
    return asyncio.run(_record(provider, _specs(provider, args), args.check, args.into))


if __name__ == "__main__":
    sys.exit(main())
