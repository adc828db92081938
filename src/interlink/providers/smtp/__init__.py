"""`smtp`: Email through an SMTP server.

In this folder: its facts and actions (`provider`), its webhook verifier if it sends webhooks
(`verifier`), its mock upstream (`mock`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.smtp.provider import SmtpConnector

PROVIDER = SmtpConnector

__all__ = ["PROVIDER", "SmtpConnector"]
