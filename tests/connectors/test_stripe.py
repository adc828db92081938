"""The stripe connector through the API, against the Stripe mock on a loopback socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.providers.stripe.provider import stripe_form
from interlink.testing import Fault, RunningMock, StripeMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

KEY = "sk_test_mock_key"


@pytest.fixture
async def stripe() -> AsyncIterator[RunningMock[StripeMock]]:
    async with serve_mock(StripeMock()) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock], key: str = KEY
) -> str:
    body = {
        "name": "Stripe Integration",
        "type": "stripe",
        "configuration": {"api_url": stripe.api_url, "auth_method": "api_key"},
        "credentials": {"secret_key": key},
    }
    return await create_active(client, body)


def test_the_form_helper_uses_stripes_bracket_syntax() -> None:
    form = stripe_form(
        {"amount": 500, "metadata": {"order": "42"}, "types": ["card", "link"], "on": True,
         "off": False, "nothing": None, "nested": {"a": {"b": 1}}}
    )  # fmt: skip

    assert list(form.items()) == [
        ("amount", "500"), ("metadata[order]", "42"), ("types[]", "card"), ("types[]", "link"),
        ("on", "true"), ("off", "false"), ("nested[a][b]", "1"),
    ]  # fmt: skip


async def test_customer_create_and_retrieve_send_a_bracketed_form(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    created = data(
        await _run(client, iid, "create_customer", email="ada@example.com", name="Ada Lovelace",
                   description="VIP", metadata={"plan": "pro", "source": "interlink"})
    )["result"]  # fmt: skip
    fetched = data(await _run(client, iid, "retrieve_customer", customer_id=created["id"]))

    assert created["id"].startswith("cus_")
    assert created["email"] == "ada@example.com"
    assert created["name"] == "Ada Lovelace"
    assert created["metadata"] == {"plan": "pro", "source": "interlink"}
    assert created["livemode"] is False
    assert fetched["result"] == created
    post = stripe.mock.calls.filter("POST", "/v1/customers")[0]
    assert post.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert post.headers["Authorization"] == f"Bearer {KEY}"
    assert post.headers["Idempotency-Key"]
    form = post.form()
    assert form["metadata[plan]"] == "pro"
    assert form["metadata[source]"] == "interlink"
    assert form["email"] == "ada@example.com"
    assert "description" in form
    assert "phone" not in form


async def test_invoice_item_then_invoice(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)
    customer = data(await _run(client, iid, "create_customer", email="b@example.com"))["result"]

    invoice = data(
        await _run(client, iid, "create_invoice", customer=customer["id"], auto_advance=False,
                   collection_method="send_invoice", days_until_due=30, description="March")
    )["result"]  # fmt: skip
    item = data(
        await _run(client, iid, "create_invoice_item", customer=customer["id"], amount=2500,
                   currency="USD", description="Consulting", invoice=invoice["id"])
    )["result"]  # fmt: skip

    assert invoice["id"].startswith("in_")
    assert invoice["status"] == "draft"
    assert invoice["collection_method"] == "send_invoice"
    assert invoice["auto_advance"] is False
    assert invoice["customer"] == customer["id"]
    assert item["id"].startswith("ii_")
    assert item["amount"] == 2500
    assert item["currency"] == "usd"
    assert item["invoice"] == invoice["id"]
    assert stripe.mock.invoices[invoice["id"]]["total"] == 2500
    form = stripe.mock.calls.filter("POST", "/v1/invoices")[0].form()
    assert form["auto_advance"] == "false"
    assert form["days_until_due"] == "30"


async def test_days_until_due_needs_send_invoice(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    response = await _run(client, iid, "create_invoice", customer="cus_x", days_until_due=30)

    assert response.status_code == 422
    assert stripe.mock.calls.count("/v1/invoices") == 0


async def test_payment_intent_sends_list_and_metadata_brackets(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)
    customer = data(await _run(client, iid, "create_customer", name="C"))["result"]

    intent = data(
        await _run(client, iid, "create_payment_intent", amount=2000, currency="eur",
                   customer=customer["id"], payment_method_types=["card"],
                   metadata={"order_id": "6735"})
    )["result"]  # fmt: skip

    assert intent["id"].startswith("pi_")
    assert intent["amount"] == 2000
    assert intent["currency"] == "eur"
    assert intent["customer"] == customer["id"]
    assert intent["status"] == "requires_payment_method"
    assert intent["payment_method_types"] == ["card"]
    assert intent["metadata"] == {"order_id": "6735"}
    assert intent["client_secret"]
    form = stripe.mock.calls.filter("POST", "/v1/payment_intents")[0].form()
    assert form.getall("payment_method_types[]") == ["card"]
    assert form["metadata[order_id]"] == "6735"


async def test_two_creates_in_one_operation_do_not_share_a_key(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    data(await _run(client, iid, "create_customer", name="one"))
    data(await _run(client, iid, "create_customer", name="two"))

    keys = [c.headers["Idempotency-Key"] for c in stripe.mock.calls.filter("POST", "/v1/customers")]
    assert len(set(keys)) == 2
    assert all(key.endswith(":create_customer") for key in keys)
    assert len(stripe.mock.customers) == 2


async def test_a_500_on_create_is_retried_with_the_same_idempotency_key(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)
    stripe.mock.faults.add(Fault.error(500), times=1, path_prefix="/v1/customers")

    run = data(await _run(client, iid, "create_customer", email="retry@example.com"))

    assert run["status"] == "completed"
    posts = stripe.mock.calls.filter("POST", "/v1/customers")
    assert len(posts) == 2
    assert posts[0].headers["Idempotency-Key"] == posts[1].headers["Idempotency-Key"]
    assert len(stripe.mock.customers) == 1
    assert run["result"]["id"] in stripe.mock.customers


async def test_a_wrong_key_is_authentication_failed(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe, key="sk_test_wrong_key_1234")

    response = await _run(client, iid, "create_customer", email="x@example.com")

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert "Invalid API Key provided" in error(response)["details"][1]["provider_message"]
    assert stripe.mock.customers == {}


async def test_an_unknown_customer_is_not_found_with_stripes_message(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    response = await _run(client, iid, "retrieve_customer", customer_id="cus_missing")

    assert response.status_code == 404
    assert error(response)["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert error(response)["details"][1] == {
        "provider_status": 404, "provider_message": "No such customer: 'cus_missing'"
    }  # fmt: skip


async def test_a_429_is_rate_limited(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)
    stripe.mock.faults.add(Fault.rate_limited(0), times=10, path_prefix="/v1/customers/")

    response = await _run(client, iid, "retrieve_customer", customer_id="cus_any")

    assert response.status_code == 409
    assert error(response)["code"] == "RATE_LIMIT_EXCEEDED"


async def test_the_connection_test_reads_the_balance(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert tested["connection_test"]["success"] is True
    assert tested["connection_test"]["message"].endswith("Connected to Stripe (livemode: false)")
    assert stripe.mock.calls.count("/v1/balance") == 1


async def test_the_catalog_lists_the_stripe_operations(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    operations = data(await client.get(f"/api/v1/integrations/{iid}/operations"))["operations"]

    assert [o["id"] for o in operations] == [
        "create_customer", "create_invoice", "create_invoice_item", "create_payment_intent",
        "retrieve_customer",
    ]  # fmt: skip
