"""The one error type the CLI turns into `Error: <what> (<where>) - <how to fix>`."""

from __future__ import annotations


class SyncError(Exception):
    """A user-facing failure: what went wrong, where, and how to fix it.

    `where` names the file, row, column, config key, URL or table concerned. The message must
    never contain a secret: pass external text through `loader.secrets.redact` first.
    """

    def __init__(self, what: str, where: str, fix: str, *, code: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        self.code = code
        super().__init__(f"{what} ({where}) - {fix}")
