"""Move a JSON Lines import history (the previous release's) into the ledger's `klaviyo_sync_imports`.

Every upload of the file becomes one ledger row (its latest state: the file's last line per upload
id), under the account given. Idempotent: an upload whose row the ledger already holds in the same
state (under any account) is not written again, so a second migration adds nothing. The file
itself is left in place (nothing is lost; delete it once `imports` shows its uploads).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from loader.ledger.records import ImportRecord as LedgerImport
from loader.ledger.store import LedgerStore
from loader.sync_observer import DEFAULT_ACCOUNT
from loader.upload.history import ImportHistory
from loader.upload.ledger_history import to_ledger

log = logging.getLogger(__name__)


def _same(a: LedgerImport, b: LedgerImport) -> bool:
    """The same upload in the same state (whichever account an earlier migration put it under)."""
    ignore = {"updated_at", "account", "account_id"}
    names = [f.name for f in dataclasses.fields(a) if f.name not in ignore]
    return all(getattr(a, name) == getattr(b, name) for name in names)


def migrate_history(path: Path, store: LedgerStore, account: str = DEFAULT_ACCOUNT) -> int:
    """Write the file's uploads the ledger lacks (or holds in another state); how many were written."""
    if not path.is_file():
        return 0
    rows = [to_ledger(record, account) for record in ImportHistory(path).records()]
    held = {row.import_id: row for row in store.imports()}
    new = [row for row in rows if row.import_id not in held or not _same(held[row.import_id], row)]
    if new:
        store.write(new)
        log.info("migrated %d import(s) from %s into the ledger table klaviyo_sync_imports", len(new), path)
    return len(new)
