"""Pre-upload checks of files without a manifest: UTF-8 (ASCII blocks skip the decoder), rows, sha256.

Tiny read blocks make every block boundary case happen in a few bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from loader.errors import SyncError
from loader.upload import filecheck
from loader.upload.filecheck import check_utf8, rows_and_sha256


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filecheck, "CHUNK_BYTES", 4)


def test_characters_split_across_blocks_and_ascii_blocks_after_them_pass(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("Email,City\nä@x.io,Zürich\nb@x.io,Kraków €\n", encoding="utf-8")
    check_utf8(path)  # no error


@pytest.mark.parametrize(
    ("data", "where", "byte"),
    [
        (b"Email,City\na@x.io,Montr\xe9al\n", "line 2, column 2", "byte 0xe9"),
        (b"Email\na@x.io\nb@x.io\n\xff", "line 4, column 1", "byte 0xff"),  # after ASCII blocks
        (b"Email,City\na@x.io,Z\xc3", "line 2, column 2", "a truncated character at the end"),
    ],
)
def test_the_first_bad_byte_is_named(tmp_path: Path, data: bytes, where: str, byte: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(SyncError) as raised:
        check_utf8(path)
    assert str(raised.value).startswith(f"not UTF-8 text ({byte}) ({path}, {where})")


@pytest.mark.parametrize(
    ("text", "rows"), [("Email\na@x.io\nb@x.io\n", 2), ("Email\na@x.io\nb@x.io", 2), ("Email\n", 0), ("", 0)]
)
def test_rows_and_sha256(tmp_path: Path, text: str, rows: int) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    assert rows_and_sha256(path) == (rows, hashlib.sha256(text.encode()).hexdigest())
