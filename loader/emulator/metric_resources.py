"""Metric resources as the API serves them."""

from __future__ import annotations

from typing import Any

from loader.emulator import catalog
from loader.emulator.dataset import Metric
from loader.emulator.resources import iso, sparse

METRIC_FIELDS = ("created", "id", "integration", "name", "updated")  # fields[metric]


def render_metric(metric: Metric, base: str, fields: list[str] | None = None) -> dict[str, Any]:
    attributes = {
        "name": metric.name,
        "created": iso(metric.created_us),
        "updated": iso(metric.updated_us),
        "integration": dict(catalog.INTEGRATIONS[metric.integration]),
    }
    return {
        "type": "metric",
        "id": metric.id,
        "attributes": sparse(attributes, fields),
        "relationships": {
            "flow-triggers": {
                "links": {
                    "self": f"{base}/api/metrics/{metric.id}/relationships/flow-triggers/",
                    "related": f"{base}/api/metrics/{metric.id}/flow-triggers/",
                }
            }
        },
        "links": {"self": f"{base}/api/metrics/{metric.id}/"},
    }
