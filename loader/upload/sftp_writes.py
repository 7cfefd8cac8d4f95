"""SFTP write requests sent straight from a local file, pipelined: the hot loop of an upload.

paramiko opens the channel, encrypts and keeps the SSH window; this module frames the SFTP version 3
packets of the write itself (draft-ietf-secsh-filexfer-02 §3, §6.4, §7) instead of going through
`SFTPFile.write`. That path copies every request several times (into a `Message`, into the framed
packet, then slice after slice in its send loop) and, pipelined, stops to wait for every reply once
100 are outstanding. Here each request is read from the file into one reused buffer, at most
`IN_FLIGHT` requests wait for their reply (OpenSSH's `sftp` default), and replies are read as they
arrive. On loopback this took the upload from 0.81-0.86 to 0.88-0.97 of OpenSSH `sftp -b` in the
same harness (before the threads shared a core: cpu_affinity.py).

Write size: the server's `max-write-length` from the `limits@openssh.com` extension, kept within its
`max-packet-length` (OpenSSH drops the session on larger packets), else 32768 bytes, the size every
server must accept (§3: "packets of at least 34000 bytes"). Klaviyo's server is AWS Transfer Family,
whose limits are not documented: nothing larger is sent unless the server announces it. paramiko
keeps no list of the extensions the server named at start-up, so the request is simply sent: the
draft (§8) requires an SSH_FX_OP_UNSUPPORTED answer to an extended request a server does not know
(paramiko sends `check-file` and `posix-rename@openssh.com` the same way).

Staying in step with paramiko's `SFTPClient`, which reads the same channel afterwards: request ids
come from its own counter (so its later requests never reuse one); replies are read exactly, one
packet at a time, never a byte of the next; and when a write is refused, the replies to the writes
still in flight are read before the error is raised, so none arrives after a later request.
"""

from __future__ import annotations

import errno
import io
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass

import paramiko  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

FXP_WRITE = 6
FXP_STATUS = 101
FXP_EXTENDED = 200
FXP_EXTENDED_REPLY = 201
FX_OK = 0
LIMITS_EXTENSION = b"limits@openssh.com"

GUARANTEED_WRITE_BYTES = 32768
MAX_WRITE_BYTES = 255 * 1024  # OpenSSH's max-write-length; a larger buffer gains nothing
MAX_REPLY_BYTES = 256 * 1024  # a longer reply to a write or to the limits request is garbage
IN_FLIGHT = 64
PROGRESS_BYTES = 4 * 1024 * 1024

_U32 = struct.Struct(">I")
_LIMITS = struct.Struct(">QQQQ")  # max packet, read, write lengths; max open handles
# SFTP status codes (§7) that mean a specific Python error, as paramiko raises them
_STATUS_ERRORS: dict[int, type[OSError]] = {2: FileNotFoundError, 3: PermissionError}
_STATUS_ERRNO = {2: errno.ENOENT, 3: errno.EACCES}


@dataclass
class WriteResult:
    """What `write_from` did: the offset after its last byte, and how it sent them."""

    end: int
    requests: int
    write_bytes: int
    most_in_flight: int


class _Replies:
    """SFTP reply packets from the channel, read exactly: the channel is left at a packet boundary."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel

    def next(self, wait: bool) -> tuple[int, int, bytes] | None:
        """(type, request id, rest) of the next reply; None if `wait` is False and nothing has come.
        A silent server raises the channel's TimeoutError; a closed channel raises EOFError."""
        if not wait and not self.channel.recv_ready():
            return None
        size = _U32.unpack(self._exactly(4))[0]
        if not 5 <= size <= MAX_REPLY_BYTES:
            raise OSError(f"malformed SFTP reply: a packet of {size} bytes")
        packet = self._exactly(size)
        return packet[0], _U32.unpack_from(packet, 1)[0], packet[5:]

    def _exactly(self, count: int) -> bytes:
        chunks, got = [], 0
        while got < count:
            data = self.channel.recv(count - got)
            if not data:
                raise EOFError("the server closed the SFTP channel")
            chunks.append(data)
            got += len(data)
        return b"".join(chunks)


def _next_request_id(sftp: paramiko.SFTPClient) -> int:
    request_id = int(sftp.request_number)
    sftp.request_number = request_id + 1
    return request_id


def status_error(body: bytes, what: str) -> OSError | None:
    """None for an SSH_FX_OK STATUS body (code, message, language), else the error it stands for."""
    if len(body) < 4:
        return OSError(f"malformed SFTP status reply ({what})")
    code = _U32.unpack_from(body)[0]
    if code == FX_OK:
        return None
    size = _U32.unpack_from(body, 4)[0] if len(body) >= 8 else 0
    message = body[8 : 8 + size].decode("utf-8", "replace") or f"SFTP status {code}"
    cls = _STATUS_ERRORS.get(code, OSError)
    return cls(_STATUS_ERRNO.get(code, errno.EIO), f"{message} ({what})")


def write_bytes_for(limits: bytes | None, header_bytes: int) -> int:
    """Bytes of data per write request, from the body of a `limits@openssh.com` reply (None: not
    offered). `header_bytes` is what a request adds to its data inside the packet length."""
    if limits is None or len(limits) < _LIMITS.size:
        return GUARANTEED_WRITE_BYTES
    max_packet, _max_read, max_write, _max_handles = _LIMITS.unpack_from(limits)
    size = min(max_write, MAX_WRITE_BYTES) if max_write else GUARANTEED_WRITE_BYTES  # 0: none stated
    if max_packet:
        size = min(size, max_packet - header_bytes)
    if size <= 0:
        raise OSError(f"the SFTP server accepts packets of at most {max_packet} bytes: too small to write")
    return int(size)


def _ask_limits(sftp: paramiko.SFTPClient, replies: _Replies) -> bytes | None:
    """The body of the server's `limits@openssh.com` reply, or None when it does not offer it (a
    STATUS reply such as OP_UNSUPPORTED)."""
    request_id = _next_request_id(sftp)
    name = LIMITS_EXTENSION
    sftp.get_channel().sendall(
        struct.pack(f">IBII{len(name)}s", 9 + len(name), FXP_EXTENDED, request_id, len(name), name)
    )
    while True:
        reply = replies.next(wait=True)
        assert reply is not None
        kind, answered, body = reply
        if answered == request_id:
            return body if kind == FXP_EXTENDED_REPLY else None
        log.debug("skipped an SFTP reply to request %d while asking for limits", answered)


def write_size(sftp: paramiko.SFTPClient, header_bytes: int = 0) -> int:
    """Bytes per write request this server takes (see the module docstring)."""
    return write_bytes_for(_ask_limits(sftp, _Replies(sftp.get_channel())), header_bytes)


def write_from(
    sftp: paramiko.SFTPClient,
    handle: bytes,
    source: io.RawIOBase,
    offset: int,
    path: str,
    on_bytes: Callable[[int], None] | None = None,
) -> WriteResult:
    """Write the rest of `source` into the open remote `handle` from `offset`.

    Returns once the server has acknowledged every write. A refused write stops the sending; once
    the writes in flight are answered, the first refusal is raised as the matching OSError
    (PermissionError, FileNotFoundError, else OSError with the server's message) naming `path` and
    the offset. `on_bytes(offset)` reports progress every few MB and at the end.
    """
    channel = sftp.get_channel()
    replies = _Replies(channel)
    request = struct.Struct(f">IBII{len(handle)}sQI")
    head = request.size
    size = write_bytes_for(_ask_limits(sftp, replies), head - 4)
    buffer = bytearray(head + size)
    view = memoryview(buffer)
    pending: dict[int, int] = {}  # request id -> offset it writes at
    requests = most_in_flight = 0
    refused: OSError | None = None
    while refused is None and (n := source.readinto(view[head:])):
        request_id = _next_request_id(sftp)
        request.pack_into(buffer, 0, head - 4 + n, FXP_WRITE, request_id, len(handle), handle, offset, n)
        channel.sendall(view[: head + n])
        pending[request_id] = offset
        previous, offset = offset, offset + n
        requests += 1
        most_in_flight = max(most_in_flight, len(pending))
        while pending and (len(pending) >= IN_FLIGHT or channel.recv_ready()):
            error = _settle(replies, pending, path, wait=len(pending) >= IN_FLIGHT)
            refused = refused or error
        if on_bytes and offset // PROGRESS_BYTES != previous // PROGRESS_BYTES:
            on_bytes(offset)
    while pending:
        error = _settle(replies, pending, path, wait=True)
        refused = refused or error
    if refused is not None:
        raise refused
    if on_bytes and offset % PROGRESS_BYTES:
        on_bytes(offset)
    return WriteResult(offset, requests, size, most_in_flight)


def _settle(replies: _Replies, pending: dict[int, int], path: str, wait: bool) -> OSError | None:
    """Take one reply; return the error it carries for a pending write (None when it succeeded,
    when nothing has come yet, or when it answers a request that is not pending: skipped)."""
    reply = replies.next(wait)
    if reply is None:
        return None
    kind, request_id, body = reply
    at = pending.pop(request_id, None)
    if at is None:
        log.debug("skipped an SFTP reply to request %d while writing %s", request_id, path)
        return None
    if kind != FXP_STATUS:
        return OSError(f"unexpected SFTP reply of type {kind} to a write ({path} at byte {at})")
    return status_error(body, f"writing {path} at byte {at}")
