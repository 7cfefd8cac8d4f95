"""The account's metrics, fetched once per run, and which of them the events sync reads.

Selective sync names metrics by name (case-insensitive; every metric of that name) or by id; an
unknown one is an error listing close names. Excluded integrations match the metric's
`integration.name` case-insensitively and only ever drop events, never profiles.
"""

from __future__ import annotations

import difflib
import logging
import threading
from collections.abc import Sequence
from typing import Any

from loader.errors import SyncError
from loader.source.client import KlaviyoClient
from loader.source.settings import METRICS_PATH

logger = logging.getLogger(__name__)


class MetricCatalog:
    """Lazily fetched list of metric resources, shared by the `metrics` and `events` resources."""

    def __init__(self, client: KlaviyoClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._items: list[dict[str, Any]] | None = None

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._items is None:
                items: list[dict[str, Any]] = []
                for page in self._client.pages(METRICS_PATH, {}):
                    items.extend(page.data)
                self._items = items
            return self._items

    def select(self, metrics: Sequence[str], exclude_integrations: Sequence[str]) -> list[str] | None:
        """Metric ids whose events to read, or None for "all metrics" (no filter needed)."""
        if not metrics and not exclude_integrations:
            return None
        items = self.items()
        chosen = _resolve(items, metrics) if metrics else [item["id"] for item in items]
        excluded = {name.strip().lower() for name in exclude_integrations if name.strip()}
        if excluded:
            known = {integration_name(item).lower() for item in items}
            for name in sorted(excluded - known):
                logger.warning("no metric belongs to excluded integration %r", name)
            by_id = {item["id"]: item for item in items}
            chosen = [mid for mid in chosen if integration_name(by_id[mid]).lower() not in excluded]
        return chosen


def integration_name(item: dict[str, Any]) -> str:
    integration = item["attributes"].get("integration")
    if isinstance(integration, dict):
        return str(integration.get("name") or "")
    return ""


def _resolve(items: list[dict[str, Any]], wanted: Sequence[str]) -> list[str]:
    by_name: dict[str, list[str]] = {}
    for item in items:
        by_name.setdefault(str(item["attributes"].get("name") or "").lower(), []).append(item["id"])
    ids = {item["id"] for item in items}
    chosen: list[str] = []
    for token in (w.strip() for w in wanted):
        if not token:
            continue
        matches = [token] if token in ids else by_name.get(token.lower(), [])
        if not matches:
            names = sorted({str(item["attributes"].get("name")) for item in items})
            close = difflib.get_close_matches(token, names, n=5, cutoff=0.5)
            hint = f"close names: {', '.join(close)}" if close else f"known metrics: {', '.join(names[:20])}"
            raise SyncError(
                f"unknown metric {token!r}",
                "--metrics / [sources.klaviyo] metrics",
                f"use a metric name or id from this account ({hint})",
                code="unknown_metric",
            )
        chosen.extend(m for m in matches if m not in chosen)
    return chosen
