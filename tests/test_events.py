"""Callbacks at clock times: ordinary ones in scheduling order, urgent ones first at their instant."""

from __future__ import annotations

import math
from typing import Any

import simpy

from simiop.model import events
from simiop.model.events import Call, until


def test_urgent_calls_run_before_ordinary_ones_at_the_same_instant() -> None:
    env = simpy.Environment()
    log: list[tuple[float, str]] = []
    Call(env, 2.0, lambda _: log.append((env.now, "discharge")))
    Call(env, 1.0, lambda _: log.append((env.now, "referral")))
    Call(env, 2.0, lambda _: log.append((env.now, "round")), urgent=True)
    Call(env, 2.0, lambda _: log.append((env.now, "assessment ends")))
    env.run()
    assert log == [(1.0, "referral"), (2.0, "round"), (2.0, "discharge"), (2.0, "assessment ends")]


def test_a_call_for_a_past_time_runs_now_and_waits_never_go_negative() -> None:
    env = simpy.Environment()
    log: list[float] = []

    def late(_: object) -> None:  # a time one ulp behind the clock
        Call(env, math.nextafter(3.0, 0.0), lambda _: log.append(env.now))

    Call(env, 3.0, late)
    env.run()
    assert log == [3.0]
    assert until(1.0, math.nextafter(1.0, 2.0)) == 0.0
    assert until(2.5, 2.0) == 0.5


def test_a_call_hands_its_value_to_its_callback() -> None:
    """One callback made once serves many events: each carries what it is about as its value."""
    env = simpy.Environment()
    seen: list[tuple[float, object]] = []

    def callback(event: Call) -> None:
        seen.append((env.now, event.value))

    Call(env, 2.0, callback, value="second")
    Call(env, 1.0, callback, value="first")
    Call(env, 3.0, callback)
    env.run()
    assert seen == [(1.0, "first"), (2.0, "second"), (3.0, None)]


def test_a_call_joins_the_queue_as_env_schedule_would() -> None:
    """Calls on a stock environment skip ``schedule``; on any other they go through it, in the same order."""

    class Counted(simpy.Environment):
        scheduled = 0

        def schedule(self, *args: Any, **kwargs: Any) -> None:
            Counted.scheduled += 1
            super().schedule(*args, **kwargs)

    def run(env: simpy.Environment) -> list[tuple[float, str]]:
        log: list[tuple[float, str]] = []
        Call(env, 0.1, lambda _: log.append((env.now, "past")))
        Call(env, 1.3, lambda _: log.append((env.now, "later")))
        Call(env, 1.3, lambda _: log.append((env.now, "urgent")), urgent=True)
        env.run()
        return log

    logs = [run(simpy.Environment(initial_time=0.25)), run(Counted(initial_time=0.25))]
    assert logs[0] == logs[1] == [(0.25, "past"), (1.3, "urgent"), (1.3, "later")]
    assert Counted.scheduled == 3  # a subclass (it may override schedule) goes through schedule
    assert events._STOCK is simpy.Environment  # the simpy installed has the queue Call joins directly
