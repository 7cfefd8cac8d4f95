"""Benchmark: export speed vs DuckDB's own COPY, upload speed vs OpenSSH `sftp -b`.

1. Export rows/s of `klaviyo-sync export` (query -> normalised, validated, split CSV + manifest) divided
   by DuckDB's `COPY (query) TO 'file.csv' (HEADER)` for the same 1M-row query. Target >= 0.8.
2. Upload MB/s of our paramiko upload (temp name, size check, rename, import history) divided by
   OpenSSH `sftp -b` for the same 500 MB file over loopback, both to a real sshd on 127.0.0.1.
   Target >= 0.8. The file is written by `export`, so `upload` takes its rows and sha256 from the
   manifest, as in the export -> upload flow. The same bytes without a manifest (a file from
   elsewhere: checked for UTF-8, then rows and sha256 counted beside the transfer) are measured too
   and printed, not part of the result.

Medians of `--repeat` runs of each side, run alternately (after `--warmup` untimed rounds of the
export, one of the upload). Both ratios are printed; the closing `RESULT export_upload_lower_ratio`
line is the lower of the two (with `--skip-upload`: `RESULT export_rows_per_s_vs_duckdb_copy`).
Usage: `.venv/bin/python bench/export_upload.py [--rows N] [--mb N] [--skip-upload]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loader.export.exporter import ExportOptions, export  # noqa: E402
from loader.export.query import Source  # noqa: E402
from loader.upload.history import ImportHistory  # noqa: E402
from loader.upload.keys import generate_key  # noqa: E402
from loader.upload.settings import SftpSettings  # noqa: E402
from loader.upload.uploader import UploadOptions, upload_files  # noqa: E402
from tests.fixtures.sshd import SshdServer  # noqa: E402

QUERY = "SELECT * FROM bench_profiles"
EXPORT_ROW_BYTES = 115  # bytes per exported row of bench_profiles


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Paired:
    """Timed runs of both sides, in order: wall seconds and CPU seconds of this process."""

    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]

    def median(self, side: str) -> float:
        return statistics.median(self.wall[side])

    def median_cpu(self, side: str) -> float:
        return statistics.median(self.cpu[side])


def _paired_runs(
    theirs: Callable[[], None],
    ours: Callable[[], None],
    repeat: int,
    reset: Callable[[], None] | None = None,
    warmup: int = 0,
) -> Paired:
    """Both sides run alternately (theirs, ours, theirs, ...) so that a drift of the shared
    machine's speed hits both alike; CPU times are of this process, all threads. `warmup` untimed
    rounds first (lazy imports, caches, page cache)."""
    runs = Paired({"theirs": [], "ours": []}, {"theirs": [], "ours": []})
    for round_no in range(warmup + repeat):
        for name, run in (("theirs", theirs), ("ours", ours)):
            if reset:
                reset()
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            run()
            if round_no >= warmup:
                runs.wall[name].append(time.perf_counter() - start)
                runs.cpu[name].append(_cpu_seconds() - start_cpu)
    return runs


def make_profiles_table(db: Path, rows: int) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"""CREATE TABLE bench_profiles AS SELECT
                'user' || i || '@example.com' AS email,
                '+1415' || lpad((i % 10000000)::VARCHAR, 7, '0') AS phone_number,
                'ext-' || i AS external_id,
                'First ' || (i % 1000) AS first_name,
                TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 SECOND AS created_at,
                i % 3 = 0 AS is_vip,
                (i % 10000) / 7.0 AS score,
                i % 50 AS orders
              FROM range({rows}) r(i)"""
        )


def bench_export(work: Path, rows: int, repeat: int, warmup: int = 1) -> float:
    db = work / "bench.duckdb"
    make_profiles_table(db, rows)
    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(db)
    copy_target = work / "copy.csv"

    def duck_copy() -> None:
        with duckdb.connect(str(db)) as con:
            con.execute(f"COPY ({QUERY}) TO '{copy_target}' (HEADER, DELIMITER ',')")

    out = work / "export"

    def ours() -> None:
        result = export(Source(query=QUERY), ExportOptions("profiles", out))
        assert result.rows == rows, result.rows

    runs = _paired_runs(duck_copy, ours, repeat, lambda: shutil.rmtree(out, ignore_errors=True), warmup)
    copy_s, ours_s = runs.median("theirs"), runs.median("ours")
    copy_cpu, ours_cpu = runs.median_cpu("theirs"), runs.median_cpu("ours")
    print(
        f"export: DuckDB COPY {rows / copy_s:,.0f} rows/s ({copy_s:.2f} s wall, {copy_cpu:.2f} s CPU); "
        f"ours {rows / ours_s:,.0f} rows/s ({ours_s:.2f} s wall, {ours_cpu:.2f} s CPU)"
    )
    return copy_s / ours_s


def bench_upload(work: Path, megabytes: int, repeat: int) -> float:
    server_root = work / "sshd"
    server_root.mkdir()
    server = SshdServer(server_root)
    key = work / "id_ed25519"
    server.authorize(generate_key(key))
    known = work / "known_hosts"
    local = _exported_file(work, megabytes)
    foreign = work / "foreign" / local.name  # the same bytes without a manifest next to them
    foreign.parent.mkdir()
    shutil.copyfile(local, foreign)
    os.sync()  # else the kernel flushes these 1.1 GB to disk during the timed runs (measured: -0.1)
    size_mb = local.stat().st_size / 1e6
    server.start()
    try:
        known.write_text(server.known_hosts_line())
        remote = server.remote / "profiles" / local.name
        batch = work / "batch"
        batch.write_text(f"put {local} profiles/{local.name}\n")
        sftp_cmd = [
            "sftp",
            "-q",
            "-b",
            str(batch),
            "-i",
            str(key),
            "-P",
            str(server.port),
            "-o",
            f"UserKnownHostsFile={known}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            f"{server.user}@{server.host}",
        ]

        def openssh() -> None:
            subprocess.run(sftp_cmd, check=True, stdout=subprocess.DEVNULL)

        settings = SftpSettings(server.host, server.user, key, known, port=server.port)
        history = ImportHistory(work / "history.jsonl")

        def ours() -> None:
            upload_files(settings, [local], UploadOptions("profiles", force=True), history)

        def ours_foreign() -> None:
            upload_files(settings, [foreign], UploadOptions("profiles", force=True), history)

        def reset() -> None:
            remote.unlink(missing_ok=True)

        runs = _paired_runs(openssh, ours, repeat, reset, warmup=1)
        sftp_s, ours_s = runs.median("theirs"), runs.median("ours")
        speeds = {side: [round(size_mb / s) for s in runs.wall[side]] for side in runs.wall}
        print(f"upload MB/s per run: OpenSSH sftp -b {speeds['theirs']}; ours {speeds['ours']}")
        assert remote.read_bytes() == local.read_bytes()
        foreign_runs = _paired_runs(openssh, ours_foreign, repeat, reset, warmup=1)
        sftp_foreign_s, foreign_s = foreign_runs.median("theirs"), foreign_runs.median("ours")
    finally:
        server.stop()
    print(
        f"upload of an export's file: OpenSSH sftp -b {size_mb / sftp_s:.0f} MB/s; "
        f"ours {size_mb / ours_s:.0f} MB/s"
    )
    print(
        f"upload of a file without a manifest (UTF-8 check, rows and sha256 counted too): OpenSSH sftp -b "
        f"{size_mb / sftp_foreign_s:.0f} MB/s; ours {size_mb / foreign_s:.0f} MB/s "
        f"(ratio {sftp_foreign_s / foreign_s:.2f})"
    )
    return sftp_s / ours_s


def _exported_file(work: Path, megabytes: int) -> Path:
    """A profiles CSV file of about `megabytes` MB written by `export` (one part, with its manifest:
    what `upload` gets in the export -> upload flow)."""
    db = work / "upload_source.duckdb"
    make_profiles_table(db, megabytes * 1_000_000 // EXPORT_ROW_BYTES)
    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(db)
    options = ExportOptions("profiles", work / "upload", max_file_mb=2.0 * megabytes, stem="upload")
    result = export(Source(query=QUERY), options)
    db.unlink()
    return work / "upload" / result.files[0].name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="untimed export runs of each side first")
    parser.add_argument("--skip-upload", action="store_true", help="only the export part (while iterating)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kws-bench-export-"))
    try:
        export_ratio = bench_export(work, args.rows, args.repeat, args.warmup)
        upload_ratio = None if args.skip_upload else bench_upload(work, args.mb, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"export rows/s / DuckDB COPY: {export_ratio:.2f} (target >= 0.8)")
    if upload_ratio is None:
        print(f"RESULT export_rows_per_s_vs_duckdb_copy {export_ratio:.2f} target >= 0.8")
        return
    print(f"upload MB/s / OpenSSH sftp -b: {upload_ratio:.2f} (target >= 0.8)")
    # one RESULT line per bench: both ratios share the target, so the lower one decides
    print(f"RESULT export_upload_lower_ratio {min(export_ratio, upload_ratio):.2f} target >= 0.8")


if __name__ == "__main__":
    main()
