"""The export manifest `<stem>.manifest.json`: one typed record, written by `export`, read by `upload`.

It lists the CSV parts of one export (name relative to the manifest's folder, data rows, bytes,
sha256) with the export's kind, source and totals, and the rejects and problems files (relative
paths, or null). `write` puts it in place atomically; `read` checks every field it uses and names the
file and the key of the first one missing or of the wrong type. Keys it does not know are ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from loader.errors import SyncError

SUFFIX = ".manifest.json"
_FIX = "pass a manifest written by `klaviyo-sync export` (or run the export again)"
_JSON_TYPES = {str: "a string", int: "an integer", list: "a list", dict: "an object", type(None): "null"}


@dataclass(frozen=True)
class PartInfo:
    """One finished file: name relative to the output directory, data rows, bytes, sha256."""

    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What one export wrote (the JSON keys are these field names, in this order)."""

    kind: str  # profiles or events
    source: str  # the query, model or table, as `--model NAME`, ...
    created_at: str  # UTC, ISO 8601, seconds
    max_file_bytes: int
    rows: int  # accepted rows, in `files`
    rejected_rows: int
    problems: int
    files: tuple[PartInfo, ...]
    rejects_file: str | None
    problems_file: str | None

    def part_paths(self, folder: Path) -> list[Path]:
        """The CSV parts, in `folder` (the one the manifest is in)."""
        return [folder / part.name for part in self.files]


def path_for(out: Path, stem: str) -> Path:
    """Where the manifest of the export named `stem` in `out` goes."""
    return out / f"{stem}{SUFFIX}"


def is_manifest(path: Path) -> bool:
    return path.name.endswith(SUFFIX)


def stem_of(path: Path) -> str:
    return path.name.removesuffix(SUFFIX)


def write(path: Path, manifest: Manifest) -> None:
    """Write `manifest` to `path` under a temporary name, then rename it into place."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
    os.replace(temp, path)


def read(path: Path) -> Manifest:
    """The manifest at `path`; a SyncError naming the file (and the key) when it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SyncError(f"cannot read manifest: {exc}", str(path), _FIX) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SyncError(f"the manifest is not JSON ({exc})", str(path), _FIX) from exc
    if not isinstance(data, dict):
        raise SyncError("the manifest is not a JSON object", str(path), _FIX)
    fields = _Fields(path, data)
    return Manifest(
        kind=fields.text("kind"),
        source=fields.text("source"),
        created_at=fields.text("created_at"),
        max_file_bytes=fields.count("max_file_bytes"),
        rows=fields.count("rows"),
        rejected_rows=fields.count("rejected_rows"),
        problems=fields.count("problems"),
        files=tuple(_part(path, entry, f"files[{i}]") for i, entry in enumerate(fields.entries("files"))),
        rejects_file=fields.optional_text("rejects_file"),
        problems_file=fields.optional_text("problems_file"),
    )


def _part(path: Path, entry: object, key: str) -> PartInfo:
    if not isinstance(entry, dict):
        raise _wrong_type(path, key, entry, (dict,))
    fields = _Fields(path, entry, f"{key}.")
    return PartInfo(fields.text("name"), fields.count("rows"), fields.count("bytes"), fields.text("sha256"))


class _Fields:
    """Typed access to the keys of one JSON object of the manifest at `path` (`prefix` locates it)."""

    def __init__(self, path: Path, data: dict[str, object], prefix: str = "") -> None:
        self.path = path
        self.data = data
        self.prefix = prefix

    def value(self, key: str, *types: type) -> object:
        name = self.prefix + key
        if key not in self.data:
            raise SyncError(f"manifest key {name} is missing", f"{self.path}, key {name}", _FIX)
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, types):  # true/false are no integers here
            raise _wrong_type(self.path, name, value, types)
        return value

    def text(self, key: str) -> str:
        return str(self.value(key, str))

    def optional_text(self, key: str) -> str | None:
        value = self.value(key, str, type(None))
        return None if value is None else str(value)

    def entries(self, key: str) -> list[object]:
        value = self.value(key, list)
        assert isinstance(value, list)
        return value

    def count(self, key: str) -> int:
        value = self.value(key, int)
        assert isinstance(value, int)
        if value < 0:
            raise SyncError(
                f"manifest key {self.prefix}{key} is {value}, not a count (0 or more)",
                f"{self.path}, key {self.prefix}{key}",
                _FIX,
            )
        return value


def _wrong_type(path: Path, key: str, value: object, types: tuple[type, ...]) -> SyncError:
    wanted = " or ".join(_JSON_TYPES[t] for t in types)
    shown = json.dumps(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return SyncError(f"manifest key {key} is {shown}, not {wanted}", f"{path}, key {key}", _FIX)
