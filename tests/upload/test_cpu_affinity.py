"""`one_core()`: the calling thread and the threads it starts run on one core, others are untouched."""

from __future__ import annotations

import os
import threading

import pytest

from loader.upload import cpu_affinity
from loader.upload.cpu_affinity import ANY_CORE_ENV, one_core

needs_two_cores = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux with at least two allowed cores",
)


def _affinity_in_new_thread() -> set[int]:
    seen: list[set[int]] = []
    thread = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
    thread.start()
    thread.join()
    return seen[0]


@needs_two_cores
def test_the_thread_and_its_new_threads_share_one_core_then_get_their_set_back() -> None:
    before = os.sched_getaffinity(0)
    waiting, checked = threading.Event(), []
    bystander = threading.Thread(target=lambda: (waiting.wait(10), checked.append(os.sched_getaffinity(0))))
    bystander.start()
    with one_core() as core:
        assert core in before
        assert os.sched_getaffinity(0) == {core}
        assert _affinity_in_new_thread() == {core}  # paramiko's transport thread starts like this
        waiting.set()
        bystander.join()
    assert checked == [before]  # a thread that was already running is not narrowed
    assert os.sched_getaffinity(0) == before


@needs_two_cores
def test_the_set_comes_back_when_the_upload_fails() -> None:
    before = os.sched_getaffinity(0)
    with pytest.raises(ConnectionResetError), one_core() as core:
        assert os.sched_getaffinity(0) == {core}
        raise ConnectionResetError("dropped")
    assert os.sched_getaffinity(0) == before


@needs_two_cores
def test_uploads_running_together_share_one_core() -> None:
    together = threading.Barrier(4, timeout=10)
    results: list[int | None] = []

    def upload() -> None:
        with one_core() as core:
            together.wait()  # all four are inside at once
            results.append(core)

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1 and results[0] is not None


@needs_two_cores
def test_a_shared_core_no_longer_allowed_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = os.sched_getaffinity(0)
    monkeypatch.setattr(cpu_affinity, "_running", 1)  # another upload is running on a core now gone
    monkeypatch.setattr(cpu_affinity, "_core", max(allowed) + 1000)
    with one_core() as core:
        assert core in allowed


@needs_two_cores
def test_a_refused_affinity_change_leaves_the_upload_on_any_core(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_pid: int, _cores: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # as under a seccomp sandbox

    before = os.sched_getaffinity(0)
    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    with pytest.raises(TimeoutError) as failed, one_core() as core:
        assert core is None
        assert os.sched_getaffinity(0) == before
        raise TimeoutError("stalled")
    assert failed.value.__context__ is None  # the refusal does not ride along in the upload's traceback


@pytest.mark.parametrize("value", ["1", "yes"])
def test_the_environment_switch_leaves_the_thread_alone(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(ANY_CORE_ENV, value)
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    with one_core() as core:
        assert core is None
        assert (os.sched_getaffinity(0) if before is not None else None) == before
