"""What a provider is: a class of provider facts and typed actions (`Connector`).

An action is an async method `(self, ctx, params) -> output` whose `params` and return types are
pydantic models and whose docstring describes it; the catalog's parameter and result schemas are
generated from them. Connectors never build an HTTP client: `ctx.http` already carries auth,
budgets, retries, the breaker and error mapping.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from importlib import import_module
from typing import Any, ClassVar, TypeVar, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError

from interlink.core.errors import ParameterValidationError, validation_details
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.fixtures import Fixture, load_fixtures
from interlink.providers.kit.pagination import Pagination
from interlink.providers.kit.types import IntegrationType
from interlink.providers.kit.verifiers import WebhookVerifier
from interlink.transport.auth import CredentialInPath, auth_headers
from interlink.transport.buckets import RouteBuckets
from interlink.transport.classify import ErrorTable, Verdict
from interlink.transport.client import DEFAULT_USER_AGENT, ProviderFacts, judge_by_status
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse

Handler = Callable[[Any, ActionContext, Any], Awaitable[BaseModel]]
H = TypeVar("H", bound=Handler)
_MARK = "__interlink_action__"


@dataclass(frozen=True)
class ActionOptions:
    idempotent: bool = False  # see `action`


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    idempotent: bool
    handler: Handler

    @property
    def parameter_names(self) -> frozenset[str]:
        return frozenset(self.input_model.model_fields)

    @property
    def result_fields(self) -> frozenset[str] | None:
        """The fields of its result; None where they are not known in advance."""
        return frozenset(self.output_model.model_fields)

    @property
    def summary(self) -> str:
        return self.description.split("\n\n", 1)[0].strip()

    def parse(self, parameters: Mapping[str, Any]) -> BaseModel:
        """The parameters as the input model; 422 PARAMETER_VALIDATION_ERROR naming each field
        that is wrong or unknown."""
        try:
            return self.input_model.model_validate(parameters)
        except ValidationError as exc:
            details = validation_details(
                exc.errors(include_input=False, include_url=False),
                whole="parameters",
                unknown="is not a known parameter",
            )
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        raise ParameterValidationError(
            f"The parameters of {self.name} are invalid: {summary}", details=details
        )


def action(*, idempotent: bool = False) -> Callable[[H], H]:
    """Marks a connector method as an action.

    `idempotent`: every request the action sends may be repeated, writes too (the provider
    dedupes them, e.g. by the operation's idempotency key, or they set the same state again):
    a 5xx or a dropped connection is then retried as for a GET. Without it a POST or PATCH is
    retried only when sent with an `idempotency_key`. Every run has one (an operation's, a
    workflow step's, or a direct call's own), and the mark applies to each."""

    def mark(handler: H) -> H:
        setattr(handler, _MARK, ActionOptions(idempotent=idempotent))
        return handler

    return mark


def _collect(cls: type[Connector]) -> dict[str, Action]:
    found: dict[str, Action] = {}
    for name, member in inspect.getmembers(cls, inspect.iscoroutinefunction):
        options = getattr(member, _MARK, None)
        if options is None:
            continue
        hints = get_type_hints(member)
        params = [p for p in inspect.signature(member).parameters if p not in {"self", "ctx"}]
        found[name] = Action(
            name=name,
            description=inspect.getdoc(member) or "",
            input_model=_refusing_unknown_fields(hints[params[0]]),
            output_model=hints["return"],
            idempotent=options.idempotent,
            handler=member,
        )
    return found


def _refusing_unknown_fields(model: type[BaseModel]) -> type[BaseModel]:
    """The action's input model, with a parameter it does not know refused instead of ignored
    (for every action: the operation, a queued one, a workflow step and a direct call)."""
    if model.model_config.get("extra") == "forbid":
        return model
    namespace = {
        "__module__": model.__module__,
        "__doc__": model.__doc__,
        "__qualname__": model.__qualname__,
        "model_config": ConfigDict(extra="forbid"),
    }
    return type(model.__name__, (model,), namespace)


class CheckResult(BaseModel):
    """What a credential check learned: who the credentials are, and what they may do."""

    message: str
    scopes: list[str] | None = None


class Connector:
    """Subclass per provider. `spec` holds the facts the integrations resource needs."""

    spec: ClassVar[IntegrationType]
    category: ClassVar[str] = "other"
    bearer_scheme: ClassVar[str] = "Bearer"
    # The credential goes in the URL path instead of a header (Telegram: "/bot{token}").
    credential_in_path: ClassVar[CredentialInPath | None] = None
    errors: ClassVar[ErrorTable] = ErrorTable()
    rate_headers: ClassVar[RateLimitHeaders | None] = RateLimitHeaders()
    rate_buckets: ClassVar[RouteBuckets | None] = None  # limits counted per route bucket
    pagination: ClassVar[Pagination | None] = None  # how it pages its lists (`ctx.paginate`)
    required_scopes: ClassVar[Mapping[str, frozenset[str]]] = {}
    # Its credential check, when it is one GET saying who the credentials are (see `who`).
    check_path: ClassVar[str | None] = None
    scopes_header: ClassVar[str | None] = None  # that answer's header listing the scopes held
    webhook_verifier: ClassVar[WebhookVerifier | None] = None  # None: it sends no webhooks
    # Connector-specific configuration fields it reads (`ctx.configuration`), e.g. a default.
    configuration_fields: ClassVar[tuple[str, ...]] = ()
    actions: ClassVar[dict[str, Action]] = {}
    user_agent: ClassVar[str] = DEFAULT_USER_AGENT  # as the provider's docs ask for it
    # The prefix of its direct classes (`<prefix>Integration`); `spec.name` when None.
    direct_name: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.actions = _collect(cls)

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        """Override where the provider says more than its status (e.g. Slack's `ok: false`)."""
        return judge_by_status(response, table)

    @classmethod
    def auth_headers(cls, auth_method: str, credentials: Mapping[str, Any]) -> dict[str, str]:
        """The headers that carry the credentials (a declared provider names its key's header)."""
        return auth_headers(auth_method, credentials, bearer_scheme=cls.bearer_scheme)

    @classmethod
    def facts(cls) -> ProviderFacts:
        return ProviderFacts(
            errors=cls.errors,
            rate_headers=cls.rate_headers,
            judge=cls.judge,
            buckets=cls.rate_buckets,
            user_agent=cls.user_agent,
            credential_in_path=cls.credential_in_path,
        )

    @classmethod
    def package(cls) -> str:
        """The import path of the provider's folder: the package of the module it is defined in."""
        return cls.__module__.rpartition(".")[0] or cls.__module__

    @classmethod
    def mock(cls) -> type[Any] | None:
        """Its mock upstream: `MOCK` in the `mock` module of its folder, or None without one."""
        name = f"{cls.package()}.mock"
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            return None
        found: type[Any] | None = getattr(module, "MOCK", None)
        return found

    @classmethod
    def fixtures(cls) -> list[Fixture]:
        """Its recorded fixtures: the JSON files in the `fixtures` folder beside it."""
        return load_fixtures(cls.package())

    @classmethod
    def has_check(cls) -> bool:
        """Whether test and health can check its credentials: a `check_path`, or its own `check`."""
        return cls.check_path is not None or cls.check is not Connector.check

    async def check(self, ctx: ActionContext) -> CheckResult:
        """The credential check used by test and health: one cheap authenticated call. By
        default a GET of `check_path`: `who` reads the answer, and `scopes_header`
        (comma-separated) says what the credentials may do. A provider whose check is not one
        such GET writes its own."""
        if self.check_path is None:
            raise NotImplementedError(f"{self.spec.type} states no check_path and no check")
        response = await ctx.http.get(self.check_path)
        answer = response.json()
        listed = response.headers.get(self.scopes_header) if self.scopes_header else None
        scopes = [s.strip() for s in listed.split(",") if s.strip()] if listed else None
        return CheckResult(
            message=self.who(answer if isinstance(answer, dict) else {}), scopes=scopes
        )

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        """What the answer of `check_path` says of the credentials: the message test and health
        show (e.g. "Authenticated as octocat")."""
        return "Authenticated"

    async def run(self, name: str, ctx: ActionContext, params: BaseModel) -> BaseModel:
        """Runs action `name`, its context paging the provider's way."""
        return await self.actions[name].handler(
            self, replace(ctx, pagination=self.pagination), params
        )
