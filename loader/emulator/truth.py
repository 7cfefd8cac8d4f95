"""Ground truth for tests: exactly the resources the API would serve now (meant for small datasets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from loader.emulator.dataset import Snapshot
from loader.emulator.event_resources import attribution_texts, render_events
from loader.emulator.filters import to_epoch_us
from loader.emulator.group_resources import render_group
from loader.emulator.marketing_resources import (
    render_campaign,
    render_campaign_message,
    render_flow,
    render_flow_action,
    render_flow_message,
    strip_links,
)
from loader.emulator.metric_resources import render_metric
from loader.emulator.people import NONE, REASONS
from loader.emulator.profile_resources import render_profiles
from loader.emulator.resources import iso


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
        """All profiles in id order (not deleted or merged away), with `additional_fields` (default:
        subscriptions, as the loader asks)."""
        snap = self._account.snapshot
        gone = snap.profiles.gone
        order = [i for i in np.argsort(snap.profiles.ids, kind="stable").tolist() if not gone[i]]
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

    # Lists, segments and membership (what the API serves now; contract column names for the rest).
    def lists(self) -> list[dict[str, Any]]:
        """Every list not deleted, by creation, as `GET /api/lists` serves it (without links)."""
        base = self._account.base_url
        return [strip_links(render_group(g, base)) for g in self._account.snapshot.groups.lists
                if not g.deleted]

    def segments(self) -> list[dict[str, Any]]:
        """Every segment not deleted, by creation, as `GET /api/segments` serves it (without links)."""
        base = self._account.base_url
        return [strip_links(render_group(g, base)) for g in self._account.snapshot.groups.segments
                if not g.deleted]

    def _members(self, kind: str) -> list[dict[str, Any]]:
        snap = self._account.snapshot
        ids = snap.profiles.ids
        return [{f"{kind}_id": g.id, "profile_id": str(ids[p]), "joined_at": iso(j)}
                for g in snap.groups.of(kind) if not g.deleted
                for p, j in zip(g.members.tolist(), g.joined_us.tolist(), strict=True)]

    def list_members(self) -> list[dict[str, Any]]:
        """Current members of every list not deleted: {list_id, profile_id, joined_at} (joined_at is the
        member's `joined_group_at`: when it most recently joined), by list then joined_at."""
        return self._members("list")

    def segment_members(self) -> list[dict[str, Any]]:
        """Current members of every segment not deleted: {segment_id, profile_id, joined_at}."""
        return self._members("segment")

    def _removed(self, kind: str) -> list[dict[str, Any]]:
        snap = self._account.snapshot
        ids = snap.profiles.ids
        return [{f"{kind}_id": r.group_id, "profile_id": str(ids[r.profile]), "joined_at": iso(r.joined_us),
                 "removed_at": iso(r.removed_us), "reason": r.reason}
                for r in snap.groups.removed if r.kind == kind]

    def removed_list_members(self) -> list[dict[str, Any]]:
        """Every list membership that ended, in order: {list_id, profile_id, joined_at, removed_at, reason}
        (reason `left`, `profile_deleted` or `profile_merged`; removed_at is when it happened, which a
        loader can only see at its next reconcile). Members of deleted lists are not in it."""
        return self._removed("list")

    def removed_segment_members(self) -> list[dict[str, Any]]:
        """Every segment membership that ended: {segment_id, profile_id, joined_at, removed_at, reason}."""
        return self._removed("segment")

    def deleted_list_ids(self) -> set[str]:
        return {g.id for g in self._account.snapshot.groups.lists if g.deleted}

    def deleted_segment_ids(self) -> set[str]:
        return {g.id for g in self._account.snapshot.groups.segments if g.deleted}

    def deleted_profile_ids(self) -> set[str]:
        """Profiles deleted (data-privacy deletion): gone from every listing; their events stay, and
        `include=profile` renders them redacted."""
        snap = self._account.snapshot
        return {str(snap.profiles.ids[p]) for p, _ in snap.fates.deleted}

    def merged_profiles(self) -> dict[str, str]:
        """Merged-away profile id -> the profile it was merged into (which now has its events)."""
        ids = self._account.snapshot.profiles.ids
        return {str(ids[s]): str(ids[t]) for s, t, _ in self._account.snapshot.fates.merged}

    def deletions(self) -> list[dict[str, Any]]:
        """What vanished, in the contract's `deletions` columns but with when it happened (`deleted_at`)
        instead of when a loader detected it: {object, id, deleted_at, reason}; object `profile`
        (reason `deleted` or `merged`), `list` or `segment` (reason `deleted`). Campaigns and flows
        have deleted_campaign_ids() / deleted_flow_ids() (growth records no time for them)."""
        snap = self._account.snapshot
        ids = snap.profiles.ids
        out = [{"object": "profile", "id": str(ids[p]), "deleted_at": iso(at), "reason": "deleted"}
               for p, at in snap.fates.deleted]
        out += [{"object": "profile", "id": str(ids[s]), "deleted_at": iso(at), "reason": "merged"}
                for s, _, at in snap.fates.merged]
        out += [{"object": g.kind, "id": g.id, "deleted_at": None, "reason": "deleted"}
                for g in (*snap.groups.lists, *snap.groups.segments) if g.deleted]
        return out

    def suppressions(self) -> dict[str, dict[str, Any]]:
        """Profile id -> the `klaviyo_profile` suppression columns, for every listed profile with a global
        email suppression: can_receive_email_marketing (False), email_suppression_reason,
        email_suppressed_at."""
        p = self._account.snapshot.profiles
        rows = np.flatnonzero((p.supp_reason != NONE) & ~p.gone).tolist()
        return {str(p.ids[i]): {"can_receive_email_marketing": False,
                                "email_suppression_reason": REASONS[int(p.supp_reason[i])],
                                "email_suppressed_at": iso(int(p.supp_us[i]))} for i in rows}

    def list_suppressions(self) -> list[dict[str, Any]]:
        """Every list suppression of a listed profile: {profile_id, list_id, reason, timestamp}."""
        snap = self._account.snapshot
        return [{"profile_id": str(snap.profiles.ids[s.profile]), "list_id": s.list_id, "reason": s.reason,
                 "timestamp": iso(s.timestamp_us)}
                for s in snap.fates.list_suppressions if not snap.profiles.gone[s.profile]]
