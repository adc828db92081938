"""Outgoing webhooks: endpoints, the delivery outbox, the dispatcher and the delivery log."""
