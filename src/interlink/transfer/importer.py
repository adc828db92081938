"""Import: each bundle item matched with what the workspace holds, compared, and (unless a dry
run) created or changed through its domain's service, all in the caller's one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal
from interlink.transfer.domains import Domains
from interlink.transfer.schemas import Kind, PlanItem, Policy, Secrets

R = TypeVar("R")


@dataclass
class Context:
    """What one import shares across kinds: where ids and keys went, which credentials still
    wait for their secret."""

    session: AsyncSession
    principal: Principal
    domains: Domains
    secrets: Secrets | None
    dry_run: bool
    ids: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)

    def remap(self, value: Any) -> Any:
        """`value` with every source id the import has placed replaced by its id here."""
        if isinstance(value, str):
            return self.ids.get(value, value)
        if isinstance(value, list):
            return [self.remap(v) for v in value]
        if isinstance(value, dict):
            return {k: self.remap(v) for k, v in value.items()}
        return value


@dataclass(frozen=True)
class Created:
    target_id: str
    needs_secret: list[str] = field(default_factory=list)


class ItemKind(Protocol[R]):
    """One kind of item: how it is found here, compared, created and changed."""

    kind: Kind

    def name(self, item: Any) -> str: ...
    def source_id(self, item: Any) -> str | None: ...
    def row_id(self, row: R) -> str: ...
    def row_name(self, row: R) -> str | None: ...
    def renamed(self, name: str, n: int) -> str: ...
    async def existing(self, ctx: Context) -> Sequence[R]: ...
    async def wanted(self, ctx: Context, item: Any) -> dict[str, Any]: ...
    async def current(self, ctx: Context, row: R, wanted: dict[str, Any]) -> dict[str, Any]: ...
    async def create(self, ctx: Context, item: Any, name: str) -> Created: ...
    async def update(self, ctx: Context, item: Any, row: R, wanted: dict[str, Any]) -> Created: ...


async def run_kind(
    ctx: Context, kind: ItemKind[R], items: Sequence[Any], policy: Policy
) -> list[PlanItem]:
    rows = list(await kind.existing(ctx))
    by_id = {kind.row_id(row): row for row in rows}
    by_name: dict[str, R] = {}
    for row in rows:
        by_name.setdefault(kind.row_name(row) or "", row)
    return [await _one(ctx, kind, item, policy, by_id, by_name) for item in items]


async def _one(
    ctx: Context,
    kind: ItemKind[R],
    item: Any,
    policy: Policy,
    by_id: dict[str, R],
    by_name: dict[str, R],
) -> PlanItem:
    name, source = kind.name(item), kind.source_id(item)
    plan = PlanItem(kind=kind.kind, name=name, source_id=source, action="create")
    row = by_id.get(source or "") or by_name.get(name)
    wanted = await kind.wanted(ctx, item)
    if row is None:
        return await _create(ctx, kind, item, name, plan)
    plan.target_id = kind.row_id(row)
    plan.changes = _differences(wanted, await kind.current(ctx, row, wanted))
    if not plan.changes:
        plan.action = "skip"
    elif policy == "skip":
        plan.action = "conflict"
    elif policy == "overwrite":
        plan.action = "update"
        if not ctx.dry_run:
            plan.needs_secret = (await kind.update(ctx, item, row, wanted)).needs_secret
    else:
        return await _rename(ctx, kind, item, plan, wanted, by_name)
    _place(ctx, source, plan.target_id)
    return plan


async def _rename(
    ctx: Context,
    kind: ItemKind[R],
    item: Any,
    plan: PlanItem,
    wanted: dict[str, Any],
    by_name: dict[str, R],
) -> PlanItem:
    """Under a free name (`X (imported)`, `X (imported 2)`...), or the renamed copy that an
    earlier import of the same bundle made."""
    for n in range(1, 100):
        candidate = kind.renamed(plan.name, n)
        row = by_name.get(candidate)
        if row is None:
            plan.target_name = candidate
            return await _create(ctx, kind, item, candidate, plan)
        unnamed = {k: v for k, v in wanted.items() if k != "name"}
        if not _differences(unnamed, await kind.current(ctx, row, wanted)):
            plan.action, plan.target_id, plan.target_name, plan.changes = (
                "skip", kind.row_id(row), candidate, [],
            )  # fmt: skip
            _place(ctx, kind.source_id(item), plan.target_id)
            return plan
    raise AssertionError("no free name in 99 tries")


async def _create(
    ctx: Context, kind: ItemKind[R], item: Any, name: str, plan: PlanItem
) -> PlanItem:
    plan.action, plan.changes = "create", []
    if ctx.dry_run:
        return plan
    created = await kind.create(ctx, item, name)
    plan.target_id, plan.needs_secret = created.target_id, created.needs_secret
    _place(ctx, kind.source_id(item), created.target_id)
    return plan


def _place(ctx: Context, source: str | None, target: str | None) -> None:
    if source is not None and target is not None:
        ctx.ids[source] = target


def _differences(wanted: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [name for name, value in wanted.items() if current.get(name) != value]


def collapsed(versions: Sequence[Any]) -> list[Any]:
    """Versions with repeats in a row made one (a change of triggers alone saves a version)."""
    out: list[Any] = []
    for version in versions:
        if not out or out[-1] != version:
            out.append(version)
    return out


def tail_to_add(current: Sequence[Any], wanted: Sequence[Any]) -> list[Any]:
    """The versions to save after `current` so that it ends with `wanted`'s history."""
    for k in range(len(wanted), 0, -1):
        if list(current[-k:]) == list(wanted[:k]):
            return list(wanted[k:])
    return list(wanted)
