"""`klaviyo-sync emulator` in its own process for the benches (so it does not share their GIL)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

API_KEY = "pk_emulator_bench_key_000000000000000"


def start_emulator(
    events: int, *extra: str, profiles: int = 1000, echo: Callable[[str], None] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start it on a free 127.0.0.1 port; returns the process and its base URL once it listens."""
    exe = Path(sys.executable).with_name("klaviyo-sync")
    args = [str(exe), "emulator", "--port", "0", "--events", str(events), "--profiles", str(profiles),
            "--api-key", API_KEY, *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if echo:
            echo(line.rstrip())
        match = re.search(r"Listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return proc, match.group(1)
    stop(proc)
    raise SystemExit("the emulator did not start")


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
