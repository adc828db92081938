"""`stripe`: customers, invoice items, invoices and payment intents on the Stripe API.

Stripe takes `application/x-www-form-urlencoded` bodies with bracket syntax (`metadata[k]=v`,
`payment_method_types[]=card`) and dedupes POSTs by `Idempotency-Key`, so every creating call
sends one and the transport may retry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from multidict import MultiDict
from pydantic import BaseModel, Field, model_validator

from interlink.core.errors import InvalidOperation
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import BodyCursor, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts, with_fields
from interlink.providers.kit.verifiers import WebhookVerifier
from interlink.providers.stripe.verifier import StripeVerifier
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.headers import RateLimitHeaders


def stripe_form(values: Mapping[str, Any], prefix: str = "") -> MultiDict[str]:
    """Flattens nested data to Stripe's bracket syntax: `{"metadata": {"a": 1}}` becomes
    `metadata[a]=1`, lists become `key[]=v`, booleans `true`/`false`; None is left out."""
    form: MultiDict[str] = MultiDict()
    for key, value in values.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        _add(form, name, value)
    return form


def _add(form: MultiDict[str], name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        form.extend(stripe_form(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Mapping | list | tuple):
                raise ValueError("Stripe form lists hold plain values only")
            _add(form, f"{name}[]", item)
    elif isinstance(value, bool):
        form.add(name, "true" if value else "false")
    else:
        form.add(name, str(value))


Metadata = dict[str, str]


class CreateCustomerInput(BaseModel):
    email: str | None = Field(None, description="The customer's email address", max_length=512)
    name: str | None = Field(None, description="The customer's full name", max_length=256)
    description: str | None = Field(None, description="An internal note", max_length=350)
    metadata: Metadata = Field(default_factory=dict, description="Key-value pairs to attach")


class RetrieveCustomerInput(BaseModel):
    customer_id: str = Field(description="The customer id (cus_...)", min_length=1)


class Customer(BaseModel):
    id: str
    email: str | None = None
    name: str | None = None
    description: str | None = None
    metadata: Metadata = Field(default_factory=dict)
    created: int | None = None
    livemode: bool = False
    deleted: bool = False


class CreateInvoiceItemInput(BaseModel):
    customer: str = Field(description="The customer id (cus_...)", min_length=1)
    amount: int = Field(description="Amount in the smallest currency unit (cents)")
    currency: str = Field(description="Three-letter ISO currency code", pattern=r"^[A-Za-z]{3}$")
    description: str | None = None
    invoice: str | None = Field(None, description="Add to this draft invoice (in_...)")
    metadata: Metadata = Field(default_factory=dict)


class InvoiceItem(BaseModel):
    id: str
    customer: str
    amount: int
    currency: str
    description: str | None = None
    invoice: str | None = None
    date: int | None = None
    metadata: Metadata = Field(default_factory=dict)


class CreateInvoiceInput(BaseModel):
    customer: str = Field(description="The customer id (cus_...)", min_length=1)
    auto_advance: bool | None = Field(
        None, description="Let Stripe finalize and collect the invoice automatically"
    )
    collection_method: Literal["charge_automatically", "send_invoice"] = "charge_automatically"
    days_until_due: int | None = Field(
        None, ge=0, description="Days to pay (only with collection_method send_invoice)"
    )
    description: str | None = None
    metadata: Metadata = Field(default_factory=dict)

    @model_validator(mode="after")
    def _due_only_when_sent(self) -> CreateInvoiceInput:
        if self.days_until_due is not None and self.collection_method != "send_invoice":
            raise ValueError("days_until_due is only valid with collection_method 'send_invoice'")
        return self


class Invoice(BaseModel):
    id: str
    customer: str
    status: str | None = None
    collection_method: str | None = None
    auto_advance: bool | None = None
    description: str | None = None
    currency: str | None = None
    amount_due: int = 0
    total: int = 0
    due_date: int | None = None
    hosted_invoice_url: str | None = None
    metadata: Metadata = Field(default_factory=dict)


class CreatePaymentIntentInput(BaseModel):
    amount: int = Field(gt=0, description="Amount in the smallest currency unit (cents)")
    currency: str = Field(description="Three-letter ISO currency code", pattern=r"^[A-Za-z]{3}$")
    customer: str | None = Field(None, description="The customer id (cus_...)")
    payment_method_types: list[str] = Field(
        default_factory=list, description="e.g. ['card']; Stripe's default when empty"
    )
    metadata: Metadata = Field(default_factory=dict)


class PaymentIntent(BaseModel):
    id: str
    amount: int
    currency: str
    status: str
    customer: str | None = None
    client_secret: str | None = None
    payment_method_types: list[str] = Field(default_factory=list)
    metadata: Metadata = Field(default_factory=dict)
    created: int | None = None


class StripeConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "stripe",
        "Stripe",
        "Customers, invoices and payments on Stripe",
        "https://api.stripe.com",
        "api_key",
        required_credentials=with_fields(api_key=(("secret_key", "api_key"),)),
        oauth=OAuthFacts(  # Stripe Connect
            "https://connect.stripe.com/oauth/authorize",
            "https://connect.stripe.com/oauth/token",
            ("read_write",),
        ),
        docs_url="https://docs.stripe.com/api",
    )
    category = "payments"
    webhook_verifier: ClassVar[WebhookVerifier | None] = StripeVerifier()
    # A card decline is a 402 `card_error`: a refusal of this operation, with Stripe's message.
    errors: ClassVar[ErrorTable] = ErrorTable({402: Verdict(Disposition.FAIL, InvalidOperation)})
    rate_headers: ClassVar[RateLimitHeaders | None] = None  # Stripe sends none
    check_path = "/v1/balance"
    pagination: ClassVar[Pagination | None] = BodyCursor(
        items="data", has_more="has_more", item_cursor="id", param="starting_after", size="limit"
    )

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return f"Connected to Stripe (livemode: {str(bool(answer.get('livemode'))).lower()})"

    @staticmethod
    async def _create(
        ctx: ActionContext, name: str, path: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        key = f"{ctx.idempotency_key}:{name}" if ctx.idempotency_key else None
        response = await ctx.http.post(path, form=stripe_form(body), idempotency_key=key)
        result: dict[str, Any] = response.json()
        return result

    @action()
    async def create_customer(self, ctx: ActionContext, params: CreateCustomerInput) -> Customer:
        """Creates a Stripe customer."""
        raw = await self._create(ctx, "create_customer", "/v1/customers", params.model_dump())
        return Customer.model_validate(raw)

    @action()
    async def retrieve_customer(
        self, ctx: ActionContext, params: RetrieveCustomerInput
    ) -> Customer:
        """Retrieves a Stripe customer by id."""
        response = await ctx.http.get(f"/v1/customers/{quote(params.customer_id, safe='')}")
        return Customer.model_validate(response.json())

    @action()
    async def create_invoice_item(
        self, ctx: ActionContext, params: CreateInvoiceItemInput
    ) -> InvoiceItem:
        """Adds an invoice item (a pending charge) to a customer, or to a draft invoice."""
        body = params.model_dump() | {"currency": params.currency.lower()}
        raw = await self._create(ctx, "create_invoice_item", "/v1/invoiceitems", body)
        return InvoiceItem.model_validate(raw)

    @action()
    async def create_invoice(self, ctx: ActionContext, params: CreateInvoiceInput) -> Invoice:
        """Creates a draft invoice for a customer."""
        raw = await self._create(ctx, "create_invoice", "/v1/invoices", params.model_dump())
        return Invoice.model_validate(raw)

    @action()
    async def create_payment_intent(
        self, ctx: ActionContext, params: CreatePaymentIntentInput
    ) -> PaymentIntent:
        """Creates a payment intent for an amount in the smallest currency unit."""
        body = params.model_dump() | {"currency": params.currency.lower()}
        raw = await self._create(ctx, "create_payment_intent", "/v1/payment_intents", body)
        return PaymentIntent.model_validate(raw)
