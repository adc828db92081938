"""`google_workspace`: Gmail, Calendar, Drive and Sheets on Google's REST APIs.

In this folder: its facts and actions (`provider`), its inputs and outputs (`models`), where each
Google API lives (`apis`), what Google's errors mean (`answers`), its mock upstream (`mock`,
`mock_*`) and its recorded fixtures (`fixtures/`).
"""

from __future__ import annotations

from interlink.providers.google_workspace.provider import GoogleWorkspaceConnector

PROVIDER = GoogleWorkspaceConnector

__all__ = ["PROVIDER", "GoogleWorkspaceConnector"]
