"""Start a local server process for a test session and wait for its port (no sleeps)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_server(
    cmd: list[str], port: int, log: Path, *, cwd: Path | None = None, timeout: float = 60.0
) -> subprocess.Popen[bytes]:
    """Run `cmd` (which must listen on 127.0.0.1:`port`) and return once the port accepts connections."""
    handle = log.open("wb")
    proc = subprocess.Popen(
        cmd, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd
    )
    handle.close()
    deadline = time.monotonic() + timeout
    while not _port_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError(f"{cmd[0]} did not listen on 127.0.0.1:{port}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.05)  # returns early if it dies; otherwise a short poll interval
    return proc


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
