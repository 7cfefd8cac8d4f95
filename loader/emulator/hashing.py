"""Vectorised, seed-stable hashing and id encoding (every generated value derives from seed + row number)."""

from __future__ import annotations

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = 0x9E3779B97F4A7C15
_MASK = 0xFFFFFFFFFFFFFFFF
BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
CROCKFORD = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)


def mix(values: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 finaliser of (values + salt): a bijection on uint64, so distinct inputs stay distinct."""
    # uint64 array arithmetic wraps silently; the scalar offset is computed with Python ints
    z = values.astype(np.uint64) + np.uint64((salt * _GOLDEN) & _MASK)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def unit(values: np.ndarray, salt: int) -> np.ndarray:
    """Uniform floats in [0, 1) derived from (values, salt)."""
    return (mix(values, salt) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def encode(values: np.ndarray, alphabet: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width digits of uint64 values in `alphabet`, most significant first: uint8 array (n, width).
    The leading digit absorbs whatever the lower ones do not (so it may reduce modulo the base)."""
    base = len(alphabet)
    powers = np.array([base**k for k in range(width - 1, -1, -1)], dtype=np.uint64)
    digits = (values.astype(np.uint64)[:, None] // powers[None, :]) % np.uint64(base)
    return alphabet[digits.astype(np.intp)]


def to_strings(chars: np.ndarray) -> np.ndarray:
    """uint8 array (n, width) -> numpy unicode array of n strings."""
    width = chars.shape[1]
    return np.ascontiguousarray(chars).view(f"S{width}").ravel().astype(f"U{width}")


def event_ids(seqs: np.ndarray, seed: int) -> np.ndarray:
    """27-character base62 event ids; the first 11 characters encode a bijection of seq, so ids are unique."""
    head = encode(mix(seqs, seed * 3 + 1), BASE62, 11)
    body = encode(mix(seqs, seed * 3 + 2), BASE62, 11)
    tail = encode(mix(seqs, seed * 3 + 3), BASE62, 5)
    return to_strings(np.hstack([head, body, tail]))


ID_EPOCH_MS = 1_600_000_000_000  # 2020-09-13: the time part of profile ids under an explicit id_seed


def profile_ids(indexes: np.ndarray, created_us: np.ndarray | None, seed: int) -> np.ndarray:
    """26-character ULID-like profile ids: 10 Crockford chars of created milliseconds + 16 of hash.
    With `created_us` None (an explicit id_seed) the time part comes from the index alone, rising with
    it, so the ids do not depend on the dataset's anchor or content."""
    if created_us is None:
        ms = np.uint64(ID_EPOCH_MS) + indexes.astype(np.uint64) * np.uint64(60_000) + (
            mix(indexes, seed * 5 + 3) % np.uint64(60_000))
    else:
        ms = (created_us // 1000).astype(np.uint64)
    stamp = encode(ms, CROCKFORD, 10)
    low = encode(mix(indexes, seed * 5 + 1), CROCKFORD, 12)  # 60 of 64 hash bits: collisions ~n²/2^61
    extra = encode(mix(indexes, seed * 5 + 2), CROCKFORD, 4)
    return to_strings(np.hstack([stamp, extra, low]))


def uuids(seqs: np.ndarray, seed: int) -> np.ndarray:
    """Deterministic UUID strings (version-1 shaped, like Klaviyo's event uuids)."""
    hi = encode(mix(seqs, seed * 7 + 1), HEX, 16)
    lo = encode(mix(seqs, seed * 7 + 2), HEX, 16)
    dash = np.full((len(hi), 1), ord("-"), dtype=np.uint8)
    one = np.full((len(hi), 1), ord("1"), dtype=np.uint8)
    return to_strings(np.hstack([hi[:, :8], dash, hi[:, 8:12], dash, one, hi[:, 13:16], dash,
                                 lo[:, :4], dash, lo[:, 4:16]]))
