"""Break tests of issue 17's speed round (f902b84): cases where the new code left the old one's way.

``Clock`` must run as ``simpy.Environment`` does, also on the paths the model itself never takes: a
plain callback that stops the run (``StopSimulation``), and a run left by an exception or a stop, whose
stop event stays armed in the queue (simpy stops the next run that reaches it). The oracle is simpy's
own environment running the same ``call``s (``call`` makes them simpy events there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import simpy
from simpy.core import StopSimulation

from simiop.model.events import Clock, call


class _BoomError(Exception):
    pass


def _stopping(env: simpy.Environment, log: list[Any]) -> Callable[[Any], None]:
    def stop(value: Any) -> None:
        log.append((env.now, "stop", value))
        raise StopSimulation(value)

    return stop


def _noting(env: simpy.Environment, log: list[Any], name: str) -> Callable[[Any], None]:
    return lambda value: log.append((env.now, name, value))


def _stop_from_a_callback(env: simpy.Environment) -> list[Any]:
    """A plain callback stops a run to a clock time, then a run to the end: what ran, what each run
    returned, the clock, the events numbered and the queue left."""
    log: list[Any] = []
    call(env, 1.0, _noting(env, log, "a"))
    call(env, 2.0, _stopping(env, log), value="halt")
    call(env, 2.0, _noting(env, log, "b"))
    call(env, 6.0, _noting(env, log, "c"))
    log.append(("returned", env.run(until=5.0), env.now))
    log.append(("queue", [(entry[0], entry[1]) for entry in sorted(env._queue)]))
    log.append(("returned", env.run(until=8.0), env.now))
    log.append(("returned", env.run(), env.now))
    log.append(("events", next(env._eid), len(env._queue)))
    return log


def test_a_plain_callback_that_stops_a_run_leaves_the_queue_and_count_as_on_simpy() -> None:
    """simpy puts a stopped event back in the queue (priority -1, a new number) with the callbacks it had
    left; the Clock once dropped a stopped plain callback instead: one entry and one number fewer, so the
    run's event count (the ``simulated_events`` KPI) and the queue differed from simpy's."""
    assert _stop_from_a_callback(Clock()) == _stop_from_a_callback(simpy.Environment())


def test_a_plain_callback_that_stops_an_open_run_counts_as_on_simpy() -> None:
    def script(env: simpy.Environment) -> list[Any]:
        log: list[Any] = []
        call(env, 1.0, _stopping(env, log), value=7)
        call(env, 3.0, _noting(env, log, "later"))
        log.append(("returned", env.run(), env.now))
        env.step()  # the stopped event, back first: nothing left to run
        log.append(("returned", env.run(), env.now, next(env._eid)))
        return log

    assert script(Clock()) == script(simpy.Environment())


def _failed_then_resumed(env: simpy.Environment) -> list[Any]:
    """A callback raises during a run to 5; the next runs (to 7, then to the end) meet that run's stop
    at 5, still armed: simpy stops there."""
    log: list[Any] = []

    def boom(_: Any) -> None:
        raise _BoomError

    call(env, 1.0, boom)
    call(env, 4.0, _noting(env, log, "four"))
    call(env, 6.0, _noting(env, log, "six"))
    with pytest.raises(_BoomError):
        env.run(until=5.0)
    log.append(("after", env.now))
    log.append(("returned", env.run(until=7.0), env.now))
    log.append(("returned", env.run(), env.now, next(env._eid), len(env._queue)))
    return log


def test_a_run_left_by_an_exception_stops_the_next_run_at_its_time_as_on_simpy() -> None:
    clock, plain = _failed_then_resumed(Clock()), _failed_then_resumed(simpy.Environment())
    assert (5.0, "four") not in plain  # the oracle stops the run to 7 at 5: "six" waits for the next
    assert clock == plain


def test_a_run_stopped_early_leaves_its_stop_armed_for_a_step_as_on_simpy() -> None:
    """A run to 5 stopped at 2 by a callback; ``step`` then reaches the stop at 5 and raises
    StopSimulation, as simpy's step does (its until event's callback stops the simulation)."""

    def script(env: simpy.Environment) -> list[Any]:
        log: list[Any] = []
        call(env, 2.0, _stopping(env, log))
        call(env, 9.0, _noting(env, log, "nine"))
        log.append(("returned", env.run(until=5.0), env.now))
        env.step()  # the stopped callback's event, back first
        with pytest.raises(StopSimulation):
            env.step()  # the stop at 5, still armed
        log.append(("at", env.now, env.peek()))
        log.append(("returned", env.run(), env.now, next(env._eid)))
        return log

    assert script(Clock()) == script(simpy.Environment())


def test_the_declared_simpy_floor_stops_runs_as_the_clock_does() -> None:
    """simpy 4.1.0 and 4.1.1 drop the event whose callback stopped a run (their ``step`` has no
    ``except StopSimulation``); 4.1.2 puts it back in the queue under a new number, as ``Clock`` does.
    So on 4.1.0/4.1.1 the reference code (df50a08) counted one event fewer per run than on 4.1.2 (the
    ``simulated_events`` KPI, pinned from 4.1.2), and the Clock-against-simpy tests (test_events.py and
    the ones above) fail there: the floor must be 4.1.2 (read from the sources of 4.1.0, 4.1.1, 4.1.2)."""
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'"simpy>=([0-9.]+)"', text)
    assert found is not None, "simpy's requirement not found in pyproject.toml"
    assert tuple(int(part) for part in found.group(1).split(".")) >= (4, 1, 2)
    installed = tuple(int(part) for part in metadata.version("simpy").split(".")[:3])
    assert installed >= (4, 1, 2)
