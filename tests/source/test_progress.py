"""The progress display: bars on a terminal (per account when there are several), nothing otherwise."""

from __future__ import annotations

import pytest

from loader.sync_observer import MultiObserver, ObjectResult, RichProgressObserver, Unit

METRICS, EVENTS = Unit("default", "metrics"), Unit("default", "events")


def drive(observer: RichProgressObserver, units: list[Unit]) -> None:
    kinds = {unit: "historical" if unit.object == "events" else "periodic" for unit in units}
    observer.on_run_start(units, kinds)
    for unit in units:
        observer.on_progress(unit, 0.5, 1500)
        observer.on_object_done(ObjectResult(unit.object, "historical", 3000, 3000, None, None,
                                             account=unit.account))
    observer.close()


def test_progress_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    drive(RichProgressObserver(enabled=True), [METRICS, EVENTS])
    err = capsys.readouterr().err
    assert "events (historical)" in err and "3,000 rows" in err and "default/" not in err


def test_one_bar_per_account_and_object(capsys: pytest.CaptureFixture[str]) -> None:
    drive(RichProgressObserver(enabled=True), [Unit("acme", "events"), Unit("globex", "events")])
    err = capsys.readouterr().err
    assert "acme/events (historical)" in err and "globex/events (historical)" in err


def test_silent_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    observer = RichProgressObserver()  # pytest's captured stderr is not a terminal
    assert observer.enabled is False
    drive(observer, [METRICS, EVENTS])
    MultiObserver([observer]).on_progress(EVENTS, 1.0, 1)
    assert capsys.readouterr() == ("", "")
