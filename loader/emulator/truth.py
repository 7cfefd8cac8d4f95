"""Ground truth for tests: exactly the resources the API would serve now (meant for small datasets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from loader.emulator.dataset import Snapshot
from loader.emulator.event_resources import render_events
from loader.emulator.filters import to_epoch_us
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
