"""Callbacks at clock times: ordinary ones in scheduling order, urgent ones first at their instant."""

from __future__ import annotations

import math

import simpy

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
