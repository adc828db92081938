"""SimpleSAMLphp (Debian's package) as a SAML 2.0 identity provider on a loopback port: PHP's
built-in server over its `www`, with a configuration written for the test (a temporary folder:
config, a signing key, the service provider's metadata, users with their attributes), and
`sign_in`, which fills its login form and returns the SAMLResponse it posts back."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.peers.process import accepts, free_port, running

SSP = Path("/usr/share/simplesamlphp")
SSP_CONFIG = Path("/etc/simplesamlphp/config.php")
XMLSEC = Path("/usr/bin/xmlsec1")
MAX_HOPS = 12


def skip_reason() -> str | None:
    missing = [p for p in (SSP / "www", SSP_CONFIG, XMLSEC) if not p.exists()]
    if missing or shutil.which("php") is None:
        return (
            "SimpleSAMLphp, php-cli or xmlsec1 is not installed: run scripts/install_test_peers.sh"
        )
    return None


@dataclass(frozen=True)
class SamlUser:
    password: str
    attributes: dict[str, list[str]]


@dataclass(frozen=True)
class SamlIdp:
    url: str

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/saml2/idp/metadata.php"


@contextmanager
def simplesamlphp(
    workdir: Path, sp_entity_id: str, acs_url: str, users: dict[str, SamlUser]
) -> Iterator[SamlIdp]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    for folder in ("config", "metadata", "cert", "tmp"):
        (workdir / folder).mkdir()
    _config(workdir, url)
    _php(workdir / "config" / "authsources.php", _authsources(users))
    hosted = {"host": "__DEFAULT__", "privatekey": "idp.pem", "certificate": "idp.crt",
              "auth": "users"}  # fmt: skip
    _php(workdir / "metadata" / "saml20-idp-hosted.php", {"__DYNAMIC:1__": hosted}, "metadata")
    remote = {"AssertionConsumerService": acs_url, "NameIDFormat":
              "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"}  # fmt: skip
    _php(workdir / "metadata" / "saml20-sp-remote.php", {sp_entity_id: remote}, "metadata")
    _signing_key(workdir / "cert")
    command = ["php", "-S", f"127.0.0.1:{port}", "-t", str(SSP / "www")]
    env_command = ["env", f"SIMPLESAMLPHP_CONFIG_DIR={workdir / 'config'}", *command]
    with running(env_command, workdir / "php.log", lambda: accepts(port)):
        yield SamlIdp(url)


def _config(workdir: Path, url: str) -> None:
    text = SSP_CONFIG.read_text()
    replacements = {
        r"'baseurlpath' => '[^']*'": f"'baseurlpath' => '{url}/'",
        r"'certdir' => '[^']*'": f"'certdir' => '{workdir}/cert/'",
        r"'loggingdir' => '[^']*'": f"'loggingdir' => '{workdir}/'",
        r"'datadir' => '[^']*'": f"'datadir' => '{workdir}/'",
        r"'tempdir' => '[^']*'": f"'tempdir' => '{workdir}/tmp'",
        r"'metadatadir' => '[^']*'": f"'metadatadir' => '{workdir}/metadata/'",
        r"//'secretsalt' => '[^']*'": "'secretsalt' => 'a-salt-for-the-test-idp-0123456789'",
        r"'logging.handler' => '[^']*'": "'logging.handler' => 'file'",
        r"'enable.saml20-idp' => false": "'enable.saml20-idp' => true",
        r"'session.cookie.secure' => true": "'session.cookie.secure' => false",
        r"\n(\s*)'exampleauth' => false": r"\n\1'exampleauth' => true",
    }
    for pattern, value in replacements.items():
        text, count = re.subn(pattern, value, text, count=1)
        assert count == 1, f"SimpleSAMLphp's config.php has no {pattern}"
    (workdir / "config" / "config.php").write_text(text)


def _authsources(users: dict[str, SamlUser]) -> dict[str, Any]:
    accounts = {f"{login}:{user.password}": user.attributes for login, user in users.items()}
    return {"admin": ["core:AdminPassword"], "users": {"0": "exampleauth:UserPass", **accounts}}


def _php(path: Path, value: dict[str, Any], name: str = "config") -> None:
    entries = "\n".join(f"${name}[{_literal(k)}] = {_literal(v)};" for k, v in value.items())
    path.write_text(f"<?php\n${name} = [];\n{entries}\n")


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        items = ", ".join(
            _literal(v) if k == "0" else f"{_literal(k)} => {_literal(v)}" for k, v in value.items()
        )
        return f"[{items}]"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _signing_key(folder: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    plain = serialization.NoEncryption()
    pem = serialization.Encoding.PEM
    (folder / "idp.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, plain)
    )
    (folder / "idp.crt").write_bytes(certificate.public_bytes(pem))


class SamlLoginRefused(Exception):
    """The identity provider's login form came back instead of a SAML response."""


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


async def sign_in(
    http: httpx.AsyncClient, start_url: str, login: str, password: str
) -> dict[str, str]:
    """Follow the IdP's redirects, fill its login form, and return the fields of the form it
    posts back to the service provider (`SAMLResponse`, `RelayState`)."""
    response = await http.get(start_url, follow_redirects=True)
    tried = False
    for _ in range(MAX_HOPS):
        fields = {k: html.unescape(v) for k, v in _HIDDEN.findall(response.text)}
        if "SAMLResponse" in fields:
            return fields
        if 'name="password"' not in response.text:
            raise AssertionError(
                f"unexpected IdP page: {response.status_code} {response.text[:500]}"
            )
        if tried:
            raise SamlLoginRefused(response.text)
        tried = True
        form = {**fields, "username": login, "password": password}
        response = await http.post(str(response.url), data=form, follow_redirects=True)
    raise AssertionError("the identity provider never answered with a SAML response")
