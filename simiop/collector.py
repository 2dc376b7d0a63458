"""The cyclic garbage collector paused while one replication is simulated and reported."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_paused = 0
"""How many ``collector_paused`` blocks are open, in every thread together."""
_restore = False
"""Whether the collector was on when the first of the open blocks began (and so goes back on)."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block; restore it as it was, even on an error.

    Why: a replication allocates many small objects (records, events,
    columns) that live to its end; the collector would scan them again and
    again, 10-20% of a run, and one full pass right after ``simulate`` landed
    in billing (5-9 ms of a 3-year baseline cell, measured in issue 17).
    Nearly all of a run's memory is freed by reference counting when the
    records go; the few cycles wait for the next collection after the block.
    Nested use is safe: an inner block leaves the collector off for the outer one.
    So a whole cell runs in one block (``run_cell``): the collector comes
    back on only once its records are gone, with little left to scan.

    Blocks of several threads at once (a Dask worker runs a cell per thread
    unless given ``--nthreads 1``) share one count: the collector is off
    while any block is open and restored when the last closes. Each block
    saving and restoring it alone switched it on inside the others, or left
    it off for good when one read "off" just before another switched it on.
    """
    global _paused, _restore
    with _LOCK:
        if _paused == 0:
            _restore = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _LOCK:
            _paused -= 1
            if _paused == 0 and _restore:
                gc.enable()


def freeze_survivors() -> int:
    """Keep every object alive now out of all later collections (``gc.freeze``); how many there are.

    Why: a worker process lives for many cells on the modules, configs and
    caches it imported at start-up (tens of thousands of objects). Each full
    collection would scan them all again (25 ms in a worker, measured in
    issue 17), and in a forked worker the scan also writes to pages it
    shares with its parent. They live as long as the process, so the
    collector need never look at them; what the cells allocate later is
    collected as usual.
    """
    gc.freeze()
    return gc.get_freeze_count()


@contextmanager
def start_up() -> Iterator[None]:
    """Pause the collector while a command starts (its imports, reading and checking its config); then
    freeze what is alive (``freeze_survivors``) and restore the collector as it was, even on an error.

    Why: a command's start-up makes some 100,000 objects that live as long as
    the process (modules, the config models pydantic builds, the config) and
    few that die in cycles; the collector scanned them again and again as
    they were made: in a one-week ``simiop run``, 130 young passes, 12 middle
    ones and one full pass of 27 ms, about 55 ms of the command's 0.47 s of
    CPU (measured in issue 17). Paused, nothing is scanned; frozen, they stay
    out of every later collection (the cells' and a forked worker's too). The
    cost: the few start-up objects already garbage but in a cycle when the
    block ends (615 in that run) are frozen with the rest and never freed.
    So only a process's first start-up freezes (a command line has one); a
    process that calls the command line again and again (a test session, a
    notebook) would otherwise freeze each call's uncollected garbage: there
    the later calls only pause the collector.
    """
    with collector_paused():
        try:
            yield
        finally:
            if gc.get_freeze_count() == 0:
                freeze_survivors()
