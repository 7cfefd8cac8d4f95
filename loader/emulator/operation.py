"""What an endpoint module declares for each GET operation of the API it emulates, and what it answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from loader.emulator.account_state import AccountState
from loader.emulator.query import EndpointSpec, Query
from loader.emulator.ratelimit import Bucket


@dataclass(frozen=True)
class Page:
    """A 200's JSON:API document and the number of resources it counts as (the stats' rows)."""

    body: bytes
    rows: int


@dataclass(frozen=True)
class Operation:
    """One GET operation. `path` may hold `{name}` segments, handed to `serve` unquoted by name. A request
    spends `bucket`, then the bucket of each `additional-fields` value it asks for that has one
    (`additional_buckets`); the RateLimit-* headers describe the last one spent."""

    path: str
    scope: str  # the API key scope it needs, e.g. "events:read"
    spec: EndpointSpec  # the query parameters it accepts; spec.name names it in stats and links
    bucket: Bucket
    serve: Callable[[AccountState, Query, Mapping[str, str]], Page]
    additional_buckets: Mapping[str, Bucket] = field(default_factory=dict)
    method: str = "GET"
    extra_scopes: tuple[str, ...] = ()  # more scopes it needs (list members: lists:read and profiles:read)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Every scope it needs, as the spec's `x-klaviyo-scopes` lists them."""
        return (self.scope, *self.extra_scopes)

    @property
    def name(self) -> str:
        return self.spec.name

    def buckets(self, q: Query) -> list[Bucket]:
        """The buckets a request spends, in order."""
        return [self.bucket, *(b for name, b in self.additional_buckets.items() if name in q.additional)]
