"""Signing in and out of the console, sessions expiring, and the security every page carries."""

from __future__ import annotations

import httpx

from interlink.core.clock import FrozenClock
from tests.conftest import ADMIN_KEY
from tests.console.conftest import csrf_of, sign_in


async def test_a_page_without_a_session_sends_to_sign_in(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/console/integrations")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=%2Fintegrations"


async def test_sign_in_with_a_key_opens_a_session_cookie(browser: httpx.AsyncClient) -> None:
    response = await sign_in(browser)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/"
    cookie = response.headers["set-cookie"]
    assert "interlink_console=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http here
    page = await browser.get("/console/")
    assert page.status_code == 200
    assert "Overview" in page.text
    assert "Sign out" in page.text
    assert ADMIN_KEY not in page.text


async def test_a_wrong_key_is_told_and_opens_nothing(browser: httpx.AsyncClient) -> None:
    response = await sign_in(browser, "sk_test_not_a_key_at_all_0123456789")
    assert response.status_code == 401
    assert "the API key is not valid" in response.text
    assert "interlink_console=" not in response.headers.get("set-cookie", "")


async def test_sign_in_without_its_csrf_cookie_is_refused(browser: httpx.AsyncClient) -> None:
    response = await browser.post(
        "/console/sign-in", data={"api_key": ADMIN_KEY, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "interlink_console=" not in response.headers.get("set-cookie", "")


async def test_secure_cookie_over_tls(browser: httpx.AsyncClient) -> None:
    form = await browser.get("https://testserver/console/sign-in")
    response = await browser.post(
        "https://testserver/console/sign-in",
        data={"api_key": ADMIN_KEY, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


async def test_pages_carry_the_security_headers(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text
    assert " style=" not in page.text


async def test_a_post_without_the_csrf_token_is_refused(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.post("/console/sign-out", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert "Not allowed" in response.text
    still = await signed_in.get("/console/")
    assert still.status_code == 200


async def test_sign_out_ends_the_session(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/")
    cookie = signed_in.cookies["interlink_console"]
    response = await signed_in.post("/console/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    signed_in.cookies.set("interlink_console", cookie, path="/console")  # kept by a thief
    again = await signed_in.get("/console/")
    assert again.status_code == 303
    assert "/console/sign-in" in again.headers["location"]


async def test_an_idle_session_ends(signed_in: httpx.AsyncClient, clock: FrozenClock) -> None:
    clock.advance(29 * 60)
    assert (await signed_in.get("/console/")).status_code == 200  # a request keeps it alive
    clock.advance(29 * 60)
    assert (await signed_in.get("/console/")).status_code == 200
    clock.advance(31 * 60)
    assert (await signed_in.get("/console/")).status_code == 303


async def test_a_session_ends_at_its_absolute_expiry(
    signed_in: httpx.AsyncClient, clock: FrozenClock
) -> None:
    for _ in range(24):  # busy all along: every 29 minutes for 11.6 hours
        clock.advance(29 * 60)
        assert (await signed_in.get("/console/")).status_code == 200
    clock.advance(29 * 60)
    assert (await signed_in.get("/console/")).status_code == 303


async def test_a_revoked_key_ends_its_sessions(
    browser: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    made = await client.post("/api/v1/api-keys", json={"name": "ops", "scopes": ["admin"]})
    key = made.json()["data"]
    assert (await sign_in(browser, key["key"])).status_code == 303
    assert (await browser.get("/console/")).status_code == 200
    revoked = await client.delete(f"/api/v1/api-keys/{key['id']}")
    assert revoked.status_code in (200, 204), revoked.text
    assert (await browser.get("/console/")).status_code == 303


async def test_static_files_are_cached_by_content(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/")
    path = next(p for p in page.text.split('"') if p.endswith("/vendor/htmx.min.js"))
    asset = await signed_in.get(path)
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"].startswith("text/javascript")
    assert asset.headers["content-encoding"] == "gzip"  # httpx asks for it, and unpacks it
    assert asset.text.startswith("var htmx=")
    stale = await signed_in.get(
        path.replace("/static/", "/static/0").replace("/vendor", "x/vendor")
    )
    assert stale.status_code == 404


async def test_links_follow_a_trusted_forwarded_prefix(app, browser: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    app.state.services.settings.console.trust_forwarded_prefix = True
    page = await browser.get("/console/sign-in", headers={"X-Forwarded-Prefix": "/tools/il"})
    assert 'action="/tools/il/console/sign-in"' in page.text
    assert "Path=/tools/il/console/sign-in" in page.headers["set-cookie"]


async def test_htmx_sends_the_csrf_token_as_a_header(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/")
    token = csrf_of(page.text)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page.text
    response = await signed_in.post(
        "/console/sign-out", headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert response.status_code == 303
    assert (await signed_in.get("/console/")).status_code == 303  # signed out


async def test_sign_in_never_lands_on_another_site(browser: httpx.AsyncClient) -> None:
    form = await browser.get("/console/sign-in", params={"next": "//evil.example/x"})
    response = await browser.post(
        "/console/sign-in",
        data={"api_key": ADMIN_KEY, "csrf_token": csrf_of(form.text), "next": "//evil.example/x"},
    )
    assert response.headers["location"] == "/console/"
    again = await sign_in(browser)
    assert again.headers["location"] == "/console/"
