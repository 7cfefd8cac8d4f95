"""Lists, structs and maps as JSON text for Klaviyo (one value per cell).

Decimals stay JSON numbers (`[1.5,2.0]`, written as their plain decimal text through
`orjson.Fragment`), maps become JSON objects (`{"k":1}`; non-text keys as their text). Floats are
orjson's shortest JSON numbers (an exponent such as `1e+20` is valid JSON and kept inside JSON),
non-finite floats `null`, timestamps RFC 3339; any other Python value falls back to its text.
"""

from __future__ import annotations

from decimal import Decimal

import orjson
import pyarrow as pa


def json_text(arr: pa.Array) -> pa.Array:
    """Each non-null nested value as compact JSON text."""
    values = arr.to_pylist(maps_as_pydicts="strict")
    dumped = [
        None if value is None else orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)
        for value in values
    ]
    return pa.array(dumped, pa.binary()).cast(pa.string())


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return orjson.Fragment(format(value, "f").encode())
    return str(value)
