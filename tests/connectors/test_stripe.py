"""What is Stripe's own in the stripe provider (the contract suite and the recorded fixtures cover
the rest): its bracket form, an idempotency key per create, a decline, the check."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.providers.stripe.provider import StripeConnector, stripe_form
from interlink.testing import Fault, RunningMock, StripeMock, serve_mock
from interlink.transport.classify import Disposition
from tests.conftest import data
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

KEY = "sk_test_mock_key"


@pytest.fixture
async def stripe() -> AsyncIterator[RunningMock[StripeMock]]:
    async with serve_mock(StripeMock()) as running:
        yield running


async def _integration(client: httpx.AsyncClient, stripe: RunningMock[StripeMock]) -> str:
    configuration = {"api_url": stripe.api_url, "auth_method": "api_key"}
    body = {"name": "Stripe", "type": "stripe", "configuration": configuration}
    return await create_active(client, body | {"credentials": {"secret_key": KEY}})


def test_the_form_helper_uses_stripes_bracket_syntax() -> None:
    form = stripe_form(
        {"amount": 500, "metadata": {"order": "42"}, "types": ["card", "link"], "on": True,
         "off": False, "nothing": None, "nested": {"a": {"b": 1}}}
    )  # fmt: skip

    assert list(form.items()) == [
        ("amount", "500"), ("metadata[order]", "42"), ("types[]", "card"), ("types[]", "link"),
        ("on", "true"), ("off", "false"), ("nested[a][b]", "1"),
    ]  # fmt: skip


def test_a_card_decline_is_a_refusal_not_a_retry() -> None:
    verdict = StripeConnector.errors.verdict(402)

    assert verdict.disposition is Disposition.FAIL
    assert verdict.error is not None
    assert verdict.error.code == "INVALID_OPERATION"


async def test_days_until_due_needs_send_invoice(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    response = await _run(client, iid, "create_invoice", customer="cus_x", days_until_due=30)

    assert response.status_code == 422
    assert stripe.mock.calls.count("/v1/invoices") == 0


async def test_each_create_has_its_own_idempotency_key_kept_across_a_retry(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)
    stripe.mock.faults.add(Fault.error(500), times=1, path_prefix="/v1/customers")

    first = data(await _run(client, iid, "create_customer", name="one"))
    data(await _run(client, iid, "create_customer", name="two"))

    keys = [c.headers["Idempotency-Key"] for c in stripe.mock.calls.filter("POST", "/v1/customers")]
    assert keys[0] == keys[1] != keys[2]  # the 500 retried with its key; the next create anew
    assert all(key.endswith(":create_customer") for key in keys)
    assert first["result"]["id"] in stripe.mock.customers
    assert len(stripe.mock.customers) == 2


async def test_the_connection_test_reads_the_balance(
    client: httpx.AsyncClient, stripe: RunningMock[StripeMock]
) -> None:
    iid = await _integration(client, stripe)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]

    assert tested["success"] is True
    assert tested["message"].endswith("Connected to Stripe (livemode: false)")
    assert stripe.mock.calls.count("/v1/balance") == 1
