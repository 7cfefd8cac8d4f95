"""`utc_text` gives byte for byte the text of Arrow's cast path (`format.utc_text_by_cast`), or None."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pytest

from loader.export.format import utc_text_by_cast
from loader.export.timestamp_text import utc_text

PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
FIRST_SECOND = int(datetime(1000, 1, 1, tzinfo=timezone.utc).timestamp())
END_SECOND = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()) + 1
INT64 = np.iinfo(np.int64)
EPOCH = datetime(1970, 1, 1)


def assert_same(arr: pa.Array) -> pa.Array:
    """`utc_text(arr)` equals the reference (values, nulls, type); returns it."""
    got = utc_text(arr)
    assert got is not None
    want = _reference(arr)
    assert got.type == pa.string()
    assert got.null_count == want.null_count
    if not got.equals(want):
        pairs = zip(got.to_pylist(), want.to_pylist(), strict=True)
        index, (mine, theirs) = next((i, p) for i, p in enumerate(pairs) if p[0] != p[1])
        pytest.fail(f"row {index} of {arr.type}: {mine!r} != reference {theirs!r} (raw {arr[index]!r})")
    return got


def _reference(arr: pa.Array) -> pa.Array:
    """The reference text, through Arrow's cast kernels."""
    return utc_text_by_cast(arr)


def oracle(raw: int, unit: str) -> str:
    """The text for one raw value computed independently, with Python's datetime (floor to seconds)."""
    return (EPOCH + timedelta(seconds=raw // PER_SECOND[unit])).strftime("%Y-%m-%d %H:%M:%S+00:00")


def random_raw(unit: str, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if unit == "ns":  # int64 nanoseconds only reach 1677..2262: any value is a valid instant
        return rng.integers(INT64.min + 1, INT64.max, count, dtype=np.int64)
    per_second = PER_SECOND[unit]
    return rng.integers(FIRST_SECOND * per_second, END_SECOND * per_second, count, dtype=np.int64)


@pytest.mark.parametrize(
    ("unit", "tz"),
    [
        ("s", None),
        ("s", "Asia/Kolkata"),
        ("ms", "America/New_York"),
        ("ms", None),
        ("us", "UTC"),
        ("us", None),
        ("ns", None),
        ("ns", "Europe/Berlin"),
    ],
)
def test_random_instants_match_reference(unit: str, tz: str | None) -> None:
    raw = random_raw(unit, 200_000, seed=len(unit) * 7 + (tz is None))
    arr = pa.array(raw, pa.timestamp(unit, tz))
    got = assert_same(arr)
    assert (raw < 0).any() and (raw > 0).any()  # both sides of 1970 were covered
    for index in range(0, len(raw), 997):  # and an independent check of a sample
        assert got[index].as_py() == oracle(int(raw[index]), unit)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_random_instants_with_nulls_match_reference(unit: str) -> None:
    raw = random_raw(unit, 200_000, seed=11)
    nulls = np.random.default_rng(12).random(len(raw)) < 0.1
    arr = pa.array(raw, pa.timestamp(unit, "UTC"), mask=nulls)
    got = assert_same(arr)
    assert np.array_equal(np.asarray(got.is_null()), nulls)


@pytest.mark.parametrize(
    ("unit", "raw", "text"),
    [
        ("s", -1, "1969-12-31 23:59:59+00:00"),
        ("ms", -1, "1969-12-31 23:59:59+00:00"),
        ("ms", -1_000, "1969-12-31 23:59:59+00:00"),
        ("ms", -1_001, "1969-12-31 23:59:58+00:00"),
        ("us", -86_400_000_001, "1969-12-30 23:59:59+00:00"),
        ("ns", -1, "1969-12-31 23:59:59+00:00"),
        ("ns", -999_999_999, "1969-12-31 23:59:59+00:00"),
        ("ns", -1_000_000_001, "1969-12-31 23:59:58+00:00"),
        ("us", 999_999, "1970-01-01 00:00:00+00:00"),
        ("us", FIRST_SECOND * 10**6 + 1, "1000-01-01 00:00:00+00:00"),
    ],
)
def test_before_1970_floors_to_the_earlier_second(unit: str, raw: int, text: str) -> None:
    for tz in (None, "UTC", "America/New_York"):
        arr = pa.array([raw, 0], pa.timestamp(unit, tz))
        assert assert_same(arr).to_pylist() == [text, "1970-01-01 00:00:00+00:00"]


CALENDAR = [
    (datetime(2000, 2, 29, 12, 0, 0), "2000-02-29 12:00:00+00:00"),
    (datetime(2000, 3, 1), "2000-03-01 00:00:00+00:00"),
    (datetime(1900, 2, 28, 23, 59, 59), "1900-02-28 23:59:59+00:00"),
    (datetime(1900, 3, 1), "1900-03-01 00:00:00+00:00"),
    (datetime(2100, 2, 28, 23, 59, 59, 999_999), "2100-02-28 23:59:59+00:00"),
    (datetime(2100, 3, 1), "2100-03-01 00:00:00+00:00"),
    (datetime(1600, 2, 29, 1, 2, 3), "1600-02-29 01:02:03+00:00"),
    (datetime(2024, 2, 29, 23, 59, 59), "2024-02-29 23:59:59+00:00"),
    (datetime(1999, 12, 31, 23, 59, 59, 999_999), "1999-12-31 23:59:59+00:00"),
    (datetime(1969, 12, 31, 23, 59, 59, 500_000), "1969-12-31 23:59:59+00:00"),
    (datetime(2016, 12, 31, 23, 59, 59), "2016-12-31 23:59:59+00:00"),
    (datetime(2017, 1, 1), "2017-01-01 00:00:00+00:00"),
    (datetime(1000, 1, 1), "1000-01-01 00:00:00+00:00"),
    (datetime(1583, 10, 15, 10, 9, 8), "1583-10-15 10:09:08+00:00"),
    (datetime(9999, 12, 31, 23, 59, 59, 999_999), "9999-12-31 23:59:59+00:00"),
]


@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York"])
@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_leap_days_and_year_ends(unit: str, tz: str | None) -> None:
    per_unit = timedelta(seconds=1) / PER_SECOND[unit]
    raw = [(moment - EPOCH) // per_unit for moment, _ in CALENDAR]  # floor division of timedeltas
    arr = pa.array(raw, pa.timestamp(unit, tz))
    assert assert_same(arr).to_pylist() == [text for _, text in CALENDAR]


def test_leap_days_in_nanoseconds() -> None:
    inside = [(moment, text) for moment, text in CALENDAR if 1678 <= moment.year <= 2261]
    arr = pa.array([moment for moment, _ in inside], pa.timestamp("us")).cast(pa.timestamp("ns"))
    assert assert_same(arr).to_pylist() == [text for _, text in inside]


def test_sliced_array_with_nulls() -> None:
    raw = random_raw("ms", 1_000, seed=5)
    nulls = np.zeros(len(raw), dtype=bool)
    nulls[[0, 2, 3, 9, 10, 500, 998]] = True
    whole = pa.array(raw, pa.timestamp("ms", "America/New_York"), mask=nulls)
    for start, length in [(3, 500), (9, 990), (1, 7), (13, 1)]:
        part = whole.slice(start, length)
        assert part.offset == start
        got = assert_same(part)
        assert np.array_equal(np.asarray(got.is_null()), nulls[start : start + length])
        valid = ~nulls[start : start + length]
        expected = [oracle(int(v), "ms") for v in raw[start : start + length][valid]]
        assert [t for t in got.to_pylist() if t is not None] == expected


def test_all_nulls() -> None:
    arr = pa.nulls(20, pa.timestamp("us", "UTC"))
    assert assert_same(arr).to_pylist() == [None] * 20


@pytest.mark.parametrize(
    "arr",
    [
        pa.array([datetime(999, 12, 31, 23, 59, 59), datetime(2000, 1, 1)], pa.timestamp("us")),
        pa.array([datetime(2000, 1, 1), datetime(1, 1, 1)], pa.timestamp("ms", "UTC")),
        pa.array([0, END_SECOND], pa.timestamp("s")),
        pa.array([FIRST_SECOND * 1_000 - 1], pa.timestamp("ms")),
        pa.array([], pa.timestamp("us", "UTC")),
    ],
    ids=["year-999", "year-1", "year-10000", "just-before-1000", "empty"],
)
def test_out_of_range_or_empty_falls_back(arr: pa.Array) -> None:
    assert utc_text(arr) is None


def test_out_of_range_value_under_a_null_is_ignored() -> None:
    raw = np.array([0, END_SECOND * 10, FIRST_SECOND * 10, 86_400], dtype=np.int64)
    arr = pa.array(raw, pa.timestamp("s"), mask=np.array([False, True, True, False]))
    assert assert_same(arr).to_pylist() == [
        "1970-01-01 00:00:00+00:00",
        None,
        None,
        "1970-01-02 00:00:00+00:00",
    ]


def test_range_edges_are_kept() -> None:
    arr = pa.array([FIRST_SECOND, END_SECOND - 1], pa.timestamp("s"))
    assert assert_same(arr).to_pylist() == ["1000-01-01 00:00:00+00:00", "9999-12-31 23:59:59+00:00"]


def test_ambiguous_local_time_before_1970_is_exact() -> None:
    """Europe/Berlin 02:57:27 on 2017-10-29 happened twice; the text is of the UTC instant."""
    instants = [datetime(1969, 12, 31, 23, 59, 59, 500_000), datetime(2017, 10, 29, 0, 57, 27, 250_000)]
    raw = [(moment - EPOCH) // timedelta(microseconds=1) for moment in instants]
    arr = pa.array(raw, pa.timestamp("us", "Europe/Berlin"))
    expected = ["1969-12-31 23:59:59+00:00", "2017-10-29 00:57:27+00:00"]
    assert utc_text(arr).to_pylist() == expected
    assert utc_text_by_cast(arr).to_pylist() == expected  # the cast path floors the UTC view too
