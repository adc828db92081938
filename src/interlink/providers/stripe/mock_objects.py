"""What the Stripe mock answers with: its objects as the Stripe API shapes them (test mode), and
list envelopes paged by `limit`, `starting_after` and `ending_before`.

Object fields follow Stripe's published description: every field it requires, and the usual
others as Stripe sends them (null, empty or zero where the mock has nothing to say). URLs in
objects are paths (`/v1/invoices/in_.../lines`), which the SDKs put after their own base.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlink.providers.stripe.mock_requests import StripeError, integer_param, no_such
from interlink.testing.toolkit import PageError, id_page

Obj = dict[str, Any]
EMBEDDED_LINES = 10  # an invoice carries its first ten lines; the rest are read from `lines.url`


def base(object_id: str, kind: str, created: int) -> Obj:
    return {"id": object_id, "object": kind, "created": created, "livemode": False}


def customer(fields: Obj, params: Obj, metadata: dict[str, str], prefix: str) -> Obj:
    return fields | {
        "address": address(params.get("address")),
        "balance": 0,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description") or None,
        "discount": None,
        "email": params.get("email") or None,
        "invoice_prefix": prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "metadata": metadata,
        "name": params.get("name") or None,
        "next_invoice_sequence": 1,
        "phone": params.get("phone") or None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def deleted_customer(customer_id: str) -> Obj:
    return {"id": customer_id, "object": "customer", "deleted": True}


def invoice_item(
    fields: Obj, customer_id: str, amount: int, currency: str, params: Obj, metadata: Obj
) -> Obj:
    quantity = integer_param(params, "quantity") or 1
    return fields | {
        "amount": amount,
        "currency": currency,
        "customer": customer_id,
        "date": fields["created"],
        "description": params.get("description") or None,
        "discountable": params.get("discountable", "true") == "true",
        "discounts": [],
        "invoice": None,
        "metadata": metadata,
        "period": {"start": fields["created"], "end": fields["created"]},
        "price": None,
        "proration": False,
        "quantity": quantity,
        "subscription": None,
        "tax_rates": [],
        "test_clock": None,
        "unit_amount": amount // quantity,
        "unit_amount_decimal": str(amount // quantity),
    }


def invoice(fields: Obj, customer: Obj, params: Obj, metadata: Obj, account: str) -> Obj:
    created = fields["created"]
    method = params.get("collection_method", "charge_automatically")
    days = integer_param(params, "days_until_due") if method == "send_invoice" else 0
    return fields | {
        "account_country": "US",
        "account_name": account,
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "application_fee_amount": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": params.get("auto_advance") == "true",
        "automatic_tax": {"enabled": False, "status": None},
        "billing_reason": "manual",
        "charge": None,
        "collection_method": method,
        "currency": str(params.get("currency", "usd")).lower(),
        "custom_fields": None,
        "customer": customer["id"],
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": params.get("description") or None,
        "discount": None,
        "discounts": [],
        "due_date": created + days * 86400 if days else None,
        "ending_balance": None,
        "footer": params.get("footer") or None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": envelope([], f"/v1/invoices/{fields['id']}/lines", has_more=False)
        | {"total_count": 0},
        "metadata": metadata,
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "paid": False,
        "paid_out_of_band": False,
        "payment_intent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": created,
        "period_start": created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "quote": None,
        "receipt_number": None,
        "rendering_options": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": None,
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "tax": None,
        "test_clock": None,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_tax_amounts": [],
        "transfer_data": None,
        "webhooks_delivered_at": None,
    }


def line_item(item: Obj) -> Obj:
    """The invoice line an invoice item becomes."""
    return {
        "id": f"il_{item['id'][3:]}",
        "object": "line_item",
        "amount": item["amount"],
        "amount_excluding_tax": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": [],
        "invoice_item": item["id"],
        "livemode": False,
        "metadata": item["metadata"],
        "period": item["period"],
        "price": None,
        "proration": item["proration"],
        "proration_details": {"credited_items": None},
        "quantity": item["quantity"],
        "subscription": None,
        "tax_amounts": [],
        "tax_rates": [],
        "type": "invoiceitem",
        "unit_amount_excluding_tax": item["unit_amount_decimal"],
    }


def attach(invoice: Obj, lines: list[Obj], item: Obj) -> None:
    """Puts `item` on `invoice` as a line (all its lines are `lines`) and adds it to the
    invoice's amounts."""
    item["invoice"] = invoice["id"]
    lines.append(line_item(item))
    total = sum(line["amount"] for line in lines)
    invoice["lines"] |= {
        "data": lines[:EMBEDDED_LINES],
        "has_more": len(lines) > EMBEDDED_LINES,
        "total_count": len(lines),
    }
    invoice |= {"amount_due": total, "amount_remaining": total, "subtotal": total, "total": total}
    invoice |= {"subtotal_excluding_tax": total, "total_excluding_tax": total}


def payment_intent(fields: Obj, params: Obj, customer_id: str | None, metadata: Obj) -> Obj:
    method = params.get("payment_method") or None
    return fields | {
        "amount": integer_param(params, "amount", required=True),
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic"),
        "client_secret": f"{fields['id']}_secret_mock",
        "confirmation_method": "automatic",
        "currency": str(params["currency"]).lower(),
        "customer": customer_id,
        "description": params.get("description") or None,
        "invoice": None,
        "last_payment_error": None,
        "latest_charge": None,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": method,
        "payment_method_options": {},
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "processing": None,
        "receipt_email": params.get("receipt_email") or None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_confirmation" if method else "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def balance(pending: dict[str, int]) -> Obj:
    return {
        "object": "balance",
        "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
        "pending": [
            {"amount": amount, "currency": currency, "source_types": {"card": amount}}
            for currency, amount in pending.items()
        ],
        "livemode": False,
    }


def envelope(data: list[Obj], url: str, *, has_more: bool) -> Obj:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def listing(objects: Sequence[Obj], url: str, params: Obj, kind: str) -> Obj:
    """A page of `objects` (in the order Stripe lists them) after `starting_after` or before
    `ending_before`, at most `limit` (1 to 100, 10 by default)."""
    limit = integer_param(params, "limit") if params.get("limit") not in (None, "") else 10
    if not 1 <= limit <= 100:
        message = f"Invalid limit: must be between 1 and 100 (got {limit})"
        raise StripeError(400, message, code="parameter_invalid_integer", param="limit")
    after, before = params.get("starting_after"), params.get("ending_before")
    ids = [obj["id"] for obj in objects]
    try:
        page = id_page(objects, ids, limit=limit, starting_after=after, ending_before=before)
    except PageError as error:
        raise no_such(kind, params[error.param], error.param) from None
    return envelope(page.items, url, has_more=page.has_more)


def address(given: Any) -> Obj | None:
    """An address as Stripe gives it back: every field, null where not given."""
    if not isinstance(given, dict) or not given:
        return None
    fields = ("city", "country", "line1", "line2", "postal_code", "state")
    return {name: given.get(name) or None for name in fields}
