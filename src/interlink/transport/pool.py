"""Pooled aiohttp sessions, one per key (an integration; the webhook sender's one), reused across
calls, resolving through the SSRF guard, with the options' timeouts and connection limit; changed
options get a fresh session. Every outgoing HTTP request of the service goes through one."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from interlink.transport.ssrf import AddressPolicy, GuardedResolver


@dataclass(frozen=True)
class SessionOptions:
    total_timeout: float = 30.0
    connect_timeout: float | None = None
    read_timeout: float | None = None
    verify_ssl: bool = True
    max_connections: int = 100


class SessionPool:
    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._sessions: dict[str, tuple[SessionOptions, aiohttp.ClientSession]] = {}
        self._retired: list[aiohttp.ClientSession] = []  # calls may still be in flight on them

    def get(self, key: str, options: SessionOptions) -> aiohttp.ClientSession:
        known = self._sessions.get(key)
        if known is not None and known[0] == options and not known[1].closed:
            return known[1]
        if known is not None:
            self._retire(known[1])
        session = self._open(options)
        self._sessions[key] = (options, session)
        return session

    def _open(self, options: SessionOptions) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.policy),
            limit=options.max_connections,
            ssl=options.verify_ssl,
            ttl_dns_cache=60,
        )
        timeout = aiohttp.ClientTimeout(
            total=options.total_timeout,
            connect=options.connect_timeout,
            sock_read=options.read_timeout,
        )
        return aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=True)

    def _retire(self, session: aiohttp.ClientSession) -> None:
        self._retired.append(session)

    async def close(self) -> None:
        for session in [*self._retired, *(s for _, s in self._sessions.values())]:
            await session.close()
        self._sessions.clear()
        self._retired.clear()
