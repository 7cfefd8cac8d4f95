"""Timestamps as `YYYY-MM-DD HH:MM:SS+00:00` text, built with numpy integer arithmetic.

Why: the CSV export turns every timestamp column into this fixed-width UTC text. The reference path in
`format._utc_text` casts through Arrow's string kernels and then appends the suffix; writing the 25
ASCII bytes of each value straight into one `(n, 25)` byte matrix is about 3.5x faster (about 22 ms
instead of 78 ms per million values). Two choices make it so: the digits are OR-ed into three 8-byte
words per row (four stores a row instead of 25 single-byte columns), and the values go through in
chunks of 65536 so the temporaries stay in the CPU cache.

Why it is exact: Arrow stores a zoned timestamp as the UTC instant (a naive one is taken as UTC), so
the int64 values need no time-zone work. Floor division by the unit gives whole seconds rounded towards
the earlier second, as the reference does (it floors before 1970, truncation equals floor after). Days
and second-of-day follow from one more floor division; days become a proleptic Gregorian civil date
through the era-based days-to-civil method described by Howard Hinnant ("chrono-Compatible Low-Level
Date Algorithms"), written here from that description as vectorised integer arithmetic. Only years
1000..9999 are handled, where every value is exactly 25 bytes; outside that the caller falls back.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

WIDTH = 25
# The 25 bytes of a value as three little-endian 8-byte words and one last byte; the words start as
# the constant text ("0" where a digit goes) and each digit (0-9) is OR-ed into its byte.
_ROW = np.dtype(
    {
        "names": ["a", "b", "c", "d"],
        "formats": ["<u8", "<u8", "<u8", "u1"],
        "offsets": [0, 8, 16, 24],
        "itemsize": WIDTH,
    }
)
_WORDS = [np.uint64(int.from_bytes(part, "little")) for part in (b"0000-00-", b"00 00:00", b":00+00:0")]
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_EPOCH = date(1970, 1, 1).toordinal()
_FIRST_DAY = date(1000, 1, 1).toordinal() - _EPOCH  # days since 1970-01-01
_LAST_DAY = date(9999, 12, 31).toordinal() - _EPOCH
_DAY = 86_400
_CHUNK = 1 << 16  # values per step: 65536 measured fastest (smaller: call overhead)
_MAX_OFFSET = 2**31 - 1  # string offsets are int32
_MARCH_0000 = 719_468  # days from 0000-03-01 to 1970-01-01


def utc_text(arr: pa.Array) -> pa.Array | None:
    """`arr` (a timestamp array of any unit, zoned or naive) as UTC text, nulls kept as nulls.

    None when the array is empty, its text would pass the 2 GiB int32 offset limit of a string
    array, or a non-null value lies outside years 1000..9999 (the text would not be 25 bytes).
    """
    count = len(arr)
    if count == 0 or count * WIDTH > _MAX_OFFSET:
        return None
    per_second = _PER_SECOND[arr.type.unit]
    raw = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=arr.offset + count)[arr.offset :]
    valid = _valid_mask(arr)
    if valid is not None:
        raw = np.where(valid, raw, 0)  # null slots may hold anything; 0 (1970) is a safe date
    lowest, highest = int(raw.min()), int(raw.max())
    if lowest < _FIRST_DAY * _DAY * per_second or highest >= (_LAST_DAY + 1) * _DAY * per_second:
        return None
    out = np.empty((count, WIDTH), dtype=np.uint8)
    rows = out.reshape(-1).view(_ROW)
    for start in range(0, count, _CHUNK):  # chunks keep the temporaries in the CPU cache
        _write_rows(rows[start : start + _CHUNK], raw[start : start + _CHUNK], per_second)
    offsets = np.arange(0, WIDTH * (count + 1), WIDTH, dtype=np.int32)
    validity = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(out)]
    return pa.Array.from_buffers(pa.string(), count, buffers, null_count=arr.null_count)


def _valid_mask(arr: pa.Array) -> np.ndarray | None:
    """One bool per value (True = not null), honouring `arr.offset`; None when there are no nulls."""
    if arr.null_count == 0 or arr.buffers()[0] is None:
        return None
    bits = np.frombuffer(arr.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little", count=arr.offset + len(arr))[arr.offset :].astype(bool)


def _write_rows(rows: np.ndarray, raw: np.ndarray, per_second: int) -> None:
    seconds = raw // per_second if per_second != 1 else raw  # floor: the earlier second before 1970
    days = seconds // _DAY
    second_of_day = (seconds - days * _DAY).astype(np.uint32)
    # years >= 1000, so counted from 0000-03-01 every day number is positive: unsigned from here
    _write_words(rows, (days + _MARCH_0000).astype(np.uint32), second_of_day)


def _civil(day_number: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12), day (1-31) of each uint32 count of days since 0000-03-01.

    The idea (Hinnant): counting from 0000-03-01 puts the leap day at the end of each year; split
    into 400-year eras of 146097 days, find the year of the era from the day of the era (correcting
    for the 4/100/400-year leap rules), then the month of the March-based year with the linear
    formula (153 * month + 2) // 5, which gives the days before each month.
    """
    era = day_number // np.uint32(146_097)
    day_of_era = day_number - era * np.uint32(146_097)  # 0..146096
    year_of_era = (
        day_of_era
        - day_of_era // np.uint32(1_460)
        + day_of_era // np.uint32(36_524)
        - day_of_era // np.uint32(146_096)
    ) // np.uint32(365)  # 0..399
    day_of_year = day_of_era - (
        np.uint32(365) * year_of_era + year_of_era // np.uint32(4) - year_of_era // np.uint32(100)
    )  # 0..365
    march_month = (np.uint32(5) * day_of_year + np.uint32(2)) // np.uint32(153)  # 0 = March .. 11 = Feb
    day = day_of_year + np.uint32(1) - (np.uint32(153) * march_month + np.uint32(2)) // np.uint32(5)
    january_or_february = (march_month >= np.uint32(10)).view(np.uint8)
    month = march_month + np.uint32(3) - np.uint32(12) * january_or_february
    year = year_of_era + era * np.uint32(400) + january_or_february
    return year.astype(np.uint16), month.astype(np.uint16), day.astype(np.uint16)


def _write_words(rows: np.ndarray, day_number: np.ndarray, second_of_day: np.ndarray) -> None:
    """Fill each 25-byte row: `YYYY-MM-` | `DD HH:MM` | `:SS+00:0` | `0`."""
    year, month, day = _civil(day_number)
    hour = second_of_day // np.uint32(3_600)
    second_of_hour = second_of_day - hour * np.uint32(3_600)
    minute = second_of_hour // np.uint32(60)
    second = (second_of_hour - minute * np.uint32(60)).astype(np.uint16)
    century = year // np.uint16(100)
    rows["a"] = (
        _WORDS[0]
        | _digits(century)
        | _digits(year - century * np.uint16(100)) << np.uint64(16)
        | _digits(month) << np.uint64(40)
    )
    rows["b"] = (
        _WORDS[1]
        | _digits(day)
        | _digits(hour.astype(np.uint16)) << np.uint64(24)
        | _digits(minute.astype(np.uint16)) << np.uint64(48)
    )
    rows["c"] = _WORDS[2] | _digits(second) << np.uint64(8)
    rows["d"] = ord("0")


def _digits(value: np.ndarray) -> np.ndarray:
    """Two-digit uint16 values (0-99) as two bytes, tens first in memory order, as uint64 words."""
    tens = value // np.uint16(10)
    ones = value - tens * np.uint16(10)
    return (tens | ones << np.uint16(8)).astype(np.uint64)
