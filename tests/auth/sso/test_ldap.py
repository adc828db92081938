"""Signing in against a real LDAP directory (OpenLDAP's slapd on loopback): the service account
finds the user, the user's own bind checks the password, groups map to scopes by the rules."""

from __future__ import annotations

import io

import pytest
from pydantic import SecretStr

from interlink.auth.sso.errors import SsoRefused, SsoUnavailable
from interlink.auth.sso.service import SsoSignIn
from tests.auth.sso.conftest import SsoApp, ldap_settings, sso_of
from tests.peers.slapd import Directory


async def sign_in(
    sso_app: SsoApp, directory: Directory, login: str, password: str, **ldap: object
) -> SsoSignIn:
    app = await sso_app(ldap=ldap_settings(directory, **ldap))
    return await sso_of(app).sign_in_ldap(app.state.services.db, login, password)


async def test_a_member_of_a_mapped_group_signs_in_with_its_scopes(
    sso_app: SsoApp, directory: Directory, workspace_id: str
) -> None:
    signed_in = await sign_in(sso_app, directory, "alice", "alice-pw")

    assert signed_in.principal.workspace_id == workspace_id
    assert signed_in.principal.scopes == {"admin"}
    assert signed_in.principal.subject == f"ldap:uid=alice,{directory.people}"
    assert signed_in.identity.name == "alice@example.test"
    assert signed_in.identity.claims["groups"] == ["eng", "ops"]  # from memberOf


async def test_groups_may_come_from_a_group_search_and_the_dn_from_a_template(
    sso_app: SsoApp, directory: Directory
) -> None:
    signed_in = await sign_in(
        sso_app, directory, "carol", "carol-pw",
        bind_dn=None, bind_password=None, user_dn_template=f"uid={{username}},{directory.people}",
        group_attribute=None, group_base=directory.groups,
    )  # fmt: skip

    assert signed_in.principal.scopes == {"integrations:read"}
    assert signed_in.identity.claims["group_dns"] == [f"cn=support,{directory.groups}"]


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("alice", "not-alices"),
        ("alice", ""),
        ("nobody", "x"),
        ("*", "alice-pw"),
        ("al*", "alice-pw"),
    ],
)
async def test_wrong_credentials_are_refused_alike(
    sso_app: SsoApp, directory: Directory, login: str, password: str
) -> None:
    with pytest.raises(SsoRefused) as refused:
        await sign_in(sso_app, directory, login, password)

    assert refused.value.message == "wrong username or password"


async def test_a_user_in_no_mapped_group_is_refused(sso_app: SsoApp, directory: Directory) -> None:
    with pytest.raises(SsoRefused) as refused:
        await sign_in(sso_app, directory, "bob", "bob-pw")

    assert refused.value.message == (
        "bob@example.test signed in, but no single sign-on rule gives them access here"
    )


async def test_a_service_account_the_directory_refuses_is_a_fault_not_a_refusal(
    sso_app: SsoApp, directory: Directory
) -> None:
    with pytest.raises(SsoUnavailable) as fault:
        await sign_in(
            sso_app, directory, "alice", "alice-pw", bind_password=SecretStr("not-the-readers")
        )

    assert fault.value.status_code == 502
    assert "not-the-readers" not in repr(fault.value)


async def test_a_directory_that_does_not_answer_is_a_fault(
    sso_app: SsoApp, directory: Directory
) -> None:
    with pytest.raises(SsoUnavailable, match="could not be used"):
        await sign_in(sso_app, directory, "alice", "alice-pw", url="ldap://127.0.0.1:9")


async def test_no_password_reaches_the_logs(
    sso_app: SsoApp, directory: Directory, log_output: io.StringIO
) -> None:
    await sign_in(sso_app, directory, "alice", "alice-pw")
    with pytest.raises(SsoRefused):
        await sign_in(sso_app, directory, "alice", "wrong-alice-password")

    text = log_output.getvalue()
    assert "alice-pw" not in text
    assert "wrong-alice-password" not in text
    assert directory.reader_password not in text
