"""`salesforce`: SOQL queries, records and object descriptions on the Salesforce REST API.

In this folder: its facts and actions (`provider`), its mock upstream (`mock`, with its SOQL in
`mock_soql` and its records in `mock_shapes`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.salesforce.provider import SalesforceConnector

PROVIDER = SalesforceConnector

__all__ = ["PROVIDER", "SalesforceConnector"]
