"""A mock of the Stripe API: customers, invoice items, invoices, payment intents, balance."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.stripe.mock_requests import (
    StripeError,
    api_key,
    auth_error,
    error_response,
    integer_param,
    metadata_param,
    no_such,
    read_params,
    require,
)
from interlink.testing.base import MockUpstream, json_response
from interlink.testing.faults import retry_after_header

Obj = dict[str, Any]
Action = Callable[[web.Request, Obj], Obj]

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
_INTENT_PARAMS = {"amount", "currency", "customer", "description", "metadata", "confirm"} | {
    "payment_method",
    "payment_method_types",
    "capture_method",
    "receipt_email",
    "automatic_payment_methods",
    "expand",
    "return_url",
    "off_session",
}
_DECLINES = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
}


@dataclass(frozen=True)
class _Saved:
    fingerprint: tuple[str, str]
    status: int
    body: bytes


class StripeMock(MockUpstream):
    """The Stripe API (test mode) with its form encoding, errors and idempotency keys.

    Accepts `Authorization: Bearer sk_test_...` or basic auth with the key as user name.
    Bodies are `application/x-www-form-urlencoded` with bracket syntax; unknown parameters are
    refused as Stripe does. POSTs honour `Idempotency-Key`: the same key and parameters replay
    the first answer with `Idempotent-Replayed: true`; other parameters get a 400
    `idempotency_error`; answers to requests refused before running (400/401/404) are not kept.
    Payment method `pm_card_visa` succeeds, `pm_card_chargeDeclined` and
    `pm_card_chargeDeclinedInsufficientFunds` are declined (402 `card_error`); succeeded
    payments add to the pending balance.
    """

    name: ClassVar[str] = "stripe"
    default_token: ClassVar[str] = "sk_test_mock_key"  # noqa: S105

    def __init__(self, *, token: str | None = None, clock: Clock | None = None) -> None:
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        self.customers: dict[str, Obj] = {}
        self.invoice_items: dict[str, Obj] = {}
        self.invoices: dict[str, Obj] = {}
        self.payment_intents: dict[str, Obj] = {}
        self.idempotency: dict[str, _Saved] = {}
        self._counter = 0

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/customers", self._endpoint(self.create_customer, _CUSTOMER_PARAMS))
        router.add_get("/v1/customers/{id}", self._endpoint(self.get_customer, {"expand"}))
        router.add_post("/v1/invoiceitems", self._endpoint(self.create_invoice_item, _ITEM_PARAMS))
        router.add_post("/v1/invoices", self._endpoint(self.create_invoice, _INVOICE_PARAMS))
        router.add_post("/v1/payment_intents", self._endpoint(self.create_intent, _INTENT_PARAMS))
        router.add_get("/v1/balance", self._endpoint(self.get_balance, {"expand"}))

    # authentication, idempotency, errors

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._counter += 1
        request_id = f"req_mock{self._counter:010d}"
        key = api_key(request.headers.get("Authorization", ""))
        if key != self.token:
            response = auth_error(key)
        elif request.method == "POST" and "Idempotency-Key" in request.headers:
            response = await self._idempotent(request, handler, request.headers["Idempotency-Key"])
        else:
            response = await handler(request)
        response.headers["Request-Id"] = request_id
        return response

    async def _idempotent(
        self, request: web.Request, handler: Handler, key: str
    ) -> web.StreamResponse:
        fingerprint = (request.path, json.dumps(await read_params(request), sort_keys=True))
        saved = self.idempotency.get(key)
        if saved is not None and saved.fingerprint != fingerprint:
            message = (
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request."
            )
            return error_response(StripeError(400, message, kind="idempotency_error"))
        headers = {"Idempotency-Key": key}
        if saved is not None:
            headers["Idempotent-Replayed"] = "true"
            return web.Response(
                status=saved.status,
                body=saved.body,
                content_type="application/json",
                headers=headers,
            )
        response = await handler(request)
        body = response.body if isinstance(response, web.Response) else None
        if isinstance(body, bytes) and (response.status < 400 or response.status == 402):
            self.idempotency[key] = _Saved(fingerprint, response.status, body)
        response.headers.update(headers)
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

    # actions

    def create_customer(self, request: web.Request, params: Obj) -> Obj:
        customer = self._new("cus", "customer") | {
            "email": params.get("email") or None,
            "name": params.get("name") or None,
            "description": params.get("description") or None,
            "phone": params.get("phone") or None,
            "metadata": metadata_param(params),
            "address": None,
            "balance": 0,
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "discount": None,
            "invoice_prefix": f"MOCK{self._counter:04d}",
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
            },
            "next_invoice_sequence": 1,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self.customers[customer["id"]] = customer
        return customer

    def get_customer(self, request: web.Request, params: Obj) -> Obj:
        customer_id = request.match_info["id"]
        if customer_id not in self.customers:
            raise no_such("customer", customer_id, "id")
        return self.customers[customer_id]

    def create_invoice_item(self, request: web.Request, params: Obj) -> Obj:
        customer = self._customer(require(params, "customer"))
        amount = integer_param(params, "amount", required=True)
        currency = str(require(params, "currency")).lower()
        invoice = None
        if params.get("invoice"):
            invoice = self.invoices.get(params["invoice"])
            if invoice is None:
                raise no_such("invoice", params["invoice"], "invoice")
        now = self._epoch()
        item = self._new("ii", "invoiceitem") | {
            "amount": amount,
            "currency": currency,
            "customer": customer["id"],
            "date": now,
            "description": params.get("description") or None,
            "discountable": params.get("discountable", "true") == "true",
            "invoice": None,
            "metadata": metadata_param(params),
            "period": {"start": now, "end": now},
            "proration": False,
            "quantity": integer_param(params, "quantity") or 1,
            "unit_amount": amount,
        }
        self.invoice_items[item["id"]] = item
        if invoice is not None:
            _attach(invoice, item)
        return item

    def create_invoice(self, request: web.Request, params: Obj) -> Obj:
        customer = self._customer(require(params, "customer"))
        behavior = params.get("pending_invoice_items_behavior", "exclude")
        if behavior not in ("include", "exclude"):
            raise StripeError(
                400,
                f"Invalid pending_invoice_items_behavior: {behavior}",
                param="pending_invoice_items_behavior",
            )
        invoice = self._new("in", "invoice") | {
            "customer": customer["id"],
            "customer_email": customer["email"],
            "customer_name": customer["name"],
            "currency": str(params.get("currency", "usd")).lower(),
            "description": params.get("description") or None,
            "metadata": metadata_param(params),
            "status": "draft",
            "collection_method": params.get("collection_method", "charge_automatically"),
            "auto_advance": params.get("auto_advance") == "true",
            "billing_reason": "manual",
            "account_name": "Interlink Mock",
            "number": None,
            "paid": False,
            "attempted": False,
            "attempt_count": 0,
            "due_date": None,
            "hosted_invoice_url": None,
            "amount_due": 0,
            "amount_paid": 0,
            "amount_remaining": 0,
            "subtotal": 0,
            "total": 0,
        }
        invoice["lines"] = {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/invoices/{invoice['id']}/lines",
        }
        self.invoices[invoice["id"]] = invoice
        if behavior == "include":
            for item in self.invoice_items.values():
                if item["customer"] == customer["id"] and item["invoice"] is None:
                    _attach(invoice, item)
        return invoice

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
        method = params.get("payment_method") or None
        intent = self._new("pi", "payment_intent") | {
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": currency,
            "customer": customer,
            "description": params.get("description") or None,
            "metadata": metadata_param(params),
            "payment_method": method,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "capture_method": params.get("capture_method", "automatic"),
            "confirmation_method": "automatic",
            "latest_charge": None,
            "last_payment_error": None,
            "status": "requires_confirmation" if method else "requires_payment_method",
        }
        intent["client_secret"] = f"{intent['id']}_secret_mock"
        self.payment_intents[intent["id"]] = intent
        if params.get("confirm") == "true":
            self._confirm(intent)
        return intent

    def get_balance(self, request: web.Request, params: Obj) -> Obj:
        pending: dict[str, int] = {"usd": 0}
        for intent in self.payment_intents.values():
            if intent["status"] == "succeeded":
                pending[intent["currency"]] = pending.get(intent["currency"], 0) + intent["amount"]
        return {
            "object": "balance",
            "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
            "pending": [
                {"amount": amount, "currency": cur, "source_types": {"card": amount}}
                for cur, amount in pending.items()
            ],
            "livemode": False,
        }

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

    def _customer(self, customer_id: Any) -> Obj:
        customer = self.customers.get(str(customer_id))
        if customer is None:
            raise no_such("customer", customer_id, "customer")
        return customer

    def _new(self, prefix: str, kind: str) -> Obj:
        self._counter += 1
        return {
            "id": f"{prefix}_Mock{self._counter:010d}",
            "object": kind,
            "created": self._epoch(),
            "livemode": False,
        }

    def _epoch(self) -> int:
        return int(self.now().timestamp())


def _attach(invoice: Obj, item: Obj) -> None:
    item["invoice"] = invoice["id"]
    line = {
        "id": f"il_{item['id'][3:]}",
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "invoice_item": item["id"],
        "quantity": item["quantity"],
        "type": "invoiceitem",
        "livemode": False,
        "metadata": item["metadata"],
        "period": item["period"],
    }
    invoice["lines"]["data"].append(line)
    invoice["lines"]["total_count"] += 1
    total = sum(entry["amount"] for entry in invoice["lines"]["data"])
    invoice |= {"amount_due": total, "amount_remaining": total, "subtotal": total, "total": total}


MOCK = StripeMock
