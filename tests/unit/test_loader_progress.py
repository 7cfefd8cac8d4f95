"""The progress display: bars on a terminal, nothing otherwise."""

from __future__ import annotations

import pytest

from loader.sync_observer import MultiObserver, ObjectResult, RichProgressObserver


def drive(observer: RichProgressObserver) -> None:
    observer.on_run_start(["metrics", "events"], {"metrics": "periodic", "events": "historical"})
    observer.on_progress("events", 0.5, 1500)
    observer.on_object_done(ObjectResult("events", "historical", 3000, 3000, None, None))
    observer.close()


def test_progress_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    drive(RichProgressObserver(enabled=True))
    err = capsys.readouterr().err
    assert "events (historical)" in err and "3,000 rows" in err


def test_silent_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    observer = RichProgressObserver()  # pytest's captured stderr is not a terminal
    assert observer.enabled is False
    drive(observer)
    MultiObserver([observer]).on_progress("events", 1.0, 1)
    assert capsys.readouterr() == ("", "")
