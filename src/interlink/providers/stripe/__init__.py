"""`stripe`: Customers, invoices and payments on the Stripe API.

In this folder: its facts and actions (`provider`), its webhook verifier if it sends webhooks
(`verifier`), its mock upstream (`mock`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.stripe.provider import StripeConnector

PROVIDER = StripeConnector

__all__ = ["PROVIDER", "StripeConnector"]
