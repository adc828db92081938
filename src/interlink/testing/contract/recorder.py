"""Recording fixtures: an action run against the provider's mock, what it sent and was answered,
and what it returned, written to `providers/<key>/fixtures/<name>.json`.

The spec of a fixture is the fixture file itself, read for its `action`, `description`, `mock`
options, `configuration` and `parameters`; recording fills in (or refreshes) `exchanges` and
`output` (or `error`). A new fixture starts from a spec given on the command line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

from interlink.providers.kit.action import Connector
from interlink.providers.kit.fixtures import Fixture
from interlink.testing.contract import smtp
from interlink.testing.contract.exchanges import Normalizer, exchanges_of
from interlink.testing.contract.harness import stage


async def record(provider: type[Connector], spec: Fixture) -> Fixture:
    """`spec` run against a fresh mock: its exchanges and its output (or error code)."""
    if spec.action not in provider.actions:
        known = ", ".join(sorted(provider.actions))
        raise ValueError(f"{provider.spec.type} has no action {spec.action!r} (it has {known})")
    if smtp.speaks_smtp(provider):
        return await smtp.record(provider, spec)
    async with stage(provider, spec) as staged:
        result = await staged.run()
        normalizer = Normalizer(staged.running.url, staged.secrets)
        exchanges = exchanges_of(staged.calls, provider, staged.mock.api_root, normalizer)
    return spec.model_copy(
        update={
            "exchanges": exchanges,
            "output": normalizer.data(result.output),
            "error": result.code,
        }
    )


def fixtures_folder(provider: type[Connector]) -> Path:
    """Where the provider's fixtures live: `fixtures/` in its package's folder."""
    return Path(str(files(provider.package()))) / "fixtures"


def as_json(fixture: Fixture) -> dict[str, Any]:
    """The fixture as written to its file: empty and unset fields left out."""
    written: dict[str, Any] = {"action": fixture.action}
    for name in ("description", "mock", "configuration", "parameters"):
        if getattr(fixture, name):
            written[name] = getattr(fixture, name)
    written["exchanges"] = [
        {
            "request": exchange.request.model_dump(
                mode="json", by_alias=True, exclude_none=True, exclude_defaults=True
            )
            | {"method": exchange.request.method, "path": exchange.request.path},
            "response": exchange.response.model_dump(
                mode="json", exclude_none=True, exclude_defaults=True
            )
            | {"status": exchange.response.status},
        }
        for exchange in fixture.exchanges
    ]
    if fixture.error is not None:
        written["error"] = fixture.error
    else:
        written["output"] = fixture.output
    return written


def write(provider: type[Connector], fixture: Fixture, folder: Path | None = None) -> Path:
    target = (folder or fixtures_folder(provider)) / f"{fixture.name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(as_json(fixture), indent=2, ensure_ascii=False) + "\n"
    target.write_text(text, encoding="utf-8")
    return target


def chosen(
    fixtures: Iterable[Fixture], names: Iterable[str] = (), action: str | None = None
) -> list[Fixture]:
    """The fixtures named (all when none is), of `action` when one is given."""
    wanted = set(names)
    return [
        fixture
        for fixture in fixtures
        if (not wanted or fixture.name in wanted) and (action is None or fixture.action == action)
    ]
