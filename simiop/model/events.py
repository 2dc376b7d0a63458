"""Callbacks at clock times: the model's only kind of event.

Every stage schedules plain callbacks on simpy's clock (one event each, like a
bare Timeout) rather than running generator processes, which cost a process,
an initialisation event and a resume per step.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT


def until(time: float, now: float) -> float:
    """The delay from ``now`` to a clock time, never negative.

    simpy stores now + delay, which can land one unit in the last place past
    the time meant; a later clock time equal to it must then wait 0, not
    raise 'Negative delay'.
    """
    return max(0.0, time - now)


def _stock_clock() -> bool:
    """Whether simpy's Environment keeps its clock, queue and event counter where ``Call`` reads them.

    simpy 3 and 4 do (``_now``, a heap list ``_queue``, an ``itertools.count`` ``_eid``); a simpy that
    does not gets its public ``schedule`` instead, only slower.
    """
    env = simpy.Environment()
    return (
        isinstance(getattr(env, "_now", None), float | int)
        and isinstance(getattr(env, "_queue", None), list)
        and hasattr(getattr(env, "_eid", None), "__next__")
    )


_STOCK = simpy.Environment if _stock_clock() else None
"""The environment class whose queue a Call joins directly (None: always through ``schedule``)."""


class Call(simpy.Event):
    """``callback(event)`` at ``time``; ``urgent``: before every ordinary event at that instant.

    ``value``: the event's value (``event.value`` in the callback), so that a method can serve every
    event of a kind (a discharge's enrolment): a closure per event over what it is about cost its
    making. (Not a bound method kept on the stage: that is a reference cycle, see Clinic.close.)
    """

    def __init__(
        self,
        env: simpy.Environment,
        time: float,
        callback: Callable[[Any], None],
        urgent: bool = False,
        value: Any = None,
    ) -> None:
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        if type(env) is _STOCK:  # env.schedule written out (a third of a Call's cost): same key, same order
            now = env._now
            delay = time - now  # until(time, now), written out: one of these per event
            heappush(
                env._queue,
                (now + (delay if delay > 0.0 else 0.0), URGENT if urgent else NORMAL, next(env._eid), self),
            )
        else:
            delay = time - env.now
            env.schedule(self, URGENT if urgent else NORMAL, delay if delay > 0.0 else 0.0)
