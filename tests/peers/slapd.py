"""OpenLDAP's `slapd` on a loopback port, in the foreground, with a configuration written for the
test (mdb backend and the memberOf overlay in a temporary folder), a service account, people and
groups loaded through the root DN."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ldap3

from tests.peers.process import accepts, free_port, running

SLAPD = Path("/usr/sbin/slapd")
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
BASE = "dc=example,dc=test"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "root-secret"
READER_DN = f"cn=reader,{BASE}"
READER_PASSWORD = "reader-secret"

CONFIG = """\
include {schemas}/core.schema
include {schemas}/cosine.schema
include {schemas}/inetorgperson.schema
include {schemas}/nis.schema
modulepath {modules}
moduleload back_mdb
moduleload memberof
pidfile {dir}/slapd.pid
database mdb
suffix "{base}"
rootdn "{root_dn}"
rootpw {root_password}
directory {dir}/data
maxsize 10485760
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
access to attrs=userPassword by anonymous auth by self none by * none
access to * by users read by * none
"""


def skip_reason() -> str | None:
    if not SLAPD.exists():
        return "OpenLDAP's slapd is not installed: run scripts/install_test_peers.sh"
    return None


@dataclass(frozen=True)
class Person:
    uid: str
    password: str
    mail: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Directory:
    url: str
    base: str = BASE
    reader_dn: str = READER_DN
    reader_password: str = READER_PASSWORD
    people: str = f"ou=people,{BASE}"
    groups: str = f"ou=groups,{BASE}"


@contextmanager
def slapd(workdir: Path, people: list[Person]) -> Iterator[Directory]:
    (workdir / "data").mkdir(parents=True)
    config = workdir / "slapd.conf"
    config.write_text(
        CONFIG.format(
            schemas=SCHEMAS,
            modules=MODULES,
            dir=workdir,
            base=BASE,
            root_dn=ROOT_DN,
            root_password=ROOT_PASSWORD,
        )
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    command = [str(SLAPD), "-d", "0", "-f", str(config), "-h", f"{url}/"]
    with running(command, workdir / "slapd.log", lambda: accepts(port)):
        directory = Directory(url)
        _load(directory, people)
        yield directory


def _load(directory: Directory, people: list[Person]) -> None:
    with ldap3.Connection(directory.url, ROOT_DN, ROOT_PASSWORD, auto_bind=True) as root:
        _add(root, directory.base, ["dcObject", "organization"], dc="example", o="Example")
        _add(root, READER_DN, ["person"], cn="reader", sn="reader", userPassword=READER_PASSWORD)
        _add(root, directory.people, ["organizationalUnit"], ou="people")
        _add(root, directory.groups, ["organizationalUnit"], ou="groups")
        for person in people:
            attributes = {"uid": person.uid, "cn": person.uid.title(), "sn": person.uid}
            secret = {"mail": person.mail, "userPassword": person.password}
            _add(
                root,
                f"uid={person.uid},{directory.people}",
                ["inetOrgPerson"],
                **attributes,
                **secret,
            )
        for group in sorted({g for p in people for g in p.groups}):
            members = [f"uid={p.uid},{directory.people}" for p in people if group in p.groups]
            _add(root, f"cn={group},{directory.groups}", ["groupOfNames"], cn=group, member=members)


def _add(connection: ldap3.Connection, dn: str, classes: list[str], **attributes: object) -> None:
    if not connection.add(dn, classes, attributes):
        raise RuntimeError(f"could not add {dn}: {connection.result}")
