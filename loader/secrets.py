"""Keep secrets out of logs, errors, tables and reports."""

from __future__ import annotations

import re
from collections.abc import Iterable

_KLAVIYO_KEY = re.compile(r"pk_[A-Za-z0-9_]{6,}")
_AUTH_HEADER = re.compile(r"(Klaviyo-API-Key)\s+\S+", re.IGNORECASE)
_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@/\s]+(@)")
MASK = "***"


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with known secret values and secret-looking tokens masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _PRIVATE_KEY_BLOCK.sub(MASK, text)
    text = _AUTH_HEADER.sub(rf"\1 {MASK}", text)
    text = _URL_PASSWORD.sub(rf"\1{MASK}\2", text)
    return _KLAVIYO_KEY.sub(MASK, text)
