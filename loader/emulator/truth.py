"""Ground truth for tests: exactly the resources the API would serve now (meant for small datasets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from loader.emulator.dataset import Snapshot
from loader.emulator.event_resources import attribution_texts, render_events
from loader.emulator.filters import to_epoch_us
from loader.emulator.marketing_resources import (
    render_campaign,
    render_campaign_message,
    render_flow,
    render_flow_action,
    render_flow_message,
    strip_links,
)
from loader.emulator.metric_resources import render_metric
from loader.emulator.profile_resources import render_profiles


class Served(Protocol):
    """What the truth is of: an account's current data and the base URL its links name."""

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def base_url(self) -> str: ...


def _us(value: datetime) -> int:
    return to_epoch_us(value.isoformat(), "truth")


class Truth:
    def __init__(self, account: Served) -> None:
        self._account = account

    def metrics(self) -> list[dict[str, Any]]:
        snap = self._account.snapshot
        return [render_metric(m, self._account.base_url) for m in snap.metrics]

    def profiles(self, additional_fields: Sequence[str] = ("subscriptions",)) -> list[dict[str, Any]]:
        """All profiles in id order, with `additional_fields` (default: subscriptions, as the loader asks)."""
        snap = self._account.snapshot
        order = np.argsort(snap.profiles.ids, kind="stable").tolist()
        return render_profiles(snap, order, self._account.base_url, tuple(additional_fields))

    def events(self, since: datetime | None = None, until: datetime | None = None,
               metric_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Events with since <= datetime < until (either open), of the given metrics, by datetime."""
        snap = self._account.snapshot
        ev = snap.events
        mask = np.ones(len(ev), dtype=bool)
        if since is not None:
            mask &= ev.dt_us >= _us(since)
        if until is not None:
            mask &= ev.dt_us < _us(until)
        if metric_ids is not None:
            wanted = [i for i in (snap.metric_index(m) for m in metric_ids) if i is not None]
            mask &= np.isin(ev.metric, wanted)
        return render_events(snap, np.flatnonzero(mask), self._account.base_url)

    # Marketing objects: every one the API serves now (archived too, deleted not), without `links`.
    def campaigns(self) -> list[dict[str, Any]]:
        """Every campaign of every channel, archived and not, not the deleted ones, by creation."""
        base = self._account.base_url
        return [strip_links(render_campaign(c, base)) for c in self._account.snapshot.marketing.campaigns
                if not c.deleted]

    def campaign_messages(self) -> dict[str, list[dict[str, Any]]]:
        """Campaign id -> its message resources (not deleted campaigns)."""
        mk, base = self._account.snapshot.marketing, self._account.base_url
        return {c.id: [strip_links(render_campaign_message(c, m, mk, base)) for m in c.messages]
                for c in mk.campaigns if not c.deleted}

    def flows(self) -> list[dict[str, Any]]:
        """Every flow, archived and not, not the deleted ones, by creation."""
        base = self._account.base_url
        return [strip_links(render_flow(f, base)) for f in self._account.snapshot.marketing.flows
                if not f.deleted]

    def flow_actions(self) -> dict[str, list[dict[str, Any]]]:
        """Flow id -> its action resources (not deleted flows)."""
        mk, base = self._account.snapshot.marketing, self._account.base_url
        return {f.id: [strip_links(render_flow_action(f, a, mk, base)) for a in f.actions]
                for f in mk.flows if not f.deleted}

    def flow_messages(self) -> dict[str, list[dict[str, Any]]]:
        """Flow action id -> its message resources (actions of not deleted flows; time delays: [])."""
        mk, base = self._account.snapshot.marketing, self._account.base_url
        return {a.id: [strip_links(render_flow_message(a, m, mk, base)) for m in a.messages]
                for f in mk.flows if not f.deleted for a in f.actions}

    def deleted_campaign_ids(self) -> set[str]:
        return {c.id for c in self._account.snapshot.marketing.campaigns if c.deleted}

    def deleted_flow_ids(self) -> set[str]:
        return {f.id for f in self._account.snapshot.marketing.flows if f.deleted}

    def attributions(self) -> dict[str, list[dict[str, Any]]]:
        """Event id -> its attribution resources (as `include=attributions` serves them, without links)."""
        snap = self._account.snapshot
        store = snap.attributions
        seqs = np.unique(store.event_seq)
        _, resources = attribution_texts(snap, seqs, self._account.base_url)
        out: dict[str, list[dict[str, Any]]] = {}
        for resource in resources:
            event_id = resource["relationships"]["event"]["data"]["id"]
            out.setdefault(event_id, []).append(strip_links(resource))
        return out
