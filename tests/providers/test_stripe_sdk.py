"""stripe-python, pointed at the Stripe mock, does what our actions do and what a user does next;
every answer it gets in a test fits Stripe's published description (when it is cached)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from interlink.testing import RunningMock, StripeMock, serve_mock_in_thread
from interlink.testing.descriptions import DescriptionMissing, load_description
from tests.providers.conftest import answer_problems


@pytest.fixture
def served() -> Iterator[RunningMock[StripeMock]]:
    """The mock; once the test is done, every answer it gave fits Stripe's description."""
    with serve_mock_in_thread(StripeMock()) as running:
        yield running
    description = load_description("stripe")
    if not isinstance(description, DescriptionMissing):
        gaps = running.mock.description_gaps
        assert answer_problems(description, gaps, running.mock.calls) == []


@pytest.fixture
def client(served: RunningMock[StripeMock]) -> stripe.StripeClient:
    address = {"api": served.url}
    return stripe.StripeClient(served.mock.token, base_addresses=address, max_network_retries=0)


def test_customers_are_created_read_updated_listed_page_by_page_and_deleted(
    client: stripe.StripeClient,
) -> None:
    customers = client.v1.customers
    ada = customers.create({"email": "ada@example.com", "name": "Ada", "metadata": {"plan": "pro"}})
    others = [customers.create({"email": f"user{n}@example.com"}) for n in range(4)]

    updated = customers.update(ada.id, {"name": "Ada Lovelace", "metadata": {"plan": ""}})
    listed = [c.id for c in customers.list({"limit": 2}).auto_paging_iter()]
    by_email = customers.list({"email": "user2@example.com"})
    deleted = customers.delete(others[0].id)

    assert customers.retrieve(ada.id).email == "ada@example.com"
    assert (updated.name, updated.metadata.to_dict()) == ("Ada Lovelace", {})
    assert listed == [c.id for c in reversed([ada, *others])]  # newest first, over 3 pages
    assert [c.id for c in by_email.data] == [others[2].id]
    assert deleted.deleted is True
    assert customers.retrieve(others[0].id).to_dict()["deleted"] is True


def test_an_invoice_with_an_item_on_it(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "billing@example.com"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30}
    )

    item = client.v1.invoice_items.create(
        {"customer": customer.id, "amount": 2500, "currency": "usd", "invoice": invoice.id}
    )
    read = client.v1.invoices.retrieve(invoice.id)
    lines = client.v1.invoices.line_items.list(invoice.id)

    assert (read.status, read.total, read.due_date) == ("draft", 2500, invoice.created + 30 * 86400)
    assert [line.invoice_item for line in lines.data] == [item.id]
    assert client.v1.invoice_items.retrieve(item.id).invoice == invoice.id
    assert [i.id for i in client.v1.invoices.list({"customer": customer.id}).data] == [invoice.id]


def test_a_payment_is_confirmed_into_the_balance_or_declined(client: stripe.StripeClient) -> None:
    intents = client.v1.payment_intents
    intent = intents.create({"amount": 2000, "currency": "eur", "payment_method_types": ["card"]})

    paid = intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    with pytest.raises(stripe.CardError) as declined:
        intents.create(
            {"amount": 900, "currency": "usd", "payment_method": "pm_card_chargeDeclined",
             "confirm": True}
        )  # fmt: skip

    assert intent.status == "requires_payment_method"
    assert (paid.status, paid.amount_received) == ("succeeded", 2000)
    assert intents.retrieve(intent.id).status == "succeeded"
    assert declined.value.code == "card_declined"
    assert declined.value.http_status == 402
    pending = {b.currency: b.amount for b in client.v1.balance.retrieve().pending}
    assert pending["eur"] == 2000
    assert len(intents.list({"limit": 10}).data) == 2


def test_stripes_errors_become_the_sdks_exceptions(
    served: RunningMock[StripeMock], client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_missing")
    wrong = stripe.StripeClient("sk_test_wrong_key", base_addresses={"api": served.url})
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.balance.retrieve()

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert missing.value.request_id is not None
    assert missing.value.request_id.startswith("req_")


def test_an_idempotency_key_replays_the_first_answer(client: stripe.StripeClient) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-42"}

    first = client.v1.customers.create({"email": "once@example.com"}, options)
    again = client.v1.customers.create({"email": "once@example.com"}, options)

    assert again.id == first.id
    assert len(client.v1.customers.list().data) == 1


def test_the_module_level_api_base_works_too(
    served: RunningMock[StripeMock], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe, "api_base", served.url)
    monkeypatch.setattr(stripe, "api_key", served.mock.token)

    created = stripe.Customer.create(email="global@example.com")

    assert stripe.Customer.retrieve(created.id).email == "global@example.com"
    assert stripe.Balance.retrieve().livemode is False
