"""Summary, code and external message of an exception, for the error drawer (secrets removed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from loader.errors import SyncError, chain
from loader.secrets import redact

MAX_MESSAGE = 2000


@dataclass(frozen=True)
class ErrorInfo:
    summary: str
    code: str
    external_message: str


def describe(exc: BaseException, secrets: Iterable[str | None] = ()) -> ErrorInfo:
    """`summary`: our one-line description; `code`: the HTTP/warehouse code or the error type;
    `external_message`: the innermost cause's own text (the API's or the warehouse's words)."""
    secrets = list(secrets)
    root = _innermost(exc)
    sync_error = next((e for e in chain(exc) if isinstance(e, SyncError)), None)
    if sync_error is not None:
        summary = sync_error.what
        code = sync_error.code or _code_of(root) or type(root).__name__
    else:
        summary = f"{type(root).__name__}: {_first_line(str(root))}"
        code = _code_of(root) or type(root).__name__
    message = str(root) or type(root).__name__
    return ErrorInfo(
        summary=_clip(redact(summary, secrets), 300),
        code=redact(str(code), secrets),
        external_message=_clip(redact(message, secrets), MAX_MESSAGE),
    )


def _innermost(exc: BaseException) -> BaseException:
    return chain(exc)[-1]


def _code_of(exc: BaseException) -> str | None:
    for attribute in ("code", "status_code", "pgcode", "errno", "sqlstate"):
        value = getattr(exc, attribute, None)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return str(status) if status else None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
