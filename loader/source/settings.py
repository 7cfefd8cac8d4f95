"""Constants of the Klaviyo API we read (revision 2026-07-15) and the loader's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DEFAULT_BASE_URL = "https://a.klaviyo.com"
REVISION = "2026-07-15"
MEDIA_TYPE = "application/vnd.api+json"

METRICS_PATH = "/api/metrics"
PROFILES_PATH = "/api/profiles"
EVENTS_PATH = "/api/events"
ACCOUNTS_PATH = "/api/accounts"
CAMPAIGNS_PATH = "/api/campaigns"
CAMPAIGN_MESSAGES_PATH = "/api/campaigns/{id}/campaign-messages"
FLOWS_PATH = "/api/flows"
FLOW_ACTIONS_PATH = "/api/flows/{id}/flow-actions"
FLOW_MESSAGES_PATH = "/api/flow-actions/{id}/flow-messages"
LISTS_PATH = "/api/lists"
SEGMENTS_PATH = "/api/segments"
LIST_MEMBERS_PATH = "/api/lists/{id}/profiles"
SEGMENT_MEMBERS_PATH = "/api/segments/{id}/profiles"

# page[size] maxima (metrics has no page[size] parameter; it serves up to 200 per page)
EVENTS_PAGE_SIZE = 1000
PROFILES_PAGE_SIZE = 100
CAMPAIGNS_PAGE_SIZE = 100
FLOWS_PAGE_SIZE = 50  # also flow-actions and flow-messages
GROUPS_PAGE_SIZE = 10  # lists and segments
MEMBERS_PAGE_SIZE = 100  # their members
CAMPAIGN_CHANNELS = ("email", "sms", "mobile_push")  # GET /api/campaigns requires one of them


@dataclass(frozen=True)
class Budget:
    """A per-endpoint rate limit: `burst` requests per second and `steady` requests per minute."""

    burst: int
    steady: int


# x-klaviyo-ratelimit of each operation in the OpenAPI definitions (the extracts in tests/emulator/openapi/)
RATE_LIMITS: dict[str, Budget] = {
    METRICS_PATH: Budget(burst=10, steady=150),
    PROFILES_PATH: Budget(burst=75, steady=750),
    EVENTS_PATH: Budget(burst=350, steady=3500),
    ACCOUNTS_PATH: Budget(burst=1, steady=15),
    # each operation has its own bucket (endpoint-summary.json lists a limit per operation)
    CAMPAIGNS_PATH: Budget(burst=10, steady=150),
    CAMPAIGN_MESSAGES_PATH: Budget(burst=10, steady=150),
    FLOWS_PATH: Budget(burst=3, steady=60),
    FLOW_ACTIONS_PATH: Budget(burst=3, steady=60),
    FLOW_MESSAGES_PATH: Budget(burst=3, steady=60),
    LISTS_PATH: Budget(burst=75, steady=750),
    SEGMENTS_PATH: Budget(burst=75, steady=750),
    LIST_MEMBERS_PATH: Budget(burst=75, steady=750),
    SEGMENT_MEMBERS_PATH: Budget(burst=75, steady=750),
}
# additional-fields[profile]=predictive_analytics has its own, much lower limit
PREDICTIVE_BUDGET = Budget(burst=10, steady=150)
PREDICTIVE_BUDGET_KEY = PROFILES_PATH + "#predictive_analytics"

SCOPES: dict[str, str] = {
    METRICS_PATH: "metrics:read",
    PROFILES_PATH: "profiles:read",
    EVENTS_PATH: "events:read",
    ACCOUNTS_PATH: "accounts:read",
    CAMPAIGNS_PATH: "campaigns:read",
    CAMPAIGN_MESSAGES_PATH: "campaigns:read",
    FLOWS_PATH: "flows:read",
    FLOW_ACTIONS_PATH: "flows:read",
    FLOW_MESSAGES_PATH: "flows:read",
    LISTS_PATH: "lists:read",
    SEGMENTS_PATH: "segments:read",
    LIST_MEMBERS_PATH: "lists:read",  # and profiles:read
    SEGMENT_MEMBERS_PATH: "segments:read",  # and profiles:read
}
# the paths of the SCOPES keys with an `{id}` segment, matched segment by segment
_TEMPLATES = [key.strip("/").split("/") for key in SCOPES if "{id}" in key]


def endpoint_of(path: str) -> str:
    """The endpoint key (a SCOPES/RATE_LIMITS key) of a request path: `/api/flows/X/flow-actions`
    -> `/api/flows/{id}/flow-actions`; a path without one is returned as is."""
    parts = path.rstrip("/").strip("/").split("/")
    for template in _TEMPLATES:
        same = len(template) == len(parts)
        if same and all(t in ("{id}", p) for t, p in zip(template, parts, strict=False)):
            return "/" + "/".join(template)
    return path.rstrip("/")


# campaigns: campaigns + campaign_messages; flows: flows + flow_actions + flow_messages; events also
# load event_attributions; lists: lists + list_members; segments: segments + segment_members
OBJECTS = ("profiles", "events", "campaigns", "flows", "lists", "segments")
# synced when `objects` is not set (lists and segments are chosen: --objects / [sources.klaviyo] objects)
DEFAULT_OBJECTS = ("profiles", "events", "campaigns", "flows")
# what a reconcile pass lists in full (ids only where the API allows), each on its own cadence
# (`[sources.klaviyo.reconcile]`): members are list_members and segment_members
RECONCILED = ("campaigns", "flows", "lists", "segments", "members", "profiles")
RECONCILE_CADENCES = {"campaigns": "1d", "flows": "1d", "lists": "1d", "segments": "1d", "members": "1d",
                      "profiles": "7d"}
ALWAYS_SYNCED = ("metrics",)  # read for every account on every run: the events models need them
# the key of each resource's cursor in its dlt state (per account id; at the top before accounts)
CURSOR_KEYS = {"metrics": "last_run", "profiles": "cursor", "events": "cursors", "campaigns": "cursor",
               "flows": "cursor", "lists": "cursor", "segments": "cursor"}
HISTORY_WINDOWS: dict[str, timedelta | None] = {
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
    "all": None,
}
DEFAULT_HISTORY = "all"
DEFAULT_LOOKBACK = timedelta(hours=1)

# Parallel extraction: worker threads per resource and how finely a window is cut.
EVENTS_WORKERS = 16
PROFILES_WORKERS = 8  # 750 requests/min = 12.5/s: at 200-500 ms a request, 4 in flight fall short
MARKETING_WORKERS = 2  # campaigns and flows each: their budgets (10/s, 3/s) need no more
SLICES_PER_WORKER = 2  # a start; idle workers then split the busiest slice
MIN_SLICE = timedelta(minutes=1)
# pages buffered between the fetching threads and dlt (bounds memory: ~1 MB per events page)
QUEUE_PAGES = 8

# Retries: 429 waits Retry-After; 5xx, dropped connections and truncated bodies back off
MAX_ATTEMPTS = 8
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0
REQUEST_TIMEOUT_S = (10.0, 120.0)
# fraction of each published budget we plan to use (clock skew, in-flight requests)
BUDGET_SAFETY = 0.98
