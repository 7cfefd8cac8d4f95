"""The routing table: every endpoint family's routes, in one place. A new family (say `/api/campaigns`)
is one module in `endpoints/` with its `ROUTES` and one line here.

The tables by operation name (`SCOPES`, `SPECS`) and by rate-limit bucket (`BUCKETS`, `LIMITS`: (burst
per second, steady per minute)) are derived from it.
"""

from __future__ import annotations

from urllib.parse import unquote

from loader.emulator.endpoints import (
    accounts,
    campaign_messages,
    campaigns,
    control,
    events,
    flow_actions,
    flow_messages,
    flows,
    lists,
    metrics,
    profiles,
    segments,
)
from loader.emulator.endpoints.control import ControlRoute
from loader.emulator.operation import Operation
from loader.emulator.query import EndpointSpec
from loader.emulator.ratelimit import Bucket

Route = Operation | ControlRoute

ROUTES: tuple[Route, ...] = (
    *accounts.ROUTES,
    *metrics.ROUTES,
    *profiles.ROUTES,
    *events.ROUTES,
    *campaigns.ROUTES,
    *campaign_messages.ROUTES,
    *flows.ROUTES,
    *flow_actions.ROUTES,
    *flow_messages.ROUTES,
    *lists.ROUTES,
    *segments.ROUTES,
    *control.ROUTES,
)

OPERATIONS: tuple[Operation, ...] = tuple(r for r in ROUTES if isinstance(r, Operation))
SCOPES: dict[str, str] = {op.name: op.scope for op in OPERATIONS}  # operation -> the (first) scope it needs
SPECS: dict[str, EndpointSpec] = {op.name: op.spec for op in OPERATIONS}
# every rate-limit bucket by its name (an operation's own has the operation's name)
BUCKETS: dict[str, Bucket] = {b.name: b for op in OPERATIONS
                               for b in (op.bucket, *op.additional_buckets.values())}
LIMITS: dict[str, tuple[int, int]] = {name: (b.burst, b.steady) for name, b in BUCKETS.items()}


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


_PATTERNS = [(route, _segments(route.path)) for route in ROUTES]


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route of a request (a trailing slash is ignored) and its `{name}` path segments, unquoted."""
    segments = _segments(path.rstrip("/"))
    for route, pattern in _PATTERNS:
        if route.method != method or len(pattern) != len(segments):
            continue
        params: dict[str, str] = {}
        for want, got in zip(pattern, segments, strict=True):
            if want.startswith("{") and want.endswith("}") and got:
                params[want[1:-1]] = unquote(got)
            elif want != got:
                break
        else:
            return route, params
    return None
