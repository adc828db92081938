"""Idempotency-Key records: a POST's key claimed before its work and completed with its sealed
response after, so the same request sent again replays that response (`api/idempotency.py`
applies it to the routes)."""
