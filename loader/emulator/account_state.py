"""One emulated Klaviyo account's state: its data set (grown while serving), rate-limit budget, faults,
stats, key and ground truth. The endpoint handlers read it; it knows nothing of HTTP."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from loader.emulator import dataset
from loader.emulator.config import EmulatorConfig, FaultConfig
from loader.emulator.dataset import US, Snapshot
from loader.emulator.faults import FaultInjector
from loader.emulator.groups import GroupGrowth
from loader.emulator.marketing import MarketingGrowth
from loader.emulator.ratelimit import RateLimiter
from loader.emulator.stats import Stats
from loader.emulator.truth import Truth

UNSERVED_BASE_URL = "http://127.0.0.1"  # what links name before a server has bound a port


class AccountState:
    """Builds the data set at construction (anchored at the current UTC time, or `anchor_us`)."""

    def __init__(self, config: EmulatorConfig | None = None, *, anchor_us: int | None = None) -> None:
        self.config = config or EmulatorConfig()
        c = self.config
        anchor = anchor_us if anchor_us is not None else int(time.time() * US)
        contact = c.account_attributes()["contact_information"]
        self._snapshot = dataset.build(c.seed, c.profiles, c.events, c.metrics, c.history_days,
                                       c.future_events, anchor, c.id_seed, n_campaigns=c.campaigns,
                                       n_flows=c.flows, sender=(contact["default_sender_name"],
                                                                contact["default_sender_email"]),
                                       n_lists=c.lists, n_segments=c.segments)
        self._grow_lock = threading.Lock()
        self.rate_limiter = (RateLimiter(c.rate_limit_scale, header_form=c.ratelimit_header_form)
                             if c.rate_limits else None)
        self.fault_injector: FaultInjector | None = None
        self.set_faults(c.faults)
        self.stats = Stats()
        self.truth = Truth(self)
        # The one place the account's base URL is held (its links and its truth's links name it); only
        # EmulatorServer writes it, when it has bound its port.
        self.base_url = UNSERVED_BASE_URL
        self._key_revoked = False

    @property
    def account_id(self) -> str:
        """Klaviyo's id of this account (`EmulatorConfig.account_id`, else derived from the seed)."""
        return self.config.effective_account_id

    @property
    def key_revoked(self) -> bool:
        return self._key_revoked

    def revoke_key(self) -> None:
        """Revoke the account's private key: from now on every /api request with it is 401
        `not_authenticated`, as the real API answers a revoked key. Other served accounts are unaffected."""
        self._key_revoked = True

    def restore_key(self) -> None:
        """Undo revoke_key() (the real API cannot: a revoked key is gone; tests use it to recover)."""
        self._key_revoked = False

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault configuration (the seeded sequence restarts)."""
        self.fault_injector = FaultInjector(faults) if faults.any_enabled() else None

    def grow(self, new_events: int = 0, late_events: int = 0, late_by: timedelta = timedelta(minutes=30),
             future_events: int = 0, updated_profiles: int = 0, new_profiles: int = 0,
             now_us: int | None = None, *, new_campaigns: int = 0, edited_campaigns: int = 0,
             archived_campaigns: int = 0, deleted_campaigns: int = 0, new_flows: int = 0,
             edited_flows: int = 0, deleted_flows: int = 0, late_attributions: int = 0,
             list_joins: int = 0, list_leaves: int = 0, segment_joins: int = 0, segment_leaves: int = 0,
             new_lists: int = 0, new_segments: int = 0, deleted_lists: int = 0, deleted_segments: int = 0,
             new_suppressions: int = 0, deleted_profiles: int = 0, merged_profiles: int = 0) -> Snapshot:
        """Add data as of now: new events since the last growth (engagement events naming the messages
        sending now, orders credited to them), late and future-dated events, updated and new profiles;
        new, edited (`updated_at` moves), archived and deleted (gone from every listing) campaigns; new,
        edited (a new version: `updated` moves, actions and messages change) and deleted flows; late
        credit on `Placed Order` events 1-6 days old; random profiles joining and members leaving lists
        and active segments (half of the list leaves unsubscribe: a list suppression), new (empty) and
        deleted lists and segments; new email suppressions (`updated` does not move), deleted profiles
        (gone from every listing and membership, their events kept, rendered redacted) and merges (the
        source vanishes, its events and memberships go to the target). Safe while serving: requests see
        either the old or the new snapshot."""
        mk = MarketingGrowth(new_campaigns, edited_campaigns, archived_campaigns, deleted_campaigns,
                             new_flows, edited_flows, deleted_flows)
        growth = dataset.Growth(new_events, late_events, int(late_by.total_seconds() * US), future_events,
                                updated_profiles, new_profiles, mk, late_attributions,
                                GroupGrowth(list_joins, list_leaves, segment_joins, segment_leaves, new_lists,
                                            new_segments, deleted_lists, deleted_segments),
                                new_suppressions, deleted_profiles, merged_profiles)
        with self._grow_lock:
            now = now_us if now_us is not None else int(time.time() * US)
            self._snapshot = dataset.grow(self._snapshot, growth, now)
            return self._snapshot

    def counts(self) -> dict[str, Any]:
        snap = self._snapshot
        mk = snap.marketing
        gr = snap.groups
        return {"events": len(snap.events), "profiles": int((~snap.profiles.gone).sum()),
                "metrics": len(snap.metrics),
                "lists": sum(not g.deleted for g in gr.lists),
                "segments": sum(not g.deleted for g in gr.segments),
                "campaigns": sum(not c.deleted for c in mk.campaigns),
                "flows": sum(not f.deleted for f in mk.flows), "attributions": len(snap.attributions),
                "generation": snap.generation}

    def describe(self) -> dict[str, Any]:
        """The account as the control endpoints list it (the key is an emulator test key)."""
        contact = self.config.account_attributes()["contact_information"]
        return {"account_id": self.account_id, "api_key": self.config.api_key,
                "organization_name": contact["organization_name"],
                "key_revoked": self._key_revoked, "seed": self.config.seed, "id_seed": self.config.id_seed}
