"""Lists and segments of an account and their members, built and changed from the seed.

A group (list or segment) holds its members as two numpy columns sorted by (joined, profile index):
`members` (profile indexes) and `joined_us` (when each most recently joined, whole seconds), so a
`joined_group_at` listing is a searchsorted window and a 1M-profile account builds in a fraction of a
second. Groups are frozen and replaced on growth; deleted ones stay flagged `deleted` (they vanish from
every listing). Every membership that ends (a leave, or its profile deleted or merged away) is kept in
`removed`, the record tests compare a loader's `removed_at` with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from loader.emulator import hashing

US = 1_000_000
DAY_US = 86_400 * US
LIST_NAMES = ("Newsletter", "VIP Customers", "SMS Subscribers", "Back in Stock", "Preview List", "Wholesale")
SEGMENT_NAMES = ("Engaged (90 days)", "Repeat Purchasers", "Lapsed Customers", "Winback (inactive)")
KINDS = ("list", "segment")


@dataclass(frozen=True, eq=False)
class Group:
    """A list or a segment. Lists have `opt_in_process`; segments `is_active` (an inactive segment's
    membership does not change, as Klaviyo says), `is_starred` and a definition naming `source_list`."""

    kind: str  # "list" or "segment"
    index: int  # creation index among groups of its kind (the tie of its sort keys)
    id: str
    name: str
    created_us: int
    updated_us: int
    members: np.ndarray  # int64 profile indexes, sorted by (joined_us, profile)
    joined_us: np.ndarray  # int64
    opt_in_process: str = "single_opt_in"
    is_active: bool = True
    is_starred: bool = False
    source_list: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class Removal:
    """One ended membership: who left which group, when they had joined and when it ended, and why
    (`left`, `profile_deleted`, `profile_merged`)."""

    kind: str
    group_id: str
    profile: int
    joined_us: int
    removed_us: int
    reason: str


@dataclass(frozen=True)
class Groups:
    lists: tuple[Group, ...] = ()
    segments: tuple[Group, ...] = ()
    removed: tuple[Removal, ...] = ()

    def of(self, kind: str) -> tuple[Group, ...]:
        return self.lists if kind == "list" else self.segments


@dataclass(frozen=True)
class GroupGrowth:
    list_joins: int = 0
    list_leaves: int = 0
    segment_joins: int = 0
    segment_leaves: int = 0
    new_lists: int = 0
    new_segments: int = 0
    deleted_lists: int = 0
    deleted_segments: int = 0


def group_id(kind: str, index: int, ids_seed: int) -> str:
    """6 base62 characters (Klaviyo's list and segment id shape, e.g. `Y6nRLr`)."""
    salt = ids_seed * 101 + (31 if kind == "list" else 37)
    return str(hashing.to_strings(hashing.encode(hashing.mix(np.array([index]), salt), hashing.BASE62, 6))[0])


def _name(kind: str, index: int) -> str:
    names = LIST_NAMES if kind == "list" else SEGMENT_NAMES
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _sorted(members: np.ndarray, joined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((members, joined))
    return members[order].astype(np.int64), joined[order].astype(np.int64)


def _with(members: np.ndarray, joined: np.ndarray, profile: int, at_us: int) -> tuple[np.ndarray, np.ndarray]:
    """The columns with one member added at its (joined, profile) place: no re-sort (a 1M-member list
    grows by a copy, not a sort)."""
    lo = int(np.searchsorted(joined, at_us, side="left"))
    hi = int(np.searchsorted(joined, at_us, side="right"))
    k = lo + int(np.searchsorted(members[lo:hi], profile))
    return np.insert(members, k, profile), np.insert(joined, k, at_us)


def _make(kind: str, index: int, ids_seed: int, created: int, updated: int, members: np.ndarray,
          joined: np.ndarray, source_list: str | None = None) -> Group:
    m, j = _sorted(members, joined)
    return Group(kind, index, group_id(kind, index, ids_seed), _name(kind, index), created // US * US,
                 updated // US * US, m, j,
                 opt_in_process="double_opt_in" if index % 3 == 1 else "single_opt_in",
                 is_active=index % 4 != 3, is_starred=index % 4 == 0, source_list=source_list)


def _joined(rng: np.random.Generator, created_us: np.ndarray, until_us: int) -> np.ndarray:
    """A whole-second instant for each profile between its creation and `until_us`."""
    span = np.maximum(until_us - created_us, 0)
    return (created_us + (rng.random(len(created_us)) * span).astype(np.int64)) // US * US


def build(seed: int, ids_seed: int, n_lists: int, n_segments: int, profile_created_us: np.ndarray,
          anchor_us: int) -> Groups:
    """Lists created before the oldest profile, each holding 15-45% of the profiles (joined between
    their creation and the anchor); segments defined on a list, holding about half of its members."""
    rng = np.random.default_rng([seed, 0x67727073])
    n = len(profile_created_us)
    start = int(profile_created_us.min()) - 10 * DAY_US if n else anchor_us - 400 * DAY_US
    lists = []
    for i in range(n_lists):
        chosen = np.flatnonzero(rng.random(n) < 0.15 + 0.1 * (i % 4))
        created = start + i * DAY_US
        updated = min(created + int(rng.integers(1, 60)) * DAY_US, anchor_us - DAY_US)
        lists.append(_make("list", i, ids_seed, created, updated, chosen,
                           _joined(rng, profile_created_us[chosen], anchor_us)))
    segments = []
    for i in range(n_segments):
        source = lists[i % len(lists)] if lists else None
        pool = source.members if source is not None else np.arange(n)
        chosen = pool[rng.random(len(pool)) < 0.5]
        created = start + (n_lists + i) * DAY_US
        updated = min(created + int(rng.integers(1, 60)) * DAY_US, anchor_us - DAY_US)
        segments.append(_make("segment", i, ids_seed, created, updated, chosen,
                              _joined(rng, profile_created_us[chosen], anchor_us),
                              source.id if source is not None else None))
    return Groups(tuple(lists), tuple(segments))


@dataclass
class _Mutable:
    lists: list[Group]
    segments: list[Group]
    removed: list[Removal] = field(default_factory=list)

    def of(self, kind: str) -> list[Group]:
        return self.lists if kind == "list" else self.segments


def drop_profiles(groups: Groups, profiles: np.ndarray, now_us: int, reason: str) -> Groups:
    """Groups without the given profiles (deleted or merged away), each ended membership recorded."""
    if not len(profiles):
        return groups
    m = _Mutable(list(groups.lists), list(groups.segments), list(groups.removed))
    for kind in KINDS:
        items = m.of(kind)
        for i, g in enumerate(items):
            gone = np.isin(g.members, profiles)
            if g.deleted or not gone.any():
                continue
            m.removed += [Removal(kind, g.id, int(p), int(j), now_us, reason)
                          for p, j in zip(g.members[gone].tolist(), g.joined_us[gone].tolist(), strict=True)]
            items[i] = replace(g, members=g.members[~gone], joined_us=g.joined_us[~gone])
    return Groups(tuple(m.lists), tuple(m.segments), tuple(m.removed))


def merge(groups: Groups, pairs: list[tuple[int, int]], now_us: int) -> Groups:
    """Each (source, target) merge: the source's memberships end (`profile_merged`) and the target
    joins, now, every live group the source was in and it was not (inferred: Klaviyo does not say
    what a merge does to memberships; the destination keeping the source's lists is the natural
    reading of "merged into")."""
    if not pairs:
        return groups
    m = _Mutable(list(groups.lists), list(groups.segments), list(groups.removed))
    now = now_us // US * US
    for source, target in pairs:
        for kind in KINDS:
            items = m.of(kind)
            for i, g in enumerate(items):
                at = np.flatnonzero(g.members == source)
                if g.deleted or not len(at):
                    continue
                r = int(at[0])
                m.removed.append(Removal(kind, g.id, source, int(g.joined_us[r]), now, "profile_merged"))
                keep = np.arange(len(g.members)) != r
                members, joined = g.members[keep], g.joined_us[keep]
                if not (members == target).any():
                    members, joined = _with(members, joined, target, now)
                items[i] = replace(g, members=members, joined_us=joined)
    return Groups(tuple(m.lists), tuple(m.segments), tuple(m.removed))


def _outsider(rng: np.random.Generator, alive: np.ndarray, members: np.ndarray) -> int | None:
    """A random alive profile not among `members` (drawn, not by a set difference: cheap on 1M profiles)."""
    if not len(alive):
        return None
    for _ in range(64):
        p = int(alive[int(rng.integers(0, len(alive)))])
        if not (members == p).any():
            return p
    outside = np.setdiff1d(alive, members)
    return int(outside[int(rng.integers(0, len(outside)))]) if len(outside) else None


def grow(groups: Groups, g: GroupGrowth, rng: np.random.Generator, ids_seed: int, alive: np.ndarray,
         since_us: int, now_us: int) -> tuple[Groups, list[tuple[int, str]]]:
    """Groups after a growth at `now_us`: new (empty) lists and segments created at `since_us`, random
    members leaving and alive profiles joining live groups (active segments only; leaves first, so a
    profile that left may join again with a new joined time), deletions. Returns the groups and the
    (profile, list id) of half the list leaves: those unsubscribe from the list (the caller records
    a list suppression for them)."""
    now = now_us // US * US
    m = _Mutable(list(groups.lists), list(groups.segments), list(groups.removed))
    for kind, count in (("list", g.new_lists), ("segment", g.new_segments)):
        items = m.of(kind)
        for _ in range(count):
            empty = np.empty(0, np.int64)
            source = next((x.id for x in m.lists if not x.deleted), None) if kind == "segment" else None
            items.append(_make(kind, len(items), ids_seed, min(since_us, now), now, empty, empty, source))
    alive_idx = np.flatnonzero(alive)
    unsubscribed: list[tuple[int, str]] = []
    for kind, joins, leaves in (("list", g.list_joins, g.list_leaves),
                                ("segment", g.segment_joins, g.segment_leaves)):
        items = m.of(kind)
        live = [i for i, x in enumerate(items) if not x.deleted and x.is_active]
        if not live:
            continue
        for k in range(leaves):
            filled = [i for i in live if len(items[i].members)]
            if not filled:
                break
            pos = filled[int(rng.integers(0, len(filled)))]
            x = items[pos]
            r = int(rng.integers(0, len(x.members)))
            p, joined_at = int(x.members[r]), int(x.joined_us[r])
            m.removed.append(Removal(kind, x.id, p, joined_at, now, "left"))
            if kind == "list" and k % 2 == 0:
                unsubscribed.append((p, x.id))
            keep = np.arange(len(x.members)) != r
            items[pos] = replace(x, members=x.members[keep], joined_us=x.joined_us[keep])
        for _ in range(joins):
            pos = live[int(rng.integers(0, len(live)))]
            x = items[pos]
            joiner = _outsider(rng, alive_idx, x.members)
            if joiner is None:
                continue
            members, joined = _with(x.members, x.joined_us, joiner, now)
            items[pos] = replace(x, members=members, joined_us=joined)
    for kind, count in (("list", g.deleted_lists), ("segment", g.deleted_segments)):
        items = m.of(kind)
        live_all = [i for i, x in enumerate(items) if not x.deleted]
        if count > 0 and live_all:
            for pos in sorted(rng.choice(live_all, size=min(count, len(live_all)), replace=False).tolist()):
                items[pos] = replace(items[pos], deleted=True)
    return Groups(tuple(m.lists), tuple(m.segments), tuple(m.removed)), unsubscribed
