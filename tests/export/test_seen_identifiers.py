"""The set of identifier hashes behind the duplicate check agrees with a plain Python set.

Small limits make every mechanism run in a few thousand values: the bitset is rebuilt as it grows,
runs merge like a binary counter, and merged runs stop at their size limit.
"""

from __future__ import annotations

import numpy as np

from loader.export.validate import _SortedRuns


class _Small(_SortedRuns):
    MIN_BITS, MAX_BITS, BITS_PER_VALUE = 8, 14, 16
    MAX_RUNS = 2
    MAX_RUN_VALUES = 256


def test_membership_matches_a_set_through_growth_merges_and_the_run_cap() -> None:
    rng = np.random.default_rng(7)
    seen = _Small()
    expected: set[int] = set()
    for _ in range(60):
        batch = np.unique(rng.integers(0, 2**64 - 1, size=int(rng.integers(1, 120)), dtype=np.uint64))
        probe = np.sort(np.concatenate([batch, rng.choice(np.array(sorted(expected) or [0], np.uint64), 20)]))
        assert seen.contains(probe).tolist() == [int(v) in expected for v in probe]
        new = batch[~seen.contains(batch)]
        seen.add(new)
        expected.update(int(v) for v in new)
    assert seen.size == len(expected) == sum(run.size for run in seen.runs)
    assert all(run.size <= _Small.MAX_RUN_VALUES for run in seen.runs)
    assert all((np.diff(run) > 0).all() for run in seen.runs)  # each run sorted and distinct
    assert seen.bits == _Small.MAX_BITS  # grew to its limit and still answers exactly
    assert len(seen.runs) > _Small.MAX_RUNS  # capped runs are kept side by side, not merged
