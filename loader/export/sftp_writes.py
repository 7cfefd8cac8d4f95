"""SFTP write requests sent straight from a local file, pipelined: the hot loop of an upload.

paramiko opens the channel, encrypts and keeps the SSH window; this module frames the SFTP version 3
packets of the write itself (draft-ietf-secsh-filexfer-02 §3, §6.4, §7) instead of going through
`SFTPFile.write`. That path copies every request several times (into a `Message`, into the framed
packet, then slice after slice in its send loop) and, pipelined, stops to wait for every reply once
100 are outstanding. Here each request is read from the file into one reused buffer, at most
`IN_FLIGHT` requests wait for their reply (OpenSSH's `sftp` default), and replies are read as they
arrive. On loopback this took the upload from 0.81-0.86 to 0.94-0.95 of OpenSSH `sftp -b`.

Request size: the server's own `max-write-length` from the `limits@openssh.com` extension (OpenSSH
drops the session on writes over 256 KiB), else 32768 bytes, the size every server must accept
(§3: "packets of at least 34000 bytes"). Klaviyo's server is AWS Transfer Family, whose limits are not
documented: asking keeps a large write from being refused there.

Request ids come from the `SFTPClient`'s own counter, so its later requests never reuse one; every
reply to these writes is read before control returns (paramiko skips a reply it did not ask for).
"""

from __future__ import annotations

import errno
import io
import struct
from collections.abc import Callable

import paramiko  # type: ignore[import-untyped]

FXP_WRITE = 6
FXP_STATUS = 101
FXP_EXTENDED = 200
FXP_EXTENDED_REPLY = 201
FX_OK = 0
LIMITS_EXTENSION = b"limits@openssh.com"

GUARANTEED_WRITE_BYTES = 32768
MAX_WRITE_BYTES = 255 * 1024  # OpenSSH's max-write-length; a larger buffer gains nothing
IN_FLIGHT = 64
PROGRESS_BYTES = 4 * 1024 * 1024
READ_BYTES = 64 * 1024

_U32 = struct.Struct(">I")
_LIMITS = struct.Struct(">QQQQ")  # max packet, read, write lengths; max open handles
# SFTP status codes (§7) that mean a specific Python error, as paramiko raises them
_STATUS_ERRORS: dict[int, type[OSError]] = {2: FileNotFoundError, 3: PermissionError}
_STATUS_ERRNO = {2: errno.ENOENT, 3: errno.EACCES}


class _Replies:
    """SFTP reply packets from the channel, whole, in arrival order."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel
        self.inbox = bytearray()

    def next(self, wait: bool) -> tuple[int, int, bytes] | None:
        """(type, request id, rest) of the next reply; None if `wait` is False and none is whole yet.
        A silent server raises the channel's TimeoutError; a closed channel raises EOFError."""
        while True:
            if len(self.inbox) >= 4:
                end = 4 + _U32.unpack_from(self.inbox)[0]
                if len(self.inbox) >= end:
                    packet = bytes(self.inbox[4:end])
                    del self.inbox[:end]
                    if len(packet) < 5:
                        raise OSError(f"malformed SFTP reply of {len(packet)} bytes")
                    return packet[0], _U32.unpack_from(packet, 1)[0], packet[5:]
            if not wait and not self.channel.recv_ready():
                return None
            data = self.channel.recv(READ_BYTES)
            if not data:
                raise EOFError("the server closed the SFTP channel")
            self.inbox += data


def _next_request_id(sftp: paramiko.SFTPClient) -> int:
    request_id = int(sftp.request_number)
    sftp.request_number = request_id + 1
    return request_id


def _status_error(body: bytes, what: str) -> OSError | None:
    """None for SSH_FX_OK, else the error a failed STATUS reply (code, message) stands for."""
    code = _U32.unpack_from(body)[0]
    if code == FX_OK:
        return None
    size = _U32.unpack_from(body, 4)[0] if len(body) >= 8 else 0
    message = body[8 : 8 + size].decode("utf-8", "replace") or f"SFTP status {code}"
    cls = _STATUS_ERRORS.get(code, OSError)
    return cls(_STATUS_ERRNO.get(code, errno.EIO), f"{message} ({what})")


def write_size(sftp: paramiko.SFTPClient, replies: _Replies | None = None) -> int:
    """Bytes per write request this server takes (see the module docstring)."""
    replies = replies or _Replies(sftp.get_channel())
    request_id = _next_request_id(sftp)
    name = LIMITS_EXTENSION
    sftp.get_channel().sendall(
        struct.pack(f">IBII{len(name)}s", 9 + len(name), FXP_EXTENDED, request_id, len(name), name)
    )
    reply = replies.next(wait=True)
    assert reply is not None
    kind, answered, body = reply
    if answered != request_id:
        raise OSError(f"SFTP reply to request {answered} while waiting for {request_id} (limits)")
    if kind != FXP_EXTENDED_REPLY or len(body) < _LIMITS.size:
        return GUARANTEED_WRITE_BYTES  # not offered: a STATUS reply (OP_UNSUPPORTED, or denied)
    max_write = _LIMITS.unpack_from(body)[2]
    return MAX_WRITE_BYTES if max_write == 0 else int(min(max_write, MAX_WRITE_BYTES))  # 0: no limit


def write_from(
    sftp: paramiko.SFTPClient,
    handle: bytes,
    source: io.RawIOBase,
    offset: int,
    path: str,
    on_bytes: Callable[[int], None] | None = None,
) -> int:
    """Write the rest of `source` into the open remote `handle` from `offset`; return the end offset.

    Returns once the server has acknowledged every write. A refused write raises the matching
    OSError (PermissionError, FileNotFoundError, else OSError with the server's message) naming
    `path` and the offset. `on_bytes(offset)` reports progress every few MB and at the end.
    """
    channel = sftp.get_channel()
    replies = _Replies(channel)
    request = struct.Struct(f">IBII{len(handle)}sQI")
    head = request.size
    size = write_size(sftp, replies)
    buffer = bytearray(head + size)
    view = memoryview(buffer)
    pending: dict[int, int] = {}  # request id -> offset it writes at
    reported = offset
    while n := source.readinto(view[head:]):
        request_id = _next_request_id(sftp)
        request.pack_into(buffer, 0, head - 4 + n, FXP_WRITE, request_id, len(handle), handle, offset, n)
        channel.sendall(view[: head + n])
        pending[request_id] = offset
        offset += n
        while pending and (len(pending) >= IN_FLIGHT or channel.recv_ready()):
            _settle(replies, pending, path, wait=len(pending) >= IN_FLIGHT)
        if on_bytes and offset - reported >= PROGRESS_BYTES:
            reported = offset
            on_bytes(offset)
    while pending:
        _settle(replies, pending, path, wait=True)
    if on_bytes and offset != reported:
        on_bytes(offset)
    return offset


def _settle(replies: _Replies, pending: dict[int, int], path: str, wait: bool) -> None:
    """Take one reply to a pending write; raise the error it carries."""
    reply = replies.next(wait)
    if reply is None:
        return
    kind, request_id, body = reply
    at = pending.pop(request_id, None)
    if at is None or kind != FXP_STATUS:
        raise OSError(f"unexpected SFTP reply (type {kind}, request {request_id}) while writing {path}")
    error = _status_error(body, f"writing {path} at byte {at}")
    if error is not None:
        raise error
