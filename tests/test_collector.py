"""The collector pause used around a replication restores the collector exactly as it found it, and a
cell leaves nothing for it to scan."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator

import pytest

from simiop.collector import collector_paused, freeze_survivors, start_up
from simiop.experiments.cells import CellTask, run_cell
from simiop.experiments.evaluate import EvaluationTask, evaluate_replication
from tests.tiny_world import tiny_config


@pytest.fixture(autouse=True)
def _collector_back_on() -> Iterator[None]:
    yield
    gc.enable()


def test_paused_inside_and_on_again_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_on_again_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a failed run")
    assert gc.isenabled()


def test_left_off_when_the_caller_had_it_off_and_nested_blocks_keep_it_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block must not switch it on inside the outer one
    assert gc.isenabled()


def test_freezing_keeps_what_is_alive_now_out_of_later_collections() -> None:
    gc.unfreeze()
    kept = [[index] for index in range(100)]  # containers: objects the collector tracks
    try:
        frozen = freeze_survivors()
        assert frozen == gc.get_freeze_count() > 100
        assert not any(any(item is obj for item in kept) for obj in gc.get_objects())
        made_after = [[1]]
        assert any(obj is made_after for obj in gc.get_objects())  # later objects are collected as usual
    finally:
        gc.unfreeze()


def test_a_cell_turns_the_collector_back_on_with_none_of_its_run_left_to_collect() -> None:
    """The run's records and clinic are freed by reference counting as the cell ends: none waits for
    the collector (left in cycles, a 3-year run cost a 5-7 ms collection). A few objects of simpy's
    environment (which points at itself) and what it still holds are cycles, and are collected."""
    config = tiny_config()
    gc.collect()
    gc.enable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage for us to look at
    try:
        result = run_cell(CellTask("base", 0, config, 1, ("episodes", "daily", "staff")))
        assert gc.isenabled()
        gc.collect()
        left = {type(obj).__name__ for obj in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert "episodes.csv" in result.files
    assert not left & {"Records", "PatientDays", "RowColumns", "TrackDay", "Booking", "Clinic", "PatientKey"}


def test_an_evaluated_replication_turns_the_collector_back_on() -> None:
    gc.enable()
    values = evaluate_replication(EvaluationTask(0, 0, tiny_config(), 1, daily_census=False))
    assert gc.isenabled()
    assert values.kpis["referrals"] >= 0


def test_start_up_pauses_then_freezes_what_is_alive_and_restores_the_collector() -> None:
    gc.unfreeze()
    gc.enable()
    try:
        with start_up():
            assert not gc.isenabled()
            made = [[index] for index in range(100)]
        assert gc.isenabled()
        assert gc.get_freeze_count() > 100
        assert not any(any(item is obj for item in made) for obj in gc.get_objects())
        frozen = gc.get_freeze_count()
        with start_up():
            made_later = [[1]]
        assert gc.get_freeze_count() == frozen  # a second start-up in the process freezes nothing more
        assert any(obj is made_later for obj in gc.get_objects())
        gc.disable()
        with pytest.raises(RuntimeError), start_up():
            raise RuntimeError("a config refused")
        assert not gc.isenabled()  # left off, as the caller had it
    finally:
        gc.unfreeze()


def test_threads_pausing_at_once_keep_it_off_until_the_last_leaves_and_then_restore_it() -> None:
    """A Dask worker runs one cell per thread (``dask worker`` has a thread per core unless told
    ``--nthreads 1``), so blocks of different threads overlap. Each block used to save and restore the
    collector on its own: the first to leave switched it on inside the others, and a thread that read
    "off" just before another switched it on left it off for good (4 of 20 runs of 4 threads x 20,000
    blocks ended with the collector off)."""
    gc.enable()
    inside = threading.Event()
    leave = threading.Event()

    def other_cell() -> None:
        with collector_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other_cell)
    try:
        with collector_paused():
            thread.start()  # a second cell starts while this one runs
            assert inside.wait(10)
        assert not gc.isenabled()  # this cell is done, the other thread's still runs: still paused
    finally:
        leave.set()
        thread.join(10)
    assert gc.isenabled()  # the last block out restores it

    def many() -> None:
        for _ in range(2000):
            with collector_paused():
                pass

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race's window is one call wide
    try:
        threads = [threading.Thread(target=many) for _ in range(4)]
        for each in threads:
            each.start()
        for each in threads:
            each.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert gc.isenabled()
