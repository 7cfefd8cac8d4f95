"""How the write size follows a `limits@openssh.com` reply, and how a STATUS reply becomes an error."""

from __future__ import annotations

import struct

import pytest

from loader.upload.sftp_writes import (
    GUARANTEED_WRITE_BYTES,
    MAX_WRITE_BYTES,
    status_error,
    write_bytes_for,
)


def limits(packet: int, read: int, write: int, handles: int = 0) -> bytes:
    return struct.pack(">QQQQ", packet, read, write, handles)


def status(code: int, message: str = "") -> bytes:
    text = message.encode()
    return struct.pack(f">II{len(text)}sI", code, len(text), text, 0)


def test_the_write_length_is_the_third_field_of_the_reply() -> None:
    assert write_bytes_for(limits(200_000, 70_000, 40_000, 50), header_bytes=30) == 40_000


def test_no_limits_reply_or_an_unstated_write_length_means_the_size_every_server_takes() -> None:
    assert write_bytes_for(None, header_bytes=30) == GUARANTEED_WRITE_BYTES
    assert write_bytes_for(b"\x00" * 8, header_bytes=30) == GUARANTEED_WRITE_BYTES
    assert write_bytes_for(limits(0, 0, 0), header_bytes=30) == GUARANTEED_WRITE_BYTES


def test_a_write_never_exceeds_our_buffer_nor_the_servers_packet_length() -> None:
    assert write_bytes_for(limits(0, 0, 10 * MAX_WRITE_BYTES), header_bytes=30) == MAX_WRITE_BYTES
    # a server whose write length equals its packet length: the request's header must fit too
    assert write_bytes_for(limits(40_000, 40_000, 40_000), header_bytes=30) == 40_000 - 30


def test_a_packet_length_too_small_for_any_data_is_an_error() -> None:
    with pytest.raises(OSError, match="at most 20 bytes"):
        write_bytes_for(limits(20, 0, 1000), header_bytes=30)


@pytest.mark.parametrize(
    ("code", "expected"),
    [(2, FileNotFoundError), (3, PermissionError), (4, OSError), (1, OSError)],
)
def test_a_failed_status_names_what_was_refused(code: int, expected: type[OSError]) -> None:
    error = status_error(status(code, "No space left"), "writing profiles/a.csv at byte 512")
    assert type(error) is expected
    assert str(error).endswith("No space left (writing profiles/a.csv at byte 512)")


def test_an_ok_status_is_no_error_and_a_short_one_is_malformed() -> None:
    assert status_error(status(0, "Success"), "x") is None
    assert "malformed" in str(status_error(b"\x00\x00", "writing a.csv at byte 0"))
    assert str(status_error(status(4), "w")).endswith("SFTP status 4 (w)")
