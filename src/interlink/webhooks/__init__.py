"""Outgoing webhooks: endpoints, the delivery outbox, the dispatcher and the delivery log.

`verify(body, headers, secret)` checks a delivery in a receiver (standard library only).
"""

from interlink.webhooks.verify import WebhookVerificationError, verify

__all__ = ["WebhookVerificationError", "verify"]
