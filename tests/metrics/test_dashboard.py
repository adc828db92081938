"""The Grafana dashboard and docs/observability.md name only metrics that exist, and the docs
describe every family."""

from __future__ import annotations

import json
import re
from pathlib import Path

from interlink.core.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "interlink.json"
DOCS = ROOT / "docs" / "observability.md"
NAME = re.compile(r"\binterlink_[a-z_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exposed() -> tuple[set[str], set[str]]:
    """The families' names and every sample name a scrape may show."""
    families = list(Metrics(per_integration=True).registry.collect())
    names = {f.name for f in families}
    samples = {f.name + suffix for f in families for suffix in SUFFIXES[f.type]}
    return names, samples


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_every_metric_of_the_dashboard_exists() -> None:
    _, samples = exposed()
    used = {name for expr in expressions() for name in NAME.findall(expr)}

    assert used, "the dashboard queries nothing"
    assert used <= samples, sorted(used - samples)


def test_the_dashboard_shows_every_family() -> None:
    families, _ = exposed()
    used = " ".join(expressions())

    assert not [f for f in families if f not in used]


def test_the_docs_describe_every_family_and_name_no_other() -> None:
    families, samples = exposed()
    text = DOCS.read_text()
    named = set(NAME.findall(text))

    assert not [f for f in families if f not in text]
    assert named <= samples | families, sorted(named - samples - families)
