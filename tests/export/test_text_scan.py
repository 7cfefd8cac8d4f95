"""The fast column proofs agree with the exact per-value rules they stand in for.

Soundness is what matters: a proof may say "not proven" for a valid column (the exact rule then
runs), but must never say "all valid" for a column with an invalid value. Random columns over a
small alphabet hit the edge cases (`@` first or last, `..`, dots at the domain edges, whitespace,
non-ASCII) often; the counts check that the proofs do prove the common valid columns.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from loader.export.text_scan import all_e164, all_emails, longest_bytes, non_empty, plain_edges
from loader.export.validate import E164_PATTERN, EMAIL_PATTERN


def _columns(alphabet: list[str], seed: int, count: int = 6000) -> list[pa.Array]:
    rng = random.Random(seed)
    columns = []
    for _ in range(count):
        values: list[str | None] = []
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.08:
                values.append(None)
            elif roll < 0.12:
                values.append("")
            else:
                values.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))))
        column = pa.array(values, pa.string())
        columns.append(column.slice(1) if len(column) > 1 and rng.random() < 0.2 else column)
    return columns


def _exact(column: pa.Array, pattern: str) -> bool:
    present = pc.and_(pc.is_valid(column), pc.not_equal(column, ""))
    matched = pc.match_substring_regex(column, pattern)
    return pc.all(pc.or_kleene(pc.invert(present), matched)).as_py() is not False


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_email_proof_never_accepts_a_column_the_regex_rejects(seed: int) -> None:
    alphabet = ["a", "b", ".", ".", "@", "@", " ", "\t", "\v", "é", "\u00a0", "+", "_"]
    proven = 0
    for column in _columns(alphabet, seed):
        if all_emails(column):
            proven += 1
            assert _exact(column, EMAIL_PATTERN), column.to_pylist()
    assert proven > 100  # the random columns do include valid ones, and they are proven


@pytest.mark.parametrize("seed", [1, 2])
def test_e164_proof_never_accepts_a_column_the_regex_rejects(seed: int) -> None:
    alphabet = ["+", "0", "1", "5", "9", "9", "3", " ", "-", "a"]
    proven = 0
    for column in _columns(alphabet, seed):
        if all_e164(column):
            proven += 1
            assert _exact(column, E164_PATTERN), column.to_pylist()
    assert proven > 20


def test_common_valid_columns_are_proven() -> None:
    emails = pa.array(["a@b.co", "first.last+tag@mail.example.org", None, "", "jürgen@exämple.de"])
    phones = pa.array(["+14155550123", None, "", "+442071838750", "+123"])
    assert all_emails(emails) and all_emails(emails.slice(1))
    assert all_e164(phones) and all_e164(phones.slice(2))


@pytest.mark.parametrize(
    "bad",
    ["@b.co", "a@.co", "a@b.", "a@b", "a@b..co", "a b@c.co", "a@b@c.co", "a@b.co\n", "ab.co"],
)
def test_each_email_defect_is_caught(bad: str) -> None:
    assert not all_emails(pa.array(["ok@example.com", bad, "x@y.io"]))


@pytest.mark.parametrize("bad", ["+0155", "+1", "14155550123", "+1415 555", "+12345678901234567", "+1a5"])
def test_each_e164_defect_is_caught(bad: str) -> None:
    assert not all_e164(pa.array(["+14155550123", bad]))


def test_a_null_slot_pointing_at_bytes_is_not_proven() -> None:
    column = pa.array(["a@b.co", "c@d.co"])
    validity = pa.py_buffer(bytes([0b01]))
    masked = pa.Array.from_buffers(pa.string(), 2, [validity, *column.buffers()[1:]])
    assert masked.to_pylist() == ["a@b.co", None]
    assert not all_emails(masked)


def test_edges_and_length() -> None:
    assert plain_edges(pa.array(["abc", None, "", "a b"]))
    for padded in [" abc", "abc\t", "abc\u00a0", "\u2003abc"]:
        assert not plain_edges(pa.array(["x", padded]))
    assert longest_bytes(pa.array(["abc", None, "é"])) == 3
    assert longest_bytes(pa.array(["abcdef", None, "é"]).slice(1)) == 2
    assert longest_bytes(pa.array([], pa.string())) == 0


def test_non_empty_matches_the_values() -> None:
    for column in _columns(["a", "é", " "], seed=4, count=500):
        expected = [value not in (None, "") for value in column.to_pylist()]
        assert non_empty(column).tolist() == expected, column.to_pylist()


def test_the_e164_answer_is_kept_only_for_the_same_column() -> None:
    good = pa.array(["+14155550123"])
    assert all_e164(good) and all_e164(good)
    bad = pa.array(["+1415 555"])  # a new column is checked, not answered from memory
    assert not all_e164(bad)
    assert all_e164(good)
