"""The error types the CLI turns into `Error: <what> (<where>) - <how to fix>`.

Whether a failed run is worth retrying is decided where the error is raised, by its type:

- `SyncError`: permanent. Running again without a change cannot help: a bad setting, a rejected
  API key, a missing scope, invalid data, a misspelt metric. The ops runner fails it at once.
- `TransientError`: the same run may well succeed later: the network, Klaviyo answering 5xx or 429
  after the client's own retries, a malformed page, a warehouse that is down. The ops runner
  records it Errored and retries the run with backoff.
"""

from __future__ import annotations


class SyncError(Exception):
    """A user-facing failure that retrying will not fix: what went wrong, where, how to fix it.

    `where` names the file, row, column, config key, URL or table concerned. The message must
    never contain a secret: pass external text through `loader.secrets.redact` first. `code` is
    shown to the user (the HTTP status, the warehouse's code, ...); it does not decide retries.
    """

    retryable = False

    def __init__(self, what: str, where: str, fix: str, *, code: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        self.code = code
        super().__init__(f"{what} ({where}) - {fix}")

    def located(self, where: str) -> SyncError:
        """The same error (same type, code and fix) at another `where`, caused by this one."""
        moved = type(self)(self.what, where, self.fix, code=self.code)
        moved.__cause__ = self
        return moved


class TransientError(SyncError):
    """A failure that may pass: network, Klaviyo 5xx/429 after retries, warehouse outages."""

    retryable = True


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (dlt wraps step failures in `.exception`)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        inner = getattr(current, "exception", None)
        if isinstance(inner, BaseException):
            current = inner
        else:
            context = None if current.__suppress_context__ else current.__context__
            current = current.__cause__ or context
    return seen


def is_transient(exc: BaseException) -> bool:
    """Whether an exception that is not ours is worth a retry: dlt's own judgement of destination
    errors (terminal: bad data or SQL; transient or unclassified: an outage), and OS-level I/O and
    network errors. Anything else is a bug that a retry would only repeat."""
    from dlt.common.destination.exceptions import DestinationException, DestinationTerminalException

    if isinstance(exc, DestinationTerminalException):
        return False
    return isinstance(exc, (DestinationException, OSError))
