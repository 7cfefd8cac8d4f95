"""Engagement and attribution, vectorised: which message each engagement event names, and which
engagement event (hence message) a `Placed Order` is credited to.

- Each event of an engagement metric (catalog.ENGAGEMENT_CHANNEL) names a message of its channel that
  was sending at its datetime (a sent campaign's message from its send time, a live flow message from
  its creation), mostly one of the latest few; -1 when none was (then it has no `$message`).
- At creation, about a third of `Placed Order` events are credited to an `Opened Email`, `Clicked
  Email` or `Clicked SMS` event (with a message) of the 5 days before; the order then takes that
  event's profile. Growth can add late credit (`late_attributions`) to orders 1-6 days old.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loader.emulator import catalog, hashing
from loader.emulator.marketing import DAY_US, Marketing

WINDOW_US = 5 * DAY_US  # how long before an order an engagement event may be credited with it
ATTRIBUTED_SHARE = 0.35


@dataclass(frozen=True)
class AttributionStore:
    """One row per attribution, sorted by (event_seq, engaged_seq): the credited (order) event, the
    engagement event it is attributed to and that event's message ref."""

    event_seq: np.ndarray
    engaged_seq: np.ndarray
    ref: np.ndarray

    def __len__(self) -> int:
        return len(self.event_seq)

    @staticmethod
    def empty() -> AttributionStore:
        return AttributionStore(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))

    def add(self, event_seq: np.ndarray, engaged_seq: np.ndarray, ref: np.ndarray) -> AttributionStore:
        e = np.concatenate([self.event_seq, event_seq.astype(np.int64)])
        g = np.concatenate([self.engaged_seq, engaged_seq.astype(np.int64)])
        r = np.concatenate([self.ref, ref.astype(np.int32)])
        order = np.lexsort((g, e))
        return AttributionStore(e[order], g[order], r[order])

    def rows_of(self, seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[start, stop) of each seq's attribution rows."""
        return (np.searchsorted(self.event_seq, seqs, side="left"),
                np.searchsorted(self.event_seq, seqs, side="right"))


def attribution_ids(event_seq: np.ndarray, engaged_seq: np.ndarray, seed: int) -> np.ndarray:
    """32 hex characters (Klaviyo's attribution id shape), from the pair."""
    a = hashing.encode(hashing.mix(event_seq, seed * 37 + 1), hashing.HEX, 16)
    b = hashing.encode(hashing.mix(engaged_seq, seed * 37 + 2), hashing.HEX, 16)
    return hashing.to_strings(np.hstack([a, b]))


def metric_sets(metric_names: list[str]) -> tuple[dict[str, list[int]], list[int], int | None]:
    """(channel -> metric indexes of its engagement metrics, attributing metric indexes, the
    conversion metric's index or None)."""
    by_channel: dict[str, list[int]] = {"email": [], "sms": []}
    for i, name in enumerate(metric_names):
        channel = catalog.ENGAGEMENT_CHANNEL.get(name)
        if channel:
            by_channel[channel].append(i)
    attributing = [i for i, n in enumerate(metric_names) if n in catalog.ATTRIBUTING]
    conversion = next((i for i, n in enumerate(metric_names) if n == catalog.CONVERSION), None)
    return by_channel, attributing, conversion


def assign_messages(mk: Marketing, metric_names: list[str], dt_us: np.ndarray, metric: np.ndarray,
                    seq: np.ndarray, seed: int) -> np.ndarray:
    """The MessageRef index each event names (-1: none)."""
    msg = np.full(len(dt_us), -1, dtype=np.int32)
    by_channel, _, _ = metric_sets(metric_names)
    for channel, metrics in by_channel.items():
        if not metrics:
            continue
        sel = np.flatnonzero(np.isin(metric, metrics))
        starts, refs = mk.sendable(channel)
        if not len(sel) or not len(starts):
            continue
        count = np.searchsorted(starts, dt_us[sel], side="right")
        back = np.floor(-np.log(1.0 - hashing.unit(seq[sel], seed * 41 + 7)) * 2.5).astype(np.int64)
        k = count - 1 - np.minimum(back, np.maximum(count - 1, 0))
        has = count > 0
        msg[sel[has]] = refs[k[has]]
    return msg


def credit_orders(metric_names: list[str], dt_us: np.ndarray, metric: np.ndarray, profile: np.ndarray,
                  seq: np.ndarray, msg: np.ndarray, first_new: int, seed: int,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attribute a share of the orders among rows [first_new:] to an attributing event of the 5 days
    before (any row); the credited orders take that event's profile (`profile` is changed in place).
    Returns (order seqs, engaged seqs, refs)."""
    _, attributing, conversion = metric_sets(metric_names)
    none = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))
    if conversion is None or not attributing:
        return none
    cand = np.flatnonzero(np.isin(metric, attributing) & (msg >= 0))
    if not len(cand):
        return none
    cand = cand[np.argsort(dt_us[cand], kind="stable")]
    cand_dt = dt_us[cand]
    orders = first_new + np.flatnonzero(metric[first_new:] == conversion)
    orders = orders[hashing.unit(seq[orders], seed * 43 + 1) < ATTRIBUTED_SHARE]
    lo = np.searchsorted(cand_dt, dt_us[orders] - WINDOW_US, side="left")
    hi = np.searchsorted(cand_dt, dt_us[orders], side="left")
    has = hi > lo
    orders, lo, hi = orders[has], lo[has], hi[has]
    pick = lo + (hashing.unit(seq[orders], seed * 43 + 2) * (hi - lo)).astype(np.int64)
    engaged = cand[np.minimum(pick, hi - 1)]
    profile[orders] = profile[engaged]
    return seq[orders], seq[engaged], msg[engaged]
