"""The import history: one record per uploaded file, like Klaviyo's "recent imports" list.

`History` is what the uploader needs of it: `record` a status change, read back the latest
`records`. It lives in the warehouse ledger (`klaviyo_sync_imports`, `ledger_history`). This module
keeps the previous release's format, a local JSON Lines file (`klaviyo_sync_imports.jsonl` in the
working directory, or `[export] history_path`): append-only, one line per status change, the last
line per upload id wins; appends are locked (threads and processes) so lines never mix. Such a file
is migrated into the ledger once (`history_migration`); `upload --history FILE` still writes one,
for a machine without a warehouse.
"""

from __future__ import annotations

import fcntl
import json
import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Protocol

import dlt

from loader.errors import SyncError

DEFAULT_HISTORY = "klaviyo_sync_imports.jsonl"
HISTORY_CONFIG_KEY = "export.history_path"
COMPLETED = "completed"
INCOMPLETE = "incomplete"


@dataclass
class ImportRecord:
    id: str
    file: str
    remote_path: str
    host: str
    status: str
    bytes: int
    rows: int | None
    started_at: str
    uploaded_by: str
    finished_at: str | None = None
    sha256: str | None = None
    resumed_from: int = 0
    error: str | None = None
    sent_bytes: int | None = None  # bytes sent when it ended, resumed ones included (None: not known)


class History(Protocol):
    def record(self, record: ImportRecord) -> None: ...

    def records(self) -> list[ImportRecord]: ...


def history_path(path: str | Path | None = None) -> Path:
    """The ledger file: the argument, else config `[export] history_path`, else the default."""
    return Path(path or dlt.config.get(HISTORY_CONFIG_KEY, str) or DEFAULT_HISTORY)


class ImportHistory:
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, record: ImportRecord) -> None:
        line = json.dumps(asdict(record), sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)

    def records(self) -> list[ImportRecord]:
        """The latest state of every upload, oldest first."""
        if not self.path.exists():
            return []
        latest: dict[str, ImportRecord] = {}
        names = {f.name for f in fields(ImportRecord)}
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    record = ImportRecord(**{k: v for k, v in data.items() if k in names})
                except (ValueError, TypeError) as exc:
                    raise SyncError(
                        f"unreadable history line ({exc})",
                        f"{self.path}, line {number}",
                        "remove or fix that line",
                    ) from exc
                latest.pop(record.id, None)
                latest[record.id] = record
        return sorted(latest.values(), key=lambda r: r.started_at)
