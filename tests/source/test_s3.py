"""S3 through dlt's filesystem destination, against a local moto server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loader.destination import make_pipeline
from loader.pipeline import run_sync
from loader.sync_settings import SyncSettings
from tests.fixtures.postgres import free_port

pytestmark = pytest.mark.integration
BUCKET = "klaviyo-raw-test"


@pytest.fixture
def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto S3 server with one bucket; the dlt filesystem destination pointed at it."""
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
        deadline = time.monotonic() + 30
        while True:
            try:
                s3.create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        for key, value in {
            "BUCKET_URL": f"s3://{BUCKET}/raw",
            "CREDENTIALS__AWS_ACCESS_KEY_ID": "testing",
            "CREDENTIALS__AWS_SECRET_ACCESS_KEY": "testing",
            "CREDENTIALS__ENDPOINT_URL": endpoint,
            "CREDENTIALS__REGION_NAME": "us-east-1",
        }.items():
            monkeypatch.setenv(f"DESTINATION__FILESYSTEM__{key}", value)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(10)


def read_jsonl(endpoint: str, table: str) -> list[dict]:
    import gzip

    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing", region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"raw/klaviyo_raw/{table}/")
            .get("Contents", [])]
    rows = []
    for key in keys:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        rows += [json.loads(line) for line in body.splitlines() if line.strip()]
    return rows


def test_sync_to_s3_via_filesystem_destination(moto_s3: str, emulator, tmp_path: Path) -> None:
    settings = SyncSettings.resolve(destination="filesystem", pipelines_dir=str(tmp_path / "p"))
    pipeline = make_pipeline("filesystem", pipelines_dir=settings.pipelines_dir)
    result = run_sync(settings, pipeline=pipeline)
    events = read_jsonl(moto_s3, "events")
    expected = {e["id"]: e for e in emulator.emulator.truth.events(until=result.run_start)}
    assert sorted(r["id"] for r in events) == sorted(expected)
    sample = events[0]
    assert sample["attributes"] == expected[sample["id"]]["attributes"]
    assert sample["metric_id"] == expected[sample["id"]]["relationships"]["metric"]["data"]["id"]
    profiles = read_jsonl(moto_s3, "profiles")
    assert sorted(p["id"] for p in profiles) == sorted(p["id"] for p in emulator.emulator.truth.profiles())
