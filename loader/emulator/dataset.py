"""The emulator's data: numpy columns for events and profiles, immutable snapshots swapped on growth.

Events are kept sorted by (datetime, seq); `seq` is the event's creation number, from which its id,
uuid and properties are derived. Datetimes are whole seconds stored as int64 epoch microseconds, like
the API's `datetime` (second resolution). Profiles are indexed by creation order; `version` counts updates.
`msg` is the MessageRef index (marketing.py) an engagement event names, -1 for none; the campaigns and
flows and the attributions of orders (engagement.py) live beside the events in the snapshot, and so do
the lists and segments with their members (groups.py) and what happened to profiles (people.py: email
suppressions are profile columns; deleted and merged-away profiles are `gone`, kept as rows so indexes
never move).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from loader.emulator import catalog, engagement, groups, hashing, marketing, people
from loader.emulator.engagement import AttributionStore
from loader.emulator.groups import GroupGrowth, Groups
from loader.emulator.marketing import Marketing, MarketingGrowth
from loader.emulator.people import ProfileFates

US = 1_000_000
DAY_US = 86_400 * US


@dataclass(frozen=True)
class Metric:
    index: int
    id: str
    name: str
    integration: str
    created_us: int
    updated_us: int


@dataclass(frozen=True)
class EventStore:
    dt_us: np.ndarray
    seq: np.ndarray
    metric: np.ndarray
    profile: np.ndarray
    msg: np.ndarray
    by_metric: tuple[np.ndarray, ...]
    by_metric_dt: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.dt_us)


@dataclass(frozen=True)
class ProfileStore:
    created_us: np.ndarray
    updated_us: np.ndarray
    version: np.ndarray
    ids: np.ndarray
    gone: np.ndarray  # bool: deleted or merged away (vanished from every listing and membership)
    supp_us: np.ndarray  # int64: the global email suppression's timestamp, people.NONE when none
    supp_reason: np.ndarray  # int8: its people.REASONS index, people.NONE when none

    def __len__(self) -> int:
        return len(self.created_us)


@dataclass(frozen=True)
class Snapshot:
    seed: int
    anchor_us: int
    grown_until_us: int
    metrics: tuple[Metric, ...]
    events: EventStore
    profiles: ProfileStore
    generation: int = 0
    cache: dict[str, Any] = field(default_factory=dict, compare=False)
    id_seed: int | None = None  # EmulatorConfig.id_seed: None = ids from `seed`
    marketing: Marketing = field(default_factory=Marketing)
    attributions: AttributionStore = field(default_factory=AttributionStore.empty)
    groups: Groups = field(default_factory=Groups)
    fates: ProfileFates = field(default_factory=ProfileFates)

    @property
    def ids_seed(self) -> int:
        """The seed every id (metric, profile, event) derives from."""
        return self.seed if self.id_seed is None else self.id_seed

    def metric_index(self, metric_id: str) -> int | None:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric.index
        return None


def index_events(
    dt_us: np.ndarray, seq: np.ndarray, metric: np.ndarray, profile: np.ndarray, n_metrics: int,
    msg: np.ndarray | None = None,
) -> EventStore:
    """Sort by (datetime, seq) and build the per-metric position arrays used by equals(metric_id).
    `seq` must be ascending (a stable sort by datetime then orders ties by seq)."""
    msg = np.full(len(dt_us), -1, np.int32) if msg is None else msg
    order = np.argsort(dt_us, kind="stable")
    dt_us, seq, metric, profile, msg = dt_us[order], seq[order], metric[order], profile[order], msg[order]
    return _with_metric_index(dt_us, seq, metric, profile, msg, n_metrics)


def merge_events(old: EventStore, dt_us: np.ndarray, seq: np.ndarray, metric: np.ndarray,
                 profile: np.ndarray, n_metrics: int, msg: np.ndarray | None = None) -> EventStore:
    """Insert a batch whose seqs are all larger than the store's: each new row goes after every stored
    row of the same datetime, so (datetime, seq) order holds without re-sorting the store."""
    msg = np.full(len(dt_us), -1, np.int32) if msg is None else msg
    order = np.argsort(dt_us, kind="stable")
    dt_us, seq, metric, profile, msg = dt_us[order], seq[order], metric[order], profile[order], msg[order]
    at = np.searchsorted(old.dt_us, dt_us, side="right")
    return _with_metric_index(np.insert(old.dt_us, at, dt_us), np.insert(old.seq, at, seq),
                              np.insert(old.metric, at, metric), np.insert(old.profile, at, profile),
                              np.insert(old.msg, at, msg), n_metrics)


def _with_metric_index(dt_us: np.ndarray, seq: np.ndarray, metric: np.ndarray, profile: np.ndarray,
                       msg: np.ndarray, n_metrics: int) -> EventStore:
    by_metric_order = np.argsort(metric, kind="stable")
    bounds = np.searchsorted(metric[by_metric_order], np.arange(n_metrics + 1))
    by_metric = tuple(by_metric_order[bounds[m]:bounds[m + 1]] for m in range(n_metrics))
    return EventStore(dt_us, seq, metric, profile, msg, by_metric, tuple(dt_us[p] for p in by_metric))


def build_metrics(seed: int, count: int, anchor_us: int, history_days: int,
                  id_seed: int | None = None) -> tuple[Metric, ...]:
    count = max(1, min(count, len(catalog.METRICS)))  # EmulatorConfig checks 1..MAX_METRICS
    chosen = catalog.METRICS[:count]
    ids_seed = seed if id_seed is None else id_seed
    codes = hashing.encode(hashing.mix(np.arange(count), ids_seed * 11 + 5), hashing.BASE62, 6)
    ids = hashing.to_strings(codes)
    start = anchor_us - (history_days + 60) * DAY_US
    offsets = (hashing.unit(np.arange(count), seed * 11 + 6) * 30 * DAY_US).astype(np.int64)
    created = start + offsets // US * US
    return tuple(
        Metric(i, str(ids[i]), name, integ, int(created[i]), int(created[i]) + DAY_US)
        for i, (name, integ, _weight) in enumerate(chosen)
    )


def _seconds(rng: np.random.Generator, low_us: int, high_us: int, n: int) -> np.ndarray:
    """n whole-second instants (as microseconds) uniform in [low, high]."""
    low_s, high_s = low_us // US, max(low_us // US, high_us // US)
    return rng.integers(low_s, high_s + 1, size=n, dtype=np.int64) * US


def _pick_profiles(rng: np.random.Generator, created_us: np.ndarray, dt_us: np.ndarray) -> np.ndarray:
    """For each event, a profile created no later than the event (profile 0 when none is)."""
    existing = np.searchsorted(created_us, dt_us, side="right")
    existing = np.maximum(existing, 1)
    return (rng.random(len(dt_us)) * existing).astype(np.int32)


def _pick_metrics(rng: np.random.Generator, metrics: tuple[Metric, ...], n: int) -> np.ndarray:
    weights = np.array([catalog.METRICS[m.index][2] for m in metrics], dtype=np.float64)
    return rng.choice(len(metrics), size=n, p=weights / weights.sum()).astype(np.int16)


def _profile_ids(indexes: np.ndarray, created_us: np.ndarray, seed: int, id_seed: int | None) -> np.ndarray:
    if id_seed is None:
        return hashing.profile_ids(indexes, created_us, seed)
    return hashing.profile_ids(indexes, None, id_seed)


def build(seed: int, n_profiles: int, n_events: int, n_metrics: int, history_days: int,
          future_events: int, anchor_us: int, id_seed: int | None = None, *, n_campaigns: int = 12,
          n_flows: int = 5, sender: tuple[str, str] = ("Emulator Store", "contact@example.com"),
          n_lists: int = 6, n_segments: int = 4) -> Snapshot:
    """The initial dataset: events over `history_days` before the anchor, `future_events` after it,
    campaigns and flows (marketing.build), engagement events naming their messages and attributed
    orders (engagement.py), lists and segments with members (groups.py). Content derives from `seed`,
    ids from `id_seed` when given (see
    EmulatorConfig.id_seed)."""
    rng = np.random.default_rng(seed)
    anchor_us = anchor_us // US * US
    start_us = anchor_us - history_days * DAY_US
    metrics = build_metrics(seed, n_metrics, anchor_us, history_days, id_seed)
    n_profiles = max(1, n_profiles)
    created = np.sort(_seconds(rng, start_us - 30 * DAY_US, anchor_us - US, n_profiles))
    updated = created + (rng.random(n_profiles) * (anchor_us - created)).astype(np.int64) // US * US
    ids = _profile_ids(np.arange(n_profiles), created, seed, id_seed)
    supp_us, supp_reason = people.base_suppressions(seed, np.arange(n_profiles), created, updated)
    profiles = ProfileStore(created, updated, np.zeros(n_profiles, dtype=np.int32), ids,
                            np.zeros(n_profiles, dtype=bool), supp_us, supp_reason)
    past = _seconds(rng, start_us, anchor_us - US, n_events)
    future = _seconds(rng, anchor_us + 3600 * US, anchor_us + 30 * DAY_US, future_events)
    dt_us = np.concatenate([past, future])
    seq = np.arange(len(dt_us), dtype=np.int64)
    metric = _pick_metrics(rng, metrics, len(dt_us))
    profile = _pick_profiles(rng, created, dt_us)
    ids_seed = seed if id_seed is None else id_seed
    mk = marketing.build(seed, ids_seed, n_campaigns, n_flows, anchor_us, history_days, *sender)
    names = [m.name for m in metrics]
    msg = engagement.assign_messages(mk, names, dt_us, metric, seq, seed)
    credited = engagement.credit_orders(names, dt_us, metric, profile, seq, msg, 0, seed)
    events = index_events(dt_us, seq, metric, profile, len(metrics), msg)
    gr = groups.build(seed, ids_seed, n_lists, n_segments, created, anchor_us)
    return Snapshot(seed, anchor_us, anchor_us, metrics, events, profiles, id_seed=id_seed, marketing=mk,
                    attributions=AttributionStore.empty().add(*credited), groups=gr)


@dataclass(frozen=True)
class Growth:
    new_events: int = 0
    late_events: int = 0
    late_by_us: int = 30 * 60 * US
    future_events: int = 0
    updated_profiles: int = 0
    new_profiles: int = 0
    marketing: MarketingGrowth = field(default_factory=MarketingGrowth)
    late_attributions: int = 0
    groups: GroupGrowth = field(default_factory=GroupGrowth)
    new_suppressions: int = 0
    deleted_profiles: int = 0
    merged_profiles: int = 0


def grow(snap: Snapshot, growth: Growth, now_us: int) -> Snapshot:
    """A new snapshot with data added as of `now_us` (see Emulator.grow); `snap` is left untouched."""
    now_us = max(now_us // US * US, snap.grown_until_us)
    rng = np.random.default_rng([snap.seed, snap.generation + 1])
    profiles = _grow_profiles(snap.profiles, rng, growth, now_us, snap.seed, snap.id_seed)
    profiles, fates, gr, ev = _profile_fates(snap, profiles, growth, rng, now_us)
    gr, unsubscribed = groups.grow(gr, growth.groups, rng, snap.ids_seed, ~profiles.gone,
                                   snap.grown_until_us, now_us)
    fates = replace(fates, list_suppressions=fates.list_suppressions + tuple(
        people.ListSuppression(p, list_id, "UNSUBSCRIBE", now_us) for p, list_id in unsubscribed))
    mk = marketing.grow(snap.marketing, growth.marketing, snap.seed, snap.ids_seed, snap.generation + 1,
                        snap.grown_until_us, now_us)
    dt_new = np.concatenate([
        _seconds(rng, snap.grown_until_us, now_us, growth.new_events),
        np.full(growth.late_events, max(now_us - growth.late_by_us, 0) // US * US, dtype=np.int64),
        _seconds(rng, now_us + 3600 * US, now_us + 30 * DAY_US, growth.future_events),
    ])
    seq_new = np.arange(len(ev), len(ev) + len(dt_new), dtype=np.int64)
    metric_new = _pick_metrics(rng, snap.metrics, len(dt_new))
    profile_new = _alive(profiles.gone, _pick_profiles(rng, profiles.created_us, dt_new))
    names = [m.name for m in snap.metrics]
    msg_new = engagement.assign_messages(mk, names, dt_new, metric_new, seq_new, snap.seed)
    attributions = snap.attributions
    if len(dt_new):
        # candidates for credit: the stored events of the window before the earliest new one, and the batch
        tail = int(np.searchsorted(ev.dt_us, int(dt_new.min()) - engagement.WINDOW_US, side="left"))
        profile_all = np.concatenate([ev.profile[tail:], profile_new])
        credited = engagement.credit_orders(
            names, np.concatenate([ev.dt_us[tail:], dt_new]), np.concatenate([ev.metric[tail:], metric_new]),
            profile_all, np.concatenate([ev.seq[tail:], seq_new]), np.concatenate([ev.msg[tail:], msg_new]),
            len(ev) - tail, snap.seed)
        profile_new = _alive(profiles.gone, profile_all[len(ev) - tail:])
        attributions = attributions.add(*credited)
    events = merge_events(ev, dt_new, seq_new, metric_new, profile_new, len(snap.metrics), msg_new)
    attributions = _late_credit(events, attributions, names, growth.late_attributions, now_us, rng)
    return replace(snap, grown_until_us=now_us, events=events, profiles=profiles, marketing=mk,
                   attributions=attributions, generation=snap.generation + 1, cache={}, groups=gr,
                   fates=fates)


def _alive(gone: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Each profile index, or for a gone one the nearest alive profile created before it (else the first
    alive one): new events never name a deleted or merged-away profile."""
    if not gone.any() or not len(profile):
        return profile
    alive = np.flatnonzero(~gone)
    if not len(alive):
        return profile
    at = np.searchsorted(alive, profile, side="right") - 1
    fixed = alive[np.maximum(at, 0)].astype(profile.dtype)
    return np.where(gone[profile], fixed, profile)


def _profile_fates(snap: Snapshot, profiles: ProfileStore, growth: Growth, rng: np.random.Generator,
                   now_us: int) -> tuple[ProfileStore, ProfileFates, Groups, EventStore]:
    """New email suppressions (on alive profiles without one; `updated` does not move), deletions (the
    profile vanishes from listings and memberships; its events stay) and merges (the source vanishes,
    its events and memberships go to the target, whose `updated` moves to now)."""
    fates, gr, ev = snap.fates, snap.groups, snap.events
    supp_us, supp_reason = profiles.supp_us, profiles.supp_reason
    if growth.new_suppressions:
        chosen = people.pick(rng, np.flatnonzero(~profiles.gone & (supp_reason == people.NONE)),
                             growth.new_suppressions)
        supp_us, supp_reason = supp_us.copy(), supp_reason.copy()
        supp_us[chosen] = now_us
        supp_reason[chosen] = rng.integers(0, len(people.REASONS), size=len(chosen))
    gone, updated, version = profiles.gone, profiles.updated_us, profiles.version
    deleted = people.pick(rng, np.flatnonzero(~gone), growth.deleted_profiles)
    if len(deleted):
        gone = gone.copy()
        gone[deleted] = True
        fates = replace(fates, deleted=fates.deleted + tuple((int(p), now_us) for p in deleted.tolist()))
        gr = groups.drop_profiles(gr, deleted, now_us, "profile_deleted")
    if growth.merged_profiles:
        sources = people.pick(rng, np.flatnonzero(~gone), growth.merged_profiles)
        others = ~gone
        others[sources] = False
        rest = np.flatnonzero(others)
        targets = people.pick(rng, rest, len(sources))
        sources = sources[:len(targets)]
        if len(sources):
            gone, updated, version = gone.copy(), updated.copy(), version.copy()
            gone[sources] = True
            updated[targets] = now_us
            version[targets] += 1
            pairs = list(zip(sources.tolist(), targets.tolist(), strict=True))
            fates = replace(fates, merged=fates.merged + tuple((s, t, now_us) for s, t in pairs))
            gr = groups.merge(gr, pairs, now_us)
            moved = np.arange(len(gone), dtype=ev.profile.dtype)
            moved[sources] = targets
            ev = replace(ev, profile=moved[ev.profile])
    profiles = replace(profiles, gone=gone, updated_us=updated, version=version, supp_us=supp_us,
                       supp_reason=supp_reason)
    return profiles, fates, gr, ev


def _late_credit(ev: EventStore, attributions: AttributionStore, names: list[str], k: int, now_us: int,
                 rng: np.random.Generator) -> AttributionStore:
    """Credit up to k `Placed Order` events 1-6 days old that have none with an attributing event of
    the 5 days before each (of the same profile when there is one): Klaviyo's late attribution."""
    _, attributing, conversion = engagement.metric_sets(names)
    if k <= 0 or conversion is None or not attributing:
        return attributions
    order_dt = ev.by_metric_dt[conversion]
    lo = int(np.searchsorted(order_dt, now_us - 6 * DAY_US, side="left"))
    hi = int(np.searchsorted(order_dt, now_us - DAY_US, side="right"))
    orders = ev.by_metric[conversion][lo:hi]
    start, stop = attributions.rows_of(ev.seq[orders])
    orders = orders[start == stop]
    cand = np.sort(np.concatenate([ev.by_metric[m] for m in attributing]))  # positions: by datetime
    cand = cand[ev.msg[cand] >= 0]
    cand_dt = ev.dt_us[cand]
    picked_orders: list[int] = []
    picked: list[int] = []
    for p in rng.permutation(orders).tolist():
        if len(picked) >= k:
            break
        a = int(np.searchsorted(cand_dt, ev.dt_us[p] - engagement.WINDOW_US, side="left"))
        b = int(np.searchsorted(cand_dt, ev.dt_us[p], side="left"))
        if a == b:
            continue
        window = cand[a:b]
        same = window[ev.profile[window] == ev.profile[p]]
        picked_orders.append(p)
        picked.append(int(same[-1] if len(same) else window[int(rng.integers(0, len(window)))]))
    if not picked:
        return attributions
    o, g = np.array(picked_orders), np.array(picked)
    return attributions.add(ev.seq[o], ev.seq[g], ev.msg[g])


def _grow_profiles(old: ProfileStore, rng: np.random.Generator, growth: Growth, now_us: int,
                   seed: int, id_seed: int | None) -> ProfileStore:
    updated, version = old.updated_us.copy(), old.version.copy()
    k = min(growth.updated_profiles, len(old))
    if k:
        chosen = rng.choice(len(old), size=k, replace=False)
        updated[chosen] = now_us
        version[chosen] += 1
    n_new = growth.new_profiles
    new_index = np.arange(len(old), len(old) + n_new)
    created_new = np.full(n_new, now_us, dtype=np.int64)
    supp_us, supp_reason = people.base_suppressions(seed, new_index, created_new, created_new)
    return ProfileStore(
        np.concatenate([old.created_us, created_new]),
        np.concatenate([updated, created_new]),
        np.concatenate([version, np.zeros(n_new, dtype=np.int32)]),
        np.concatenate([old.ids, _profile_ids(new_index, created_new, seed, id_seed)]),
        np.concatenate([old.gone, np.zeros(n_new, dtype=bool)]),
        np.concatenate([old.supp_us, supp_us]),
        np.concatenate([old.supp_reason, supp_reason]),
    )
