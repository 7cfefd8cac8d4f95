"""Numbers as plain decimal text for Klaviyo: no exponent, no infinity, no NaN.

Arrow's casts write the shortest text that reads back as the same value, switching to an exponent
for very large or small magnitudes (`1e+20`, `1e-7` for doubles, `1E-10` for decimals). Only those
values are rewritten, as the plain decimal form of exactly that text (`format(Decimal(text), "f")`:
the same digits, so the same double or decimal); every other value keeps its bytes. Whether any value
needs it is one numpy pass over the text's bytes looking for `e`/`E`, so the common column costs
nothing more. Infinities (and NaN) become empty values, like missing ones: Klaviyo has no number
for them.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loader.export import text_scan

_LOWER_E = ord("e")


def float_text(arr: pa.Array) -> pa.Array:
    """A float column as plain decimal text; NaN and +/-infinity become null."""
    finite = pc.is_finite(arr)
    text = pc.cast(arr, pa.string())
    if pc.all(finite).as_py() is False:
        text = pc.if_else(finite, text, pa.scalar(None, pa.string()))
    return plain_decimals(text)


def plain_decimals(text: pa.Array) -> pa.Array:
    """`text` with every value in exponent notation rewritten as plain decimal text."""
    if not _has_exponent_byte(text):
        return text
    marked = pc.fill_null(pc.match_substring_regex(text, "[eE]"), False)
    rows = pc.indices_nonzero(marked).to_pylist()
    if not rows:
        return text
    plain = [format(Decimal(text[i].as_py()), "f") for i in rows]
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = True
    replacement = np.full(len(text), None, dtype=object)
    replacement[rows] = plain
    return pc.if_else(pa.array(mask), pa.array(replacement, pa.string()), text)


def _has_exponent_byte(text: pa.Array) -> bool:
    """Whether the bytes behind `text` hold an `e` or `E` anywhere (a superset test: exact rows
    are found afterwards)."""
    if len(text) == 0:
        return False
    data = text.buffers()[2]
    if data is None:
        return False
    offsets = text_scan.offsets(text)
    raw = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return bool(((raw | 0x20) == _LOWER_E).any())  # 'E' | 0x20 == 'e'; no other byte maps there
