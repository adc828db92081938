"""Incoming provider webhooks: `POST /api/v1/hooks/{integration_id}`, verified by the
connector's verifier, stored, and published as `provider.<type>.<event>` events."""
