"""What happens to profiles besides updates: email suppressions, list suppressions, deletions, merges.

Every profile attribute derives from 16 seeded draws per profile (`draws`). A profile's global email
suppression is a column (`ProfileStore.supp_us`/`supp_reason`): from the draws at creation (a profile
whose consent is UNSUBSCRIBED has an UNSUBSCRIBE suppression) and from growth (`new_suppressions`), so
the suppression-timestamp filters and sorts of `/api/profiles` are numpy comparisons. `ProfileFates`
logs deletions, merges and list suppressions (small: what growth did).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loader.emulator import catalog, hashing

US = 1_000_000
# EmailMarketingSuppression.reason in get_profiles.json
REASONS = ("HARD_BOUNCE", "INVALID_EMAIL", "SPAM_COMPLAINT", "UNSUBSCRIBE", "USER_SUPPRESSED")
UNSUBSCRIBE = REASONS.index("UNSUBSCRIBE")
NONE = -1  # no suppression (reason code) / no timestamp


def draws(seed: int, indexes: np.ndarray, k: int | np.ndarray) -> np.ndarray:
    """Random draw number k (of 16) of each profile in [0, 1); every profile attribute derives from these."""
    offset = np.asarray(k, dtype=np.uint64)
    return hashing.unit(indexes.astype(np.uint64) * np.uint64(64) + offset, seed * 17 + 3)


def consent_stamp_us(created_us: np.ndarray, updated_us: np.ndarray, r6: np.ndarray) -> np.ndarray:
    """The consent timestamp of each profile (whole seconds), from its draw 6."""
    return (created_us + ((updated_us - created_us) * r6).astype(np.int64)) // US * US


def base_suppressions(seed: int, indexes: np.ndarray, created_us: np.ndarray,
                      updated_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(suppression timestamp or NONE, reason code or NONE) of new profiles: UNSUBSCRIBE at the consent
    timestamp for those whose consent is UNSUBSCRIBED."""
    consent = (draws(seed, indexes, 5) * len(catalog.CONSENTS)).astype(np.int64)
    unsubscribed = consent == catalog.CONSENTS.index("UNSUBSCRIBED")
    stamp = consent_stamp_us(created_us, updated_us, draws(seed, indexes, 6))
    return (np.where(unsubscribed, stamp, NONE).astype(np.int64),
            np.where(unsubscribed, UNSUBSCRIBE, NONE).astype(np.int8))


@dataclass(frozen=True)
class ListSuppression:
    """`subscriptions.email.marketing.list_suppressions[]` of a profile: unsubscribed from one list."""

    profile: int
    list_id: str
    reason: str
    timestamp_us: int


@dataclass(frozen=True)
class ProfileFates:
    deleted: tuple[tuple[int, int], ...] = ()  # (profile index, deleted at)
    merged: tuple[tuple[int, int, int], ...] = ()  # (source index, target index, merged at)
    list_suppressions: tuple[ListSuppression, ...] = ()

    def list_suppressions_of(self, profile: int) -> list[ListSuppression]:
        return [s for s in self.list_suppressions if s.profile == profile]


def pick(rng: np.random.Generator, candidates: np.ndarray, k: int) -> np.ndarray:
    """Up to k of the candidate indexes, without replacement, in the order drawn."""
    if k <= 0 or not len(candidates):
        return np.empty(0, np.int64)
    return rng.choice(candidates, size=min(k, len(candidates)), replace=False).astype(np.int64)
