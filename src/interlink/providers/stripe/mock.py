"""A mock of the Stripe API: customers, invoice items, invoices, payment intents, balance."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.stripe import mock_objects as objects
from interlink.providers.stripe.mock_requests import (
    Saved,
    StripeError,
    auth_error,
    error_response,
    idempotent,
    integer_param,
    metadata_param,
    no_such,
    read_params,
    require,
)
from interlink.testing.base import MockUpstream, json_response
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import TokenGate, authorization, basic

Obj = dict[str, Any]
Action = Callable[[web.Request, Obj], Obj]

_LIST = {"limit", "starting_after", "ending_before", "expand"}
_CUSTOMER_PARAMS = {"email", "name", "description", "phone", "metadata", "address", "expand"}
_ITEM_PARAMS = {"customer", "amount", "currency", "description", "invoice", "metadata"} | {
    "quantity",
    "unit_amount",
    "period",
    "discountable",
    "expand",
}
_INVOICE_PARAMS = {"customer", "auto_advance", "collection_method", "description", "metadata"} | {
    "days_until_due",
    "pending_invoice_items_behavior",
    "currency",
    "expand",
    "footer",
}
_CONFIRM_PARAMS = {"payment_method", "receipt_email", "return_url", "off_session", "expand"}
_INTENT_PARAMS = (
    {"amount", "currency", "customer", "description", "metadata", "confirm"}
    | {
        "payment_method_types",
        "capture_method",
        "automatic_payment_methods",
    }
    | _CONFIRM_PARAMS
)
_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_DECLINES = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
}


class StripeMock(MockUpstream):
    """The Stripe API (test mode) with its form encoding, errors, idempotency keys and lists.

    Accepts `Authorization: Bearer sk_test_...` or basic auth with the key as user name.
    Bodies are `application/x-www-form-urlencoded` with bracket syntax; unknown parameters are
    refused as Stripe does. POSTs honour `Idempotency-Key`: the same key and parameters replay
    the first answer with `Idempotent-Replayed: true`; other parameters get a 400
    `idempotency_error`; answers to requests refused before running (400/401/404) are not kept.
    Customers, invoice items, invoices and payment intents are created, retrieved and listed
    (newest first, paged by `limit` and `starting_after`/`ending_before`, as the SDKs' auto
    pagination reads them); customers are updated and deleted; an invoice's lines are listed.
    `customers` seeds customers, each given as the parameters that create it (ids count up from
    `cus_Mock0000000001`). Payment method `pm_card_visa` succeeds, `pm_card_chargeDeclined` and
    `pm_card_chargeDeclinedInsufficientFunds` are declined (402 `card_error`), on create with
    `confirm=true` or on `/confirm`; succeeded payments add to the pending balance.
    """

    name: ClassVar[str] = "stripe"
    default_token: ClassVar[str] = "sk_test_mock_key"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        customers: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.seed_customers = [dict(customer) for customer in customers]
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        self.customers: dict[str, Obj] = {}  # a deleted one is its stub (`deleted: true`)
        self.invoice_items: dict[str, Obj] = {}
        self.invoices: dict[str, Obj] = {}
        self.lines: dict[str, list[Obj]] = {}  # by invoice: all its lines, oldest first
        self.payment_intents: dict[str, Obj] = {}
        self.idempotency: dict[str, Saved] = {}
        self._counter = 0  # objects made
        self._requests = 0
        for params in self.seed_customers:
            self.add_customer(params)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        routes: list[tuple[str, str, Action, set[str]]] = [
            ("POST", "/v1/customers", self.create_customer, _CUSTOMER_PARAMS),
            ("GET", "/v1/customers", self.list_customers, _LIST | {"email"}),
            ("GET", "/v1/customers/{id}", self.get_customer, {"expand"}),
            ("POST", "/v1/customers/{id}", self.update_customer, _CUSTOMER_PARAMS),
            ("DELETE", "/v1/customers/{id}", self.delete_customer, set()),
            ("POST", "/v1/invoiceitems", self.create_invoice_item, _ITEM_PARAMS),
            ("GET", "/v1/invoiceitems", self.list_invoice_items, _LIST | {"customer", "pending"}),
            ("GET", "/v1/invoiceitems/{id}", self.get_invoice_item, {"expand"}),
            ("POST", "/v1/invoices", self.create_invoice, _INVOICE_PARAMS),
            ("GET", "/v1/invoices", self.list_invoices, _LIST | {"customer", "status"}),
            ("GET", "/v1/invoices/{id}", self.get_invoice, {"expand"}),
            ("GET", "/v1/invoices/{id}/lines", self.list_lines, _LIST),
            ("POST", "/v1/payment_intents", self.create_intent, _INTENT_PARAMS),
            ("GET", "/v1/payment_intents", self.list_intents, _LIST | {"customer"}),
            ("GET", "/v1/payment_intents/{id}", self.get_intent, {"expand", "client_secret"}),
            ("POST", "/v1/payment_intents/{id}/confirm", self.confirm_intent, _CONFIRM_PARAMS),
            ("GET", "/v1/balance", self.get_balance, {"expand"}),
        ]
        for method, path, action, allowed in routes:
            router.add_route(method, path, self._endpoint(action, allowed))

    # authentication, idempotency, errors

    @property
    def tokens(self) -> TokenGate:
        """The secret key, as a Bearer token or as the user name of basic auth."""
        return TokenGate({self.token}, auth_error, (authorization("Bearer"), basic("user")))

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._requests += 1
        request_id = f"req_mock{self._requests:010d}"
        refusal = self.tokens.refusal(request)
        if refusal is not None:
            response = refusal
        elif request.method == "POST" and "Idempotency-Key" in request.headers:
            response = await idempotent(request, handler, self.idempotency)
        else:
            response = await handler(request)
        response.headers["Request-Id"] = request_id
        return response

    def _endpoint(self, action: Action, allowed: set[str]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            params = await read_params(request)
            try:
                for name in params:
                    if name not in allowed:
                        raise StripeError(
                            400,
                            f"Received unknown parameter: {name}",
                            code="parameter_unknown",
                            param=name,
                        )
                result = action(request, params)
            except StripeError as error:
                return error_response(error)
            return json_response(result)

        return handle

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        error = StripeError(
            429,
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
        headers = {"Retry-After": retry_after_header(retry_after), "Stripe-Should-Retry": "true"}
        return error_response(error, headers=headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        error = StripeError(status, "An unknown error occurred", kind="api_error")
        return error_response(error, headers={"Stripe-Should-Retry": "true"})

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/."
        )
        return error_response(StripeError(404, message))

    # customers

    def create_customer(self, request: web.Request, params: Obj) -> Obj:
        return self.add_customer(params)

    def add_customer(self, params: Obj) -> Obj:
        fields = self._new("cus", "customer")
        prefix = f"MOCK{self._counter:04d}"
        customer = objects.customer(fields, params, metadata_param(params), prefix)
        self.customers[customer["id"]] = customer
        return customer

    def get_customer(self, request: web.Request, params: Obj) -> Obj:
        customer_id = request.match_info["id"]
        if customer_id not in self.customers:
            raise no_such("customer", customer_id, "id")
        return self.customers[customer_id]

    def update_customer(self, request: web.Request, params: Obj) -> Obj:
        customer = self._customer(request.match_info["id"], "id")
        for name in ("email", "name", "description", "phone"):
            if name in params:
                customer[name] = params[name] or None
        if "address" in params:
            customer["address"] = objects.address(params["address"])
        if params.get("metadata") == "":
            customer["metadata"] = {}
        elif "metadata" in params:
            merged = customer["metadata"] | {str(k): str(v) for k, v in params["metadata"].items()}
            customer["metadata"] = {key: value for key, value in merged.items() if value != ""}
        return customer

    def delete_customer(self, request: web.Request, params: Obj) -> Obj:
        customer = self._customer(request.match_info["id"], "id")
        self.customers[customer["id"]] = objects.deleted_customer(customer["id"])
        return self.customers[customer["id"]]

    def list_customers(self, request: web.Request, params: Obj) -> Obj:
        found = [c for c in self._newest(self.customers) if not c.get("deleted")]
        if params.get("email"):
            found = [customer for customer in found if customer["email"] == params["email"]]
        return objects.listing(found, "/v1/customers", params, "customer")

    # invoice items and invoices

    def create_invoice_item(self, request: web.Request, params: Obj) -> Obj:
        customer = self._customer(require(params, "customer"))
        amount = integer_param(params, "amount", required=True)
        currency = str(require(params, "currency")).lower()
        invoice = None
        if params.get("invoice"):
            invoice = self.invoices.get(params["invoice"])
            if invoice is None:
                raise no_such("invoice", params["invoice"], "invoice")
        fields = self._new("ii", "invoiceitem")
        metadata = metadata_param(params)
        item = objects.invoice_item(fields, customer["id"], amount, currency, params, metadata)
        self.invoice_items[item["id"]] = item
        if invoice is not None:
            objects.attach(invoice, self.lines[invoice["id"]], item)
        return item

    def get_invoice_item(self, request: web.Request, params: Obj) -> Obj:
        return self._get(self.invoice_items, "invoiceitem", request.match_info["id"])

    def list_invoice_items(self, request: web.Request, params: Obj) -> Obj:
        found = self._newest(self.invoice_items)
        if params.get("customer"):
            found = [item for item in found if item["customer"] == params["customer"]]
        if params.get("pending") in ("true", "false"):
            pending = params["pending"] == "true"
            found = [item for item in found if (item["invoice"] is None) == pending]
        return objects.listing(found, "/v1/invoiceitems", params, "invoiceitem")

    def create_invoice(self, request: web.Request, params: Obj) -> Obj:
        customer = self._customer(require(params, "customer"))
        behavior = params.get("pending_invoice_items_behavior", "exclude")
        if behavior not in ("include", "exclude"):
            raise StripeError(
                400,
                f"Invalid pending_invoice_items_behavior: {behavior}",
                param="pending_invoice_items_behavior",
            )
        fields = self._new("in", "invoice")
        metadata = metadata_param(params)
        invoice = objects.invoice(fields, customer, params, metadata, "Interlink Mock")
        self.invoices[invoice["id"]] = invoice
        self.lines[invoice["id"]] = []
        if behavior == "include":
            for item in self.invoice_items.values():
                if item["customer"] == customer["id"] and item["invoice"] is None:
                    objects.attach(invoice, self.lines[invoice["id"]], item)
        return invoice

    def get_invoice(self, request: web.Request, params: Obj) -> Obj:
        return self._get(self.invoices, "invoice", request.match_info["id"])

    def list_invoices(self, request: web.Request, params: Obj) -> Obj:
        found = self._newest(self.invoices)
        for name in ("customer", "status"):
            if params.get(name):
                found = [invoice for invoice in found if invoice[name] == params[name]]
        return objects.listing(found, "/v1/invoices", params, "invoice")

    def list_lines(self, request: web.Request, params: Obj) -> Obj:
        invoice = self._get(self.invoices, "invoice", request.match_info["id"])
        url = invoice["lines"]["url"]
        return objects.listing(self.lines[invoice["id"]], url, params, "line item")

    # payment intents and the balance

    def create_intent(self, request: web.Request, params: Obj) -> Obj:
        amount = integer_param(params, "amount", required=True)
        currency = str(require(params, "currency")).lower()
        if amount < 50:
            raise StripeError(
                400,
                f"Amount must be at least $0.50 {currency}",
                code="amount_too_small",
                param="amount",
            )
        customer = self._customer(params["customer"])["id"] if params.get("customer") else None
        fields = self._new("pi", "payment_intent")
        intent = objects.payment_intent(fields, params, customer, metadata_param(params))
        self.payment_intents[intent["id"]] = intent
        if params.get("confirm") == "true":
            self._confirm(intent)
        return intent

    def get_intent(self, request: web.Request, params: Obj) -> Obj:
        return self._get(self.payment_intents, "payment_intent", request.match_info["id"])

    def list_intents(self, request: web.Request, params: Obj) -> Obj:
        found = self._newest(self.payment_intents)
        if params.get("customer"):
            found = [intent for intent in found if intent["customer"] == params["customer"]]
        return objects.listing(found, "/v1/payment_intents", params, "payment_intent")

    def confirm_intent(self, request: web.Request, params: Obj) -> Obj:
        intent = self._get(self.payment_intents, "payment_intent", request.match_info["id"])
        if intent["status"] not in _CONFIRMABLE:
            message = (
                "You cannot confirm this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be confirmed: {', '.join(_CONFIRMABLE)}."
            )
            raise StripeError(400, message, code="payment_intent_unexpected_state")
        if params.get("payment_method"):
            intent["payment_method"] = params["payment_method"]
        if params.get("receipt_email"):
            intent["receipt_email"] = params["receipt_email"]
        self._confirm(intent)
        return intent

    def get_balance(self, request: web.Request, params: Obj) -> Obj:
        pending: dict[str, int] = {"usd": 0}
        for intent in self.payment_intents.values():
            if intent["status"] == "succeeded":
                pending[intent["currency"]] = pending.get(intent["currency"], 0) + intent["amount"]
        return objects.balance(pending)

    def _confirm(self, intent: Obj) -> None:
        method = intent["payment_method"]
        if method is None:
            message = "You cannot confirm this PaymentIntent because it's missing a payment method."
            raise StripeError(
                400, message, code="payment_intent_unexpected_state", param="payment_method"
            )
        charge = self._new("ch", "charge")["id"]
        intent["latest_charge"] = charge
        decline = _DECLINES.get(method)
        if decline is None:
            intent |= {"status": "succeeded", "amount_received": intent["amount"]}
            return
        error = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": decline,
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card was declined.",
        }
        intent["last_payment_error"] = error
        intent["status"] = "requires_payment_method"
        detail = {key: value for key, value in error.items() if key not in ("type", "message")}
        raise StripeError(
            402,
            "Your card was declined.",
            kind="card_error",
            charge=charge,
            payment_intent=intent,
            **detail,
        )

    # lookups

    def _customer(self, customer_id: Any, param: str = "customer") -> Obj:
        customer = self.customers.get(str(customer_id))
        if customer is None or customer.get("deleted"):
            raise no_such("customer", customer_id, param)
        return customer

    @staticmethod
    def _get(found: dict[str, Obj], kind: str, object_id: str) -> Obj:
        if object_id not in found:
            raise no_such(kind, object_id, "id")
        return found[object_id]

    @staticmethod
    def _newest(found: dict[str, Obj]) -> list[Obj]:
        """As Stripe lists objects: the newest first."""
        return list(reversed(found.values()))

    def _new(self, prefix: str, kind: str) -> Obj:
        self._counter += 1
        return objects.base(f"{prefix}_Mock{self._counter:010d}", kind, self._epoch())

    def _epoch(self) -> int:
        return int(self.now().timestamp())


MOCK = StripeMock
