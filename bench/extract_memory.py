"""Peak RSS of the loader while it syncs 1M events (emulator -> DuckDB, no latency, no limits).

The emulator runs in its own process; this process runs `run_sync` (events only, history all) and
reports its own peak resident set size (`getrusage` ru_maxrss: extract, normalize and the DuckDB
load all happen here). Ends with `RESULT extract_memory_peak_rss_mb <MB> target <= 500`.

    .venv/bin/python bench/extract_memory.py [--events N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_process import start_emulator, stop  # noqa: E402
from extract_throughput import our_loader, use_env  # noqa: E402

TARGET_MB = 500


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    proc, base_url = start_emulator(args.events, "--no-rate-limits")
    try:
        with tempfile.TemporaryDirectory(prefix="kws-bench-") as tmp:
            use_env(base_url, Path(tmp))
            before = peak_rss_mb()
            began = time.perf_counter()
            rows = our_loader(Path(tmp))
            elapsed = time.perf_counter() - began
    finally:
        stop(proc)
    peak = peak_rss_mb()
    print(f"{rows:,} events loaded in {elapsed:.1f}s ({rows / elapsed:,.0f} events/s); "
          f"peak RSS {peak:.0f} MB (after imports {before:.0f} MB); machine load {os.getloadavg()[0]:.1f}")
    assert rows >= args.events * 0.99, f"only {rows} of {args.events} events loaded"
    print(f"RESULT extract_memory_peak_rss_mb {peak:.0f} target <= {TARGET_MB}")


if __name__ == "__main__":
    main()
