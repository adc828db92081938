"""Outbound HTTP: pooled clients, authentication, rate limits, retries, breakers, the SSRF guard."""
