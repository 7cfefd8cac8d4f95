"""Memory of `klaviyo-sync export` as the result grows: peak RSS at two result sizes.

Export streams the result in batches, so the only memory of its own that grows with the result is
the duplicate check: Klaviyo keeps the first row per identifier, and the export remembers 8 bytes (a
64-bit hash) per distinct identifier value of the rows it accepted, behind a bitset of at most 8 MB
per identifier column. Everything else (batches in flight, Arrow buffers) is bounded.

Each measurement runs in a fresh child process on a table made beforehand (so building the table is
not counted) and reports its peak resident set size (VmHWM). Reading the result alone (the same
query through the same destination connection, no export) is measured too: DuckDB's buffer cache
grows with the table it scans, whoever reads it. The result is the export's growth beyond that, per
row, divided by the hashes' 24 bytes per row (8 bytes x 3 identifier columns): 1.0 would mean the
hashes are all that grows. Ends with `RESULT export_memory_growth_vs_hash_floor <ratio> target <= 2.0`.

    .venv/bin/python bench/export_memory.py [--rows 1000000 --rows 4000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_upload import make_profiles_table  # noqa: E402 - the same table as the speed bench

IDENTIFIERS = 3  # email, phone_number, external_id
HASH_BYTES = 8
TARGET = 2.0


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike `ru_maxrss` it is not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def _child(mode: str, db: Path, out: Path) -> None:
    """Runs in the child process: one export (or only reading the result), numbers as JSON."""
    from loader.export.exporter import ExportOptions, export
    from loader.export.query import Source, query_batches

    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(db)
    after_imports = _peak_mb()
    began = time.perf_counter()
    source = Source(query="SELECT * FROM bench_profiles")
    if mode == "export":
        rows = export(source, ExportOptions("profiles", out)).rows
    else:
        with query_batches(source) as batches:
            rows = sum(batch.num_rows for batch in batches)
    elapsed = time.perf_counter() - began
    print(json.dumps({"rows": rows, "peak_mb": _peak_mb(), "imports_mb": after_imports, "s": elapsed}))


def _measure(work: Path, rows: int) -> dict[str, dict[str, float]]:
    db = work / f"bench_{rows}.duckdb"
    make_profiles_table(db, rows)
    measured = {}
    for mode in ("read", "export"):
        command = [sys.executable, __file__, "--child", mode, str(db), str(work / f"export_{rows}")]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        measured[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        assert measured[mode]["rows"] == rows, measured
    db.unlink()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, action="append", help="two result sizes (default 1M and 4M)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    small, large = sorted(args.rows or [1_000_000, 4_000_000])
    with tempfile.TemporaryDirectory(prefix="kws-bench-export-memory-") as tmp:
        measured = {rows: _measure(Path(tmp), rows) for rows in (small, large)}
    for rows, modes in measured.items():
        read, ours = modes["read"], modes["export"]
        print(
            f"{rows:,} rows: export peak RSS {ours['peak_mb']:.0f} MB ({ours['s']:.1f} s); reading the "
            f"result alone {read['peak_mb']:.0f} MB; after imports {ours['imports_mb']:.0f} MB"
        )

    def growth(mode: str) -> float:  # bytes per row between the two sizes
        mb = measured[large][mode]["peak_mb"] - measured[small][mode]["peak_mb"]
        return mb * 1024 * 1024 / (large - small)

    floor = IDENTIFIERS * HASH_BYTES
    extra = growth("export") - growth("read")
    print(
        f"growth per row: export {growth('export'):.0f} bytes, reading alone {growth('read'):.0f}; "
        f"the export's own {extra:.0f} bytes vs the {floor} bytes of identifier hashes it must keep"
    )
    print(f"RESULT export_memory_growth_vs_hash_floor {extra / floor:.2f} target <= {TARGET}")


if __name__ == "__main__":
    main()
