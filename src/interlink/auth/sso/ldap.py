"""LDAP and Active Directory sign-in with ldap3: find the user's DN with the service account (or
build it from a template), bind as the user with their password, read their groups (`memberOf`
and/or a group search). The password is used for that one bind and never kept or logged."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from interlink.auth.sso.errors import SsoRefused, SsoUnavailable
from interlink.auth.sso.rules import Identity
from interlink.config import LdapSettings
from interlink.core.errors import InterlinkError

_WRONG = "wrong username or password"


class LdapDirectory:
    def __init__(self, settings: LdapSettings) -> None:
        assert settings.url is not None
        self.settings = settings
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=str(settings.ca_file) if settings.ca_file else None,
        )
        self.server = ldap3.Server(
            settings.url,
            tls=tls,
            connect_timeout=settings.timeout_seconds,
            get_info=ldap3.NONE,
        )

    async def authenticate(self, username: str, password: str) -> Identity:
        """The user's identity once the directory accepted the password; `SsoRefused` when it
        did not (an empty password is refused here: LDAP takes it as an anonymous bind)."""
        username = username.strip()
        if not username or not password or len(username) > 256:
            raise SsoRefused(_WRONG)
        try:
            return await asyncio.to_thread(self._authenticate, username, password)
        except LDAPException as exc:
            raise SsoUnavailable(
                f"the directory could not be used ({type(exc).__name__})"
            ) from None

    def _authenticate(self, username: str, password: str) -> Identity:
        dn, attributes = self._find_user(username)
        with self._bound(dn, password, SsoRefused(_WRONG)) as user:
            if self.settings.user_dn_template:
                attributes = self._entry(user, dn)
            groups = self._groups(user, dn, username, attributes)
        email = _first(attributes.get(self.settings.email_attribute))
        claims = {
            "sub": dn,
            "dn": dn,
            "username": username,
            "email": email,
            "name": _first(attributes.get(self.settings.name_attribute)),
            "groups": sorted({_rdn_value(g) for g in groups}),
            "group_dns": sorted(groups),
        }
        return Identity("ldap", dn, email or username, claims)

    def _find_user(self, username: str) -> tuple[str, dict[str, Any]]:
        template = self.settings.user_dn_template
        if template:
            return template.format(username=escape_rdn(username)), {}
        assert self.settings.user_base is not None
        secret = self.settings.bind_password
        password = secret.get_secret_value() if secret else ""
        refused = SsoUnavailable("the directory refused the service account's bind")
        with self._bound(self.settings.bind_dn, password, refused) as svc:
            query = self.settings.user_filter.format(username=escape_filter_chars(username))
            svc.search(self.settings.user_base, query, attributes=self._attributes(), size_limit=2)
            entries = [e for e in svc.response or [] if e.get("type") == "searchResEntry"]
        if len(entries) != 1:
            raise SsoRefused(_WRONG)
        return str(entries[0]["dn"]), dict(entries[0]["attributes"])

    def _entry(self, connection: ldap3.Connection, dn: str) -> dict[str, Any]:
        connection.search(dn, "(objectClass=*)", ldap3.BASE, attributes=self._attributes())
        entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
        return dict(entries[0]["attributes"]) if entries else {}

    def _groups(
        self, connection: ldap3.Connection, dn: str, username: str, attributes: dict[str, Any]
    ) -> set[str]:
        found: set[str] = set()
        if self.settings.group_attribute:
            found |= {str(g) for g in _list(attributes.get(self.settings.group_attribute))}
        if self.settings.group_base:
            query = self.settings.group_filter.format(
                dn=escape_filter_chars(dn), username=escape_filter_chars(username)
            )
            connection.search(self.settings.group_base, query, attributes=["cn"])
            found |= {str(e["dn"]) for e in connection.response or [] if "dn" in e}
        return found

    def _attributes(self) -> list[str]:
        names = [self.settings.email_attribute, self.settings.name_attribute]
        return names + ([self.settings.group_attribute] if self.settings.group_attribute else [])

    @contextmanager
    def _bound(
        self, dn: str | None, password: str, refused: InterlinkError
    ) -> Iterator[ldap3.Connection]:
        """A connection bound as `dn` (anonymous when None), after StartTLS when asked."""
        connection = ldap3.Connection(
            self.server,
            user=dn,
            password=password,
            receive_timeout=self.settings.timeout_seconds,
        )
        try:
            connection.open()
            if self.settings.start_tls:
                connection.start_tls()
            if not connection.bind():
                raise refused
            yield connection
        finally:
            connection.unbind()


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _first(value: Any) -> str | None:
    values = _list(value)
    return str(values[0]) if values else None


def _rdn_value(dn: str) -> str:
    """`ops` of `cn=ops,ou=groups,dc=example,dc=test`."""
    try:
        return str(parse_dn(dn)[0][1])
    except (LDAPException, IndexError):
        return dn
