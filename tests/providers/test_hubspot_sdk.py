"""HubSpot's official SDK (hubspot-api-client, generated from HubSpot's OpenAPI specs), pointed at
the HubSpot mock with `Client.create(access_token=..., host=...)` (`host` lands on each API's
`Configuration.host`), does what our actions do and parses every answer into its models: create,
read, update, page and search contacts, create a company and a deal, associate them (v4), refresh
a token and read its scopes. Its signature helper signs a webhook our verifier accepts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hubspot import Client
from hubspot.crm.contacts import (
    ApiException,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.utils.signature import Signature

from interlink.providers.hubspot.mock import HubSpotMock
from interlink.providers.hubspot.verifier import HubSpotVerifier
from interlink.providers.kit.verifiers import IncomingRequest
from interlink.testing import RunningMock
from interlink.testing.server import serve_mock_in_thread


@pytest.fixture(scope="module")
def served() -> Iterator[RunningMock[HubSpotMock]]:
    with serve_mock_in_thread(HubSpotMock(contacts=30, rate_limit=None)) as running:
        yield running


@pytest.fixture
def hubspot(served: RunningMock[HubSpotMock]) -> Client:
    served.mock.reset()
    return Client.create(access_token=served.mock.token, host=served.url)


def test_contacts_are_created_read_updated_paged_and_searched(hubspot: Client) -> None:
    contacts = hubspot.crm.contacts
    created = contacts.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"}
        )
    )
    by_email = contacts.basic_api.get_by_id("ada@example.com", id_property="email")
    contacts.basic_api.update(created.id, SimplePublicObjectInput(properties={"city": "London"}))
    again = contacts.basic_api.get_by_id(created.id, properties=["city", "email"])
    first = contacts.basic_api.get_page(limit=20)
    rest = contacts.basic_api.get_page(limit=20, after=first.paging.next.after)
    equal = Filter(property_name="email", operator="EQ", value="contact7@example.com")
    found = contacts.search_api.do_search(
        PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=[equal])], limit=5)
    )

    assert by_email.id == created.id
    assert by_email.created_at.tzinfo is not None  # HubSpot's times parse as datetimes
    assert again.properties["city"] == "London"
    assert [r.id for r in first.results + rest.results] == [str(n) for n in range(1, 31)] + [
        created.id
    ]
    assert rest.paging is None
    assert (found.total, [r.properties["email"] for r in found.results]) == (
        1, ["contact7@example.com"]
    )  # fmt: skip


def test_a_company_and_a_deal_are_created_and_associated(hubspot: Client) -> None:
    from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
    from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealInput

    company = hubspot.crm.companies.basic_api.create(CompanyInput(properties={"name": "Initech"}))
    deal = hubspot.crm.deals.basic_api.create(DealInput(properties={"dealname": "Pilot"}))
    made = hubspot.crm.associations.v4.basic_api.create_default("deals", deal.id, "companies",
                                                                company.id)  # fmt: skip

    assert made.status == "COMPLETE"
    pairs = {(a._from.id, a.to.id, a.association_spec.association_type_id) for a in made.results}
    assert pairs == {(deal.id, company.id, 341), (company.id, deal.id, 342)}


def test_errors_come_back_in_hubspots_shape(hubspot: Client) -> None:
    with pytest.raises(ApiException) as missing:
        hubspot.crm.contacts.basic_api.get_by_id("999999")
    with pytest.raises(ApiException) as taken:
        hubspot.crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": "contact1@example.com"})
        )

    assert missing.value.status == 404
    assert '"category": "OBJECT_NOT_FOUND"' in missing.value.body
    assert taken.value.status == 409
    assert "Contact already exists. Existing ID: 1" in taken.value.body


def test_a_token_is_refreshed_and_its_scopes_read(
    served: RunningMock[HubSpotMock], hubspot: Client
) -> None:
    mock = served.mock
    tokens = hubspot.oauth.tokens_api.create(
        grant_type="refresh_token", client_id=mock.client_id, client_secret=mock.client_secret,
        refresh_token=mock.refresh_token,
    )  # fmt: skip
    info = hubspot.oauth.access_tokens_api.get(tokens.access_token)
    fresh = Client.create(access_token=tokens.access_token, host=served.url)

    assert (tokens.token_type, tokens.expires_in) == ("bearer", 1800)
    assert "crm.objects.contacts.write" in info.scopes
    assert fresh.crm.contacts.basic_api.get_by_id("3").properties["email"] == (
        "contact3@example.com"
    )


def test_a_webhook_signed_by_the_sdks_helper_is_verified() -> None:
    url, secret, body = "https://hooks.example.com/hubspot?id=1", "app-secret", b'[{"eventId":1}]'
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    stamp = str(int(now.timestamp() * 1000))
    signature = Signature.get_signature(secret, body.decode(), "v3", url, "POST", stamp)
    headers = {"x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": stamp}

    verified = HubSpotVerifier().verify(
        IncomingRequest(body, headers, {"webhook": {"url": url}}, {"client_secret": secret}, now)
    )

    assert verified.payload == [{"eventId": 1}]
