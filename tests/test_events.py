"""Callbacks at clock times: ordinary ones in scheduling order, urgent ones first at their instant; a
``Clock`` runs them (and simpy's own events) exactly as a simpy environment would."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy

from simiop.model.events import Clock, call, until

ENVIRONMENTS: list[Callable[[], simpy.Environment]] = [Clock, simpy.Environment]


@pytest.mark.parametrize("make", ENVIRONMENTS)
def test_urgent_calls_run_before_ordinary_ones_at_the_same_instant(
    make: Callable[[], simpy.Environment],
) -> None:
    env = make()
    log: list[tuple[float, str]] = []
    call(env, 2.0, lambda _: log.append((env.now, "discharge")))
    call(env, 1.0, lambda _: log.append((env.now, "referral")))
    call(env, 2.0, lambda _: log.append((env.now, "round")), urgent=True)
    call(env, 2.0, lambda _: log.append((env.now, "assessment ends")))
    env.run()
    assert log == [(1.0, "referral"), (2.0, "round"), (2.0, "discharge"), (2.0, "assessment ends")]


@pytest.mark.parametrize("make", ENVIRONMENTS)
def test_a_call_for_a_past_time_runs_now_and_waits_never_go_negative(
    make: Callable[[], simpy.Environment],
) -> None:
    env = make()
    log: list[float] = []

    def late(_: object) -> None:  # a time one ulp behind the clock
        call(env, math.nextafter(3.0, 0.0), lambda _: log.append(env.now))

    call(env, 3.0, late)
    env.run()
    assert log == [3.0]
    assert until(1.0, math.nextafter(1.0, 2.0)) == 0.0
    assert until(2.5, 2.0) == 0.5


@pytest.mark.parametrize("make", ENVIRONMENTS)
def test_a_call_hands_its_value_to_its_callback(make: Callable[[], simpy.Environment]) -> None:
    """One callback made once serves many events: each carries what it is about as its value."""
    env = make()
    seen: list[tuple[float, object]] = []

    def callback(value: object) -> None:
        seen.append((env.now, value))

    call(env, 2.0, callback, value="second")
    call(env, 1.0, callback, value="first")
    call(env, 3.0, callback)
    env.run()
    assert seen == [(1.0, "first"), (2.0, "second"), (3.0, None)]


def _script(env: simpy.Environment, seed: int) -> list[tuple[float, str]]:
    """Calls, timeouts and a process scheduled at random (some at the same instants, some urgent, some
    from inside others), run in three legs to clock times and one to the end: what ran when."""
    rng = random.Random(seed)
    log: list[tuple[float, str]] = []

    def note(name: str) -> Callable[[Any], None]:
        def noted(value: Any) -> None:
            log.append((env.now, f"{name}:{value}"))
            if rng.random() < 0.3:  # schedule more from inside a callback, now or later
                call(env, env.now + rng.choice([0.0, 0.5, 1.0]), note(name + "+"), urgent=rng.random() < 0.3)

        return noted

    def timed_out(event: simpy.Event) -> None:
        log.append((env.now, f"timeout:{event.value}"))

    def process() -> Generator[simpy.Event, Any, None]:
        for step in range(5):
            yield env.timeout(rng.choice([0.5, 1.0, 1.5]))
            log.append((env.now, f"process:{step}"))

    env.process(process())
    for index in range(40):
        time = rng.choice([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 7.5]) + rng.choice([0.0, 0.0, 0.25])
        if rng.random() < 0.2:
            timeout = env.timeout(time, value=index)
            timeout.callbacks.append(timed_out)
        else:
            call(env, time, note(f"c{index}"), urgent=rng.random() < 0.3, value=index)
    env.run(until=1.0)
    log.append((env.now, "stop"))
    env.run(until=2.5)
    log.append((env.now, "stop"))
    env.run(until=3)  # an int, as simpy allows
    log.append((env.now, "stop"))
    env.run()
    log.append((env.now, f"end, {next(env._eid)} events"))
    return log


@pytest.mark.parametrize("seed", range(6))
def test_a_clock_runs_calls_and_simpy_events_as_simpy_does(seed: int) -> None:
    """The same script on a Clock and on simpy's own environment: the same order, times and event count
    (simpy's stop at a clock time is put back in the queue under a new number; the Clock does the same)."""
    assert _script(Clock(), seed) == _script(simpy.Environment(), seed)


def test_a_clock_stops_where_simpy_stops_and_keeps_what_is_pending() -> None:
    clock, plain = Clock(), simpy.Environment()
    for env in (clock, plain):
        call(env, 5.0, lambda _: None)
        env.run(until=2.0)
        assert env.now == 2.0
        assert env.peek() == 2.0  # the stop, back in the queue with nothing left to run
        env.run(until=3.0)
        assert env.peek() == 3.0  # the earlier stop ran (nothing) first; this run's is back
        env.step()
        assert env.peek() == 5.0
        with pytest.raises(ValueError, match="must be greater than the current simulation time"):
            env.run(until=3.0)
    assert next(clock._eid) == next(plain._eid)


def test_a_failed_simpy_event_on_a_clock_raises_as_on_simpy() -> None:
    for env in (Clock(), simpy.Environment()):
        env.event().fail(KeyError("lost"))
        with pytest.raises(KeyError, match="lost"):
            env.run(until=1.0)


def test_run_until_an_event_returns_its_value_on_a_clock() -> None:
    clock = Clock()
    done = clock.timeout(2.0, value="done")
    call(clock, 1.0, lambda _: None)
    assert clock.run(until=done) == "done"
    assert clock.now == 2.0
    clock.step()  # nothing left: as simpy
    with pytest.raises(simpy.core.EmptySchedule):
        clock.step()
