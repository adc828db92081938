"""ProviderClient: the one way a connector calls its provider.

A call goes: the credential's allowed hosts (a credential goes nowhere else), breaker check,
concurrency slot, rate budget (waiting for it, bounded), the request (redirects followed here,
each hop checked by the SSRF guard; a hop to another host goes without the credential), then the
answer is read for the provider's rate-limit headers and judged by the connector's error table:
done, retried with backoff (a provider's hint honoured), paused on 429 (the whole integration, or
one route bucket for a provider that counts per bucket), or failed with our error code and the
provider's own message in `details`. aiohttp's exceptions end here.

Breaker, slots and budget are each one interface with a memory and a Redis store
(`factory.py` picks them); the client asks each the same way whichever it is.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import aiohttp
from yarl import URL

from interlink.core.clock import Clock
from interlink.core.errors import (
    AuthenticationFailed,
    CircuitOpen,
    CredentialHostNotAllowed,
    ExternalServiceError,
    ExternalServiceTimeout,
    InterlinkError,
    InvalidCredentials,
    InvalidOperation,
    RateLimitExceeded,
    UrlNotAllowed,
)
from interlink.core.metrics import CallMeter, Metrics
from interlink.core.secrets import Scrubber
from interlink.transport.auth import AllowedHosts, CredentialInPath, sent_forms
from interlink.transport.breaker import Breakers
from interlink.transport.buckets import Route, RouteBuckets
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.header_check import header_problems
from interlink.transport.headers import (
    TOKEN_WINDOWS,
    RateLimitHeaders,
    RateObservation,
    TokenWindow,
    retry_after,
)
from interlink.transport.pool import SessionOptions, SessionPool
from interlink.transport.ratelimit import Rate, RateLimiter, TokenBudget
from interlink.transport.response import ProviderResponse
from interlink.transport.retry import RetryPolicy
from interlink.transport.ssrf import AddressPolicy, UrlRefused
from interlink.transport.stream import ProviderStream

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_BODY = 16 * 1024 * 1024
_METRIC_OUTCOMES = {
    Disposition.OK: "success",
    Disposition.RETRY: "server_error",
    Disposition.RATE_LIMITED: "rate_limited",
    Disposition.REFRESH_THEN_RETRY: "unauthorized",
    Disposition.FAIL: "client_error",
}

Judge = Callable[[ProviderResponse, ErrorTable], Verdict]
# Called once when the provider refuses the credentials (401): new auth headers, e.g. after an
# OAuth refresh, and the call is tried again with them.
Reauthenticate = Callable[[], Awaitable[Mapping[str, str]]]


def judge_by_status(response: ProviderResponse, table: ErrorTable) -> Verdict:
    return table.verdict(response.status)


@dataclass(frozen=True)
class CallSettings:
    """How calls of one integration behave, from its configuration."""

    base_url: str | None = None
    rates: tuple[Rate, ...] = ()
    max_wait: float = 10.0
    max_concurrent: int | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    session: SessionOptions = field(default_factory=SessionOptions)
    max_redirects: int = 5
    default_headers: Mapping[str, str] = field(default_factory=dict)
    user_agent: str | None = None  # the integration's own; else its provider's
    default_pause: float = 1.0  # a 429 without any hint pauses the integration this long

    @property
    def hold_seconds(self) -> float:
        """The longest one attempt may take (its budget wait, then each redirect hop at its
        timeout): how long a concurrency slot is leased for."""
        return self.max_wait + self.session.total_timeout * (self.max_redirects + 1) + 5.0

    @property
    def call_hold(self) -> float:
        """The longest one call may take, every attempt and the waits between them: how long
        the half-open probe (the whole call) is leased for."""
        attempts = self.retry.max_retries + 2  # one more after an OAuth refresh
        wait = max(self.retry.max_delay, self.retry.max_hint)
        return attempts * self.hold_seconds + (attempts - 1) * wait


@dataclass(frozen=True)
class CallLabels:
    """What the metrics of a client's calls are labelled with; an integration's client also
    has its circuit reported."""

    connector_type: str
    operation: str
    integration_id: str | None = None


DEFAULT_USER_AGENT = "Interlink/0.1"


@dataclass(frozen=True)
class ProviderFacts:
    """What the connector knows of its provider's answers."""

    errors: ErrorTable = field(default_factory=ErrorTable)
    rate_headers: RateLimitHeaders | None = field(default_factory=RateLimitHeaders)
    judge: Judge = judge_by_status
    buckets: RouteBuckets | None = None  # the provider counts per route bucket (Discord)
    user_agent: str = DEFAULT_USER_AGENT  # as the provider's docs ask it to be sent
    # The credential goes in the URL path, not in a header (Telegram's `/bot<token>/...`).
    credential_in_path: CredentialInPath | None = None


class Transport:
    """Shared by one process: pooled sessions, budgets, breakers, and what was last observed."""

    def __init__(
        self,
        clock: Clock,
        limiter: RateLimiter,
        breakers: Breakers,
        policy: AddressPolicy,
        metrics: Metrics | None = None,
    ) -> None:
        self.clock = clock
        self.metrics = metrics
        # The integrations called by this process (key -> connector type, id): whose circuits
        # `/metrics` reports.
        self.known: dict[str, tuple[str, str]] = {}
        self.limiter = limiter
        self.breakers = breakers
        self.policy = policy
        self.pool = SessionPool(policy)
        self.observed: dict[str, RateObservation] = {}
        self.observed_tokens: dict[str, RateObservation] = {}  # a language model's token window
        self.observed_output_tokens: dict[str, RateObservation] = {}  # and its output window

    def client(
        self,
        key: str,
        settings: CallSettings,
        facts: ProviderFacts,
        auth: Mapping[str, str],
        reauthenticate: Reauthenticate | None = None,
        *,
        allowed_hosts: AllowedHosts | None = None,
        secrets: Iterable[str] = (),
        idempotent: bool = False,
        labels: CallLabels | None = None,
    ) -> ProviderClient:
        """`allowed_hosts`: where `auth` (a stored credential) may be sent; None only for a
        caller's own credential (a script's direct integration). `secrets`: the credential's
        values, masked with the forms `auth` sends them in by the client's `secrets` scrubber.
        `idempotent`: the action run is marked idempotent (`@action(idempotent=True)`), so
        every request of it may be repeated, writes too. `labels`: what its calls are counted
        under (not counted without them, or without metrics)."""
        client = ProviderClient(self, key, settings, facts, dict(auth), reauthenticate)
        client.allowed_hosts = allowed_hosts
        client.secrets.add(secrets)
        client.idempotent = idempotent
        if labels is not None and labels.integration_id is not None:
            client.circuit = f"integration {labels.integration_id}"
        if labels is not None and self.metrics is not None:
            client.meter = self.metrics.meter(labels.connector_type, labels.operation)
            if labels.integration_id is not None and key not in self.known:
                self.known[key] = (labels.connector_type, labels.integration_id)
        return client

    async def circuits(self) -> list[tuple[str, str, str]]:
        """(connector type, integration id, circuit state) of each integration called here."""
        known = list(self.known.items())
        states = await self.breakers.states([key for key, _ in known])  # Redis: one round trip
        return [(kind, ident, str(s)) for (_, (kind, ident)), s in zip(known, states, strict=True)]

    async def close(self) -> None:
        await self.pool.close()


class ProviderClient:
    def __init__(
        self,
        transport: Transport,
        key: str,
        settings: CallSettings,
        facts: ProviderFacts,
        auth: dict[str, str],
        reauthenticate: Reauthenticate | None = None,
    ) -> None:
        self.transport = transport
        self.key = key
        self.settings = settings
        self.facts = facts
        self.reauthenticate = reauthenticate
        self.allowed_hosts: AllowedHosts | None = None
        self.secrets = Scrubber(sent_forms(auth))
        self.auth, self._path_token = self._placed(auth)
        self.idempotent = False  # the action run is marked idempotent: see `may_repeat`
        # What its circuit is named in CIRCUIT_OPEN: its integration, else the host called.
        self.circuit: str | None = None
        self.meter: CallMeter | None = None

    # -- the calls a connector makes --------------------------------------------------------------
    async def get(self, path: str, **kwargs: Any) -> ProviderResponse:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> ProviderResponse:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> ProviderResponse:
        return await self.request("PATCH", path, **kwargs)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
        tokens: int = 0,
        output_tokens: int = 0,
    ) -> ProviderResponse:
        """`authenticated=False`: sent without the integration's credential, to a URL that is
        not the provider's API (one the user gave: a Teams incoming webhook). `tokens`: what
        the call will use of the provider's token window (a language model's prompt and
        answer), taken from the budget learned from its headers before the call leaves;
        `output_tokens`, of its output-token window (the answer's `max_tokens`, for a provider
        that counts the answer apart)."""
        call = self._prepare(
            method.upper(), path, params, json, form, headers, idempotency_key, authenticated,
            (tokens, output_tokens),
        )  # fmt: skip
        probe = await self.enter_circuit(self._circuit_name(call.url), self.settings.call_hold)
        try:
            ended = await self._attempts(call)
        except BaseException:  # refused by the budget, cancelled...: the call never ended
            await self.leave_circuit(probe, None)
            raise
        await self.leave_circuit(probe, ended.verdict.disposition)
        return self._answer(ended, call.method)

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        tokens: int = 0,
        output_tokens: int = 0,
    ) -> AsyncIterator[ProviderStream]:
        """The answer as it comes (`ProviderStream.lines()`, `.events()`), for as long as the
        block runs. It is called as `request` calls: credential hosts, breaker, budget (and
        `tokens` and `output_tokens` as for `request`), SSRF guard, retries (only before the
        answer's first byte), and an answer the error table does not call OK raises our error.
        The call counts as done for the breaker once the answer has begun; its body is read
        without the session's total timeout, each read bounded by it instead (a stream may
        rightly outlast it)."""
        async with contextlib.AsyncExitStack() as opened:
            call = self._prepare(
                method.upper(), path, params, json, None, headers, idempotency_key,
                tokens=(tokens, output_tokens), stream=opened,
            )  # fmt: skip
            probe = await self.enter_circuit(self._circuit_name(call.url), self.settings.call_hold)
            try:
                ended = await self._attempts(call)
            except BaseException:
                await self.leave_circuit(probe, None)
                raise
            await self.leave_circuit(probe, ended.verdict.disposition)
            answer = self._answer(ended, call.method)
            assert call.streams, "an OK answer of a stream is kept open"
            yield ProviderStream(answer.status, answer.headers, answer.url, call.streams[-1])

    def window_room(self, window: TokenWindow) -> int | None:
        """What the provider's token `window` holds for the next call, as this process last saw
        it in the headers: its remaining tokens, or its whole limit once it has reset (None
        before any header)."""
        seen = self._observed(window).get(self.key)
        if seen is None or seen.remaining is None:
            return None
        if seen.reset_at is not None and seen.reset_at <= self._now() and seen.limit:
            return seen.limit
        return seen.remaining

    def _observed(self, window: TokenWindow) -> dict[str, RateObservation]:
        if window == "tokens":
            return self.transport.observed_tokens
        return self.transport.observed_output_tokens

    def may_repeat(self, method: str, idempotency_key: str | None) -> bool:
        """Whether a request may be sent again after a 5xx or a dropped connection: an
        idempotent method (`IDEMPOTENT_METHODS`), an action marked idempotent, or an
        idempotency key the provider dedupes by."""
        return method in IDEMPOTENT_METHODS or self.idempotent or idempotency_key is not None

    # -- the breaker and the budget, once per call (also for a connector that is not HTTP) -------
    async def enter_circuit(self, name: str, hold: float) -> bool:
        """Raises CIRCUIT_OPEN while the circuit is open (`name`: what it guards); True when
        this call is the half-open probe, held for at most `hold` seconds."""
        try:
            return await self.transport.breakers.check(self.key, hold, name)
        except CircuitOpen:
            if self.meter is not None:
                self.meter.refused_by_circuit()
            raise

    async def leave_circuit(self, probe: bool, disposition: Disposition | None) -> None:
        """How the whole call ended, told once: OK closes the circuit, RETRY (a failure of the
        provider, still so after its retries) counts, anything else (None: it never ended) is
        neither."""
        breakers = self.transport.breakers
        if disposition is Disposition.OK:
            await breakers.succeeded(self.key, probe)
        elif disposition is Disposition.RETRY:
            await breakers.failed(self.key, probe)
        elif probe:
            await breakers.release_probe(self.key)

    async def take_budget(
        self, route: Route | None = None, tokens: int = 0, output_tokens: int = 0
    ) -> None:
        """The rate budget (learned pauses, the token windows for a call's `tokens` and
        `output_tokens`, then every rate), waited for within `max_wait`; else
        RATE_LIMIT_EXCEEDED."""
        settings, meter = self.settings, self.meter
        try:
            waited = await self.transport.limiter.acquire(
                self.key, settings.rates, settings.max_wait, route, tokens, output_tokens
            )
        except RateLimitExceeded:
            if meter is not None:
                meter.refused()
            raise
        if waited and meter is not None:
            meter.waited(waited)

    # -- one call ---------------------------------------------------------------------------------
    def _prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        form: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        idempotency_key: str | None,
        authenticated: bool = True,
        tokens: tuple[int, int] = (0, 0),
        stream: contextlib.AsyncExitStack | None = None,
    ) -> _Call:
        """The call, checked before anything is sent: its URL, where its credential may go,
        its headers. `stream`: where an OK answer is kept open, unread (`stream`)."""
        url = self._target(path)
        if authenticated:
            self._check_destination(url)
        self._check_headers(headers, idempotency_key)
        buckets = self.facts.buckets
        return _Call(
            method=method,
            url=url,
            params=params,
            body={"json": json} if json is not None else {"data": form},
            headers=headers,
            idempotency_key=idempotency_key,
            route=buckets.route(method, urlsplit(url).path) if buckets is not None else None,
            repeatable=self.may_repeat(method, idempotency_key),
            tokens=tokens[0],
            output_tokens=tokens[1],
            authenticated=authenticated,
            stream=stream,
        )

    def _circuit_name(self, url: str) -> str:
        return self.circuit or (urlsplit(url).hostname or url)

    async def _attempts(self, call: _Call) -> _Ended:
        """The attempts of one call, with its retries: how the last one ended."""
        can_reauthenticate = self.reauthenticate is not None and call.authenticated
        for attempt in range(1, self.settings.retry.max_retries + 2 + can_reauthenticate):
            headers = self._headers(call.headers, call.idempotency_key, call.authenticated)
            response, failure, took = await self._attempt(call, headers)
            verdict = self._verdict(response, failure, streaming=call.stream is not None)
            if self.meter is not None:
                self.meter.call(_metric_outcome(verdict, response, failure), took)
            if verdict.disposition is Disposition.REFRESH_THEN_RETRY and can_reauthenticate:
                await self._reauthenticate()
                can_reauthenticate = False
                continue
            if verdict.disposition is Disposition.OK or not await self._should_retry(
                verdict, attempt, call, response
            ):
                return _Ended(verdict, response, failure)
        raise ExternalServiceError("The call failed after its retries")  # unreachable by bound

    async def _reauthenticate(self) -> None:
        assert self.reauthenticate is not None
        fresh = await self.reauthenticate()
        self.secrets.add(sent_forms(fresh))
        self.auth, self._path_token = self._placed(fresh)

    # -- one attempt ------------------------------------------------------------------------------
    async def _attempt(
        self, call: _Call, headers: dict[str, str]
    ) -> tuple[ProviderResponse | None, InterlinkError | None, float]:
        """The answer, or the failure to get one, and how long the request took."""
        transport, settings = self.transport, self.settings
        slot = (
            transport.limiter.concurrency(self.key, settings.max_concurrent, settings.hold_seconds)
            if settings.max_concurrent
            else contextlib.nullcontext()
        )
        async with slot:
            await self.take_budget(call.route, call.tokens, call.output_tokens)
            started = time.perf_counter()
            try:
                response = await self._send(call, headers)
            except (TimeoutError, aiohttp.ServerTimeoutError):
                return None, ExternalServiceTimeout(), time.perf_counter() - started
            except UrlRefused as refused:
                raise UrlNotAllowed(str(refused)) from None
            except (aiohttp.ClientError, OSError) as exc:
                failure = ExternalServiceError(
                    f"The external system could not be reached ({type(exc).__name__})"
                )
                return None, failure, time.perf_counter() - started
            took = time.perf_counter() - started
        await self._learn(response, call.route)
        return response, None, took

    async def _send(self, call: _Call, headers: dict[str, str]) -> ProviderResponse:
        """The answer, following redirects by hand (each hop checked by the SSRF guard)."""
        method, url, body = call.method, call.url, call.body
        session = self.transport.pool.get(self.key, self.settings.session)
        # `url` itself everywhere else: errors, logs, the response
        sent = self._in_path(url) if call.authenticated else url
        for _hop in range(self.settings.max_redirects + 1):
            self.transport.policy.check_url(url)
            request = session.request(
                method, sent, params=call.params, headers=headers, allow_redirects=False,
                timeout=self._stream_timeout(call) or session.timeout, **body,
            )  # fmt: skip
            if call.stream is not None:
                raw = await call.stream.enter_async_context(request)
                if 200 <= raw.status < 300:  # kept open: its body is the caller's to read
                    call.streams.append(raw)
                    return ProviderResponse(raw.status, _lower(raw.headers), b"", url)
                response = ProviderResponse(raw.status, _lower(raw.headers), b"", url)
                response = replace(response, body=await _read_body(raw))
                raw.release()
            else:
                async with request as raw:
                    content = await _read_body(raw)
                    response = ProviderResponse(raw.status, _lower(raw.headers), content, url)
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or not location:
                return response
            next_url = urljoin(url, location)
            if urlsplit(next_url).netloc != urlsplit(url).netloc:
                headers = self._without_credential(headers)
            if response.status == 303 or (response.status in {301, 302} and method == "POST"):
                method, body = "GET", {}
            url = sent = next_url
        return response

    def _stream_timeout(self, call: _Call) -> aiohttp.ClientTimeout | None:
        """A stream's reads each bounded by the total timeout, not the whole answer; None: the
        session's own."""
        if call.stream is None:
            return None
        bound = self.settings.session.total_timeout
        return aiohttp.ClientTimeout(total=None, connect=bound, sock_read=bound)

    # -- judging the answer -----------------------------------------------------------------------
    def _verdict(
        self,
        response: ProviderResponse | None,
        failure: InterlinkError | None,
        *,
        streaming: bool = False,
    ) -> Verdict:
        if response is None:
            return Verdict(Disposition.RETRY, type(failure) if failure else ExternalServiceError)
        opened = streaming and 200 <= response.status < 300  # its body is not read: by status
        judge = judge_by_status if opened else self.facts.judge
        verdict = judge(response, self.facts.errors)
        waits = verdict.disposition in {Disposition.RATE_LIMITED, Disposition.RETRY}
        if waits and verdict.retry_after is None:
            hint = retry_after(response.headers, self._now())
            return Verdict(verdict.disposition, verdict.error, hint)
        return verdict

    async def _should_retry(
        self, verdict: Verdict, attempt: int, call: _Call, response: ProviderResponse | None
    ) -> bool:
        policy, route = self.settings.retry, call.route
        if verdict.disposition is Disposition.RATE_LIMITED:
            pause = (
                verdict.retry_after
                if verdict.retry_after is not None
                else self.settings.default_pause
            )
            bucket = self._bucket_of_429(response) if route is not None else None
            await self.transport.limiter.pause(self.key, pause, route, bucket)
            return policy.allows(attempt, pause)  # the budget's pause is the wait
        if (
            verdict.disposition is Disposition.RETRY
            and call.repeatable
            and policy.allows(attempt, verdict.retry_after)
        ):
            await self.transport.clock.sleep(policy.delay(attempt, verdict.retry_after))
            return True
        return False

    def _answer(self, ended: _Ended, method: str) -> ProviderResponse:
        """The answer of a call that ended OK; else the error it ended in."""
        if ended.verdict.disposition is not Disposition.OK:
            raise self._error(ended, method)
        assert ended.response is not None
        return ended.response

    def _error(self, ended: _Ended, method: str) -> InterlinkError:
        verdict, response, failure = ended
        if failure is not None and response is None:
            return failure
        assert response is not None
        details: list[dict[str, Any]] = [{"provider_status": response.status}]
        message = response.provider_message()
        if message:
            details[0]["provider_message"] = message
        details.extend(response.provider_errors())
        if verdict.disposition is Disposition.RATE_LIMITED:
            return RateLimitExceeded(
                "The external system's rate limit is spent (after retries)", details=details
            )
        if verdict.disposition is Disposition.REFRESH_THEN_RETRY:
            return AuthenticationFailed(details=details)
        error_class = verdict.error or ExternalServiceError
        text = f"{error_class.__doc__ or error_class.code}".strip()
        if message:
            text = f"{text} ({method} answered {response.status}: {message})"
        return error_class(text, details=details)

    # -- learning the budget ----------------------------------------------------------------------
    async def _learn(self, response: ProviderResponse, route: Route | None) -> None:
        limiter, buckets, bucket = self.transport.limiter, self.facts.buckets, None
        if buckets is not None and route is not None:
            bucket = buckets.bucket(response.headers)
            if bucket is not None and limiter.bucket_of(self.key, route) != bucket:
                await limiter.learn_bucket(self.key, route, bucket)
        spec = self.facts.rate_headers
        if spec is None:
            return
        now = self._now()
        await self._learn_tokens(spec, response.headers, now)
        observation = spec.observe(response.headers, now)
        if observation is None:
            return
        self.transport.observed[self.key] = observation
        if observation.remaining == 0 and observation.reset_at and observation.reset_at > now:
            # A spent bucket holds its own routes; a spent answer without one, the integration.
            scope = route if bucket is not None else None
            await limiter.pause(self.key, observation.reset_at - now, scope, bucket)

    async def _learn_tokens(
        self, spec: RateLimitHeaders, headers: dict[str, str], now: float
    ) -> None:
        for window in TOKEN_WINDOWS:
            seen = spec.observe_tokens(headers, now, window)
            if seen is None or seen.remaining is None or seen.reset_at is None:
                continue
            self._observed(window)[self.key] = seen
            budget = TokenBudget(seen.remaining, seen.reset_at, seen.limit)
            await self.transport.limiter.learn_tokens(self.key, budget, window)

    def _bucket_of_429(self, response: ProviderResponse | None) -> str | None:
        """The bucket a rate-limited answer speaks of; None (the whole integration) when it is
        global or names none."""
        buckets = self.facts.buckets
        if buckets is None or response is None or buckets.is_global(response):
            return None
        return buckets.bucket(response.headers)

    # -- helpers ----------------------------------------------------------------------------------
    def _now(self) -> float:
        return self.transport.clock.now().timestamp()

    def _check_headers(self, extra: Mapping[str, str] | None, idempotency_key: str | None) -> None:
        """Headers aiohttp would raise on, or that would break the request's framing, are the
        caller's mistake (the call's headers and idempotency key) or the credential's: refused
        before sending."""
        given = {**(extra or {})}
        if idempotency_key is not None:
            given["Idempotency-Key"] = idempotency_key
        for headers, error in ((given, InvalidOperation), (self.auth, InvalidCredentials)):
            problems = [problem for _, problem in header_problems(headers)]
            if problems:
                raise error(f"These headers cannot be sent: {'; '.join(problems)}")
        self._path_segment()

    def _target(self, path: str) -> str:
        """The URL to call, refused before anything when it does not parse or its scheme or
        literal address may not be called (names are checked when they resolve)."""
        try:
            url = self._url(path)
            self.transport.policy.check_url(url)
        except ValueError as exc:  # "http://[::1": urlsplit refuses it
            raise UrlNotAllowed(f"the URL is not valid ({exc})") from None
        except UrlRefused as refused:
            raise UrlNotAllowed(str(refused)) from None
        return url

    def _url(self, path: str) -> str:
        if urlsplit(path).scheme:
            return path
        if not self.settings.base_url:
            raise UrlNotAllowed("This integration has no api_url: give a full URL")
        return self.settings.base_url.rstrip("/") + "/" + path.lstrip("/")

    def _check_destination(self, url: str) -> None:
        """A credential goes only to its allowed hosts: refused before anything is sent."""
        hosts = self.allowed_hosts
        if not (self.auth or self._path_token) or hosts is None:
            return
        try:
            host = URL(url).host  # the host aiohttp will connect to, parsed as it parses it
        except ValueError:
            host = None
        if not hosts.allows(host):
            raise CredentialHostNotAllowed(
                f"This integration's credential may not be sent to {host or url!r}",
                details=[{"host": host, "allowed_hosts": sorted(hosts.names)}],
            )

    def _placed(self, auth: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
        """The headers to send, and the credential to put in the path instead of them (for a
        provider that takes it there: then no header carries it)."""
        if self.facts.credential_in_path is None:
            return dict(auth), None
        forms = sent_forms(auth)
        return {}, forms[0] if forms else None

    def _path_segment(self) -> str:
        """The credential's segment of the path ("" without one); InvalidCredentials for a
        credential that would not stay one segment, before anything is sent."""
        placement, token = self.facts.credential_in_path, self._path_token
        if placement is None or token is None:
            return ""
        try:
            return placement.segment(token)
        except ValueError as exc:
            raise InvalidCredentials(str(exc)) from None

    def _in_path(self, url: str) -> str:
        """`url` as the first hop sends it: with the credential's segment after the base URL,
        for a provider that takes it there and a URL under the base URL."""
        base = (self.settings.base_url or "").rstrip("/")
        segment = self._path_segment()
        if not segment or not base or not url.startswith(base + "/"):
            return url
        return base + segment + url[len(base) :]

    def _without_credential(self, headers: dict[str, str]) -> dict[str, str]:
        """For a redirect to another host: the credential's headers (whatever their names) and
        any Authorization stay behind."""
        names = {name.lower() for name in self.auth} | {"authorization"}
        return {k: v for k, v in headers.items() if k.lower() not in names}

    def _headers(
        self, extra: Mapping[str, str] | None, idempotency_key: str | None, authenticated: bool
    ) -> dict[str, str]:
        user_agent = self.settings.user_agent or self.facts.user_agent
        headers = {"User-Agent": user_agent, **self.settings.default_headers}
        headers.update(extra or {})
        if authenticated:
            headers.update(self.auth)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers


@dataclass(frozen=True, slots=True)
class _Call:
    """One call as `request` was asked it, checked and ready to send."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    body: dict[str, Any]  # {"json": ...} or {"data": ...}, as aiohttp takes it
    headers: Mapping[str, str] | None  # the caller's own
    idempotency_key: str | None
    route: Route | None  # its route bucket, for a provider that counts per bucket
    repeatable: bool  # may be sent again after a 5xx or a dropped connection
    tokens: int = 0  # what it declares it will use of the provider's token window
    output_tokens: int = 0  # and of its output-token window
    authenticated: bool = True  # False: sent without the credential (see `request`)
    stream: contextlib.AsyncExitStack | None = None  # a stream's: where its answer stays open
    streams: list[aiohttp.ClientResponse] = field(default_factory=list)  # the one kept open


class _Ended(NamedTuple):
    """How a call's last attempt ended: its verdict, the answer, or the failure to get one."""

    verdict: Verdict
    response: ProviderResponse | None
    failure: InterlinkError | None


def _metric_outcome(
    verdict: Verdict, response: ProviderResponse | None, failure: InterlinkError | None
) -> str:
    if response is not None:
        return _METRIC_OUTCOMES[verdict.disposition]
    return "timeout" if isinstance(failure, ExternalServiceTimeout) else "unreachable"


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


async def _read_body(raw: aiohttp.ClientResponse) -> bytes:
    """The whole body (a single read() may return only what has arrived), up to the size cap."""
    chunks, size = [], 0
    async for chunk in raw.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > _MAX_BODY:
            raise ExternalServiceError(f"The external system's answer is over {_MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
