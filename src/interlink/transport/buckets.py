"""Rate limits kept per route bucket, as Discord keeps them.

Discord counts calls per *bucket*: one route (or several similar routes, and sometimes one route
with another method) shares one bucket, named in each answer's `X-RateLimit-Bucket` header, and
a bucket is counted apart for each top-level resource in the path (a channel, a guild, a
webhook). Over all of them sits one global limit per bot: a 429 that says `X-RateLimit-Global:
true` (or `"global": true` in its body, or `X-RateLimit-Scope: global`) is about every route.

So a request's `Route` is its method and path with ids templated (`POST
/api/v10/channels/{major}/messages`) plus a digest of its top-level resource; the budget learns
which bucket each template belongs to, and a spent bucket pauses only the calls that map to it
for the same resource. A global 429, or a spent answer without a bucket, pauses the whole
integration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from interlink.transport.response import ProviderResponse

_MAX_BUCKET = 100  # a provider's bucket name, cut to this length before it names a key


@dataclass(frozen=True)
class Route:
    """`template` names the endpoint (ids replaced); `major` digests its top-level resource, so a
    webhook token in the path never names a key."""

    template: str
    major: str


def _default_majors() -> Mapping[str, int]:
    return {"channels": 1, "guilds": 1, "webhooks": 2}


@dataclass(frozen=True)
class RouteBuckets:
    """How a provider names its buckets. `major_resources`: the path words whose following
    segments (this many: a webhook is its id and its token) are the top-level resource."""

    major_resources: Mapping[str, int] = field(default_factory=_default_majors)
    bucket_header: str = "x-ratelimit-bucket"
    global_header: str = "x-ratelimit-global"
    scope_header: str = "x-ratelimit-scope"

    def route(self, method: str, path: str) -> Route:
        segments = [s for s in path.split("/") if s]
        template: list[str] = []
        major: list[str] = []
        index = 0
        while index < len(segments):
            segment = segments[index]
            template.append("{id}" if segment.isdigit() else segment)
            index += 1
            taken = segments[index : index + self.major_resources.get(segment, 0)]
            if taken:
                major += [segment, *taken]
                template.append("{major}")
                index += len(taken)
        digest = hashlib.blake2b("/".join(major).encode(), digest_size=8).hexdigest()
        return Route(f"{method.upper()} /{'/'.join(template)}", digest)

    def bucket(self, headers: Mapping[str, str]) -> str | None:
        name = (headers.get(self.bucket_header) or "").strip()
        return name[:_MAX_BUCKET] or None

    def is_global(self, response: ProviderResponse) -> bool:
        """A 429 about every route of the integration, not one bucket."""
        headers = response.headers
        if headers.get(self.global_header, "").lower() == "true":
            return True
        if headers.get(self.scope_header, "").lower() == "global":
            return True
        try:
            document = json.loads(response.body)
        except (ValueError, UnicodeDecodeError):
            return False
        return isinstance(document, dict) and document.get("global") is True
