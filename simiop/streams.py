"""Named, independent random streams for common random numbers.

Every source of randomness in the model (referrals, patience, attendance,
length of stay, ...) draws from its own stream, identified by a name. The
stream for a (seed, replication, name) triple is a pure function of that
triple:

* Scenario k's replication r uses exactly the same named streams as the base
  scenario's replication r, so differences between scenarios come from the
  scenario change and not from different luck (common random numbers; this
  is what makes paired comparisons tight with few replications).
* Adding a new random element (a new name) never shifts the numbers drawn by
  the existing ones, and creating streams in a different order changes
  nothing, so a model change does not silently reshuffle every result.
* The name is turned into numbers with SHA-256 rather than ``hash()``, whose
  value for strings changes with every Python process, so results are
  identical across processes, machines and Python runs.

The triple seeds a ``numpy.random.SeedSequence`` (entropy = seed, spawn key =
(replication, *name words)) driving a PCG64 bit generator; the spawn key
keeps the streams of different replications and names statistically
independent.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["RandomStreams", "stream"]

_NAME_WORDS = 8
"""A SHA-256 digest is 8 unsigned 32-bit words; all are used so names never collide in practice."""


def _name_words(name: str) -> tuple[int, ...]:
    """A stable numeric key for a stream name (same in every process and Python version)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[4 * i : 4 * i + 4], "little") for i in range(_NAME_WORDS))


def _check_index(label: str, value: object) -> int:
    # bool is an int subclass, but "seed: true" is a config mistake, not seed 1.
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{label} must be an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{label} must be >= 0, got {value}")
    return int(value)


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """A fresh generator for one named stream of one replication of a run.

    Calling this twice with the same arguments gives two generators in the
    same state; use ``RandomStreams`` to share one generator per name.
    """
    seed = _check_index("seed", seed)
    replication = _check_index("replication", replication)
    if not isinstance(name, str) or not name:
        raise ValueError(f"stream name must be a non-empty string, got {name!r}")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(replication, *_name_words(name)))
    return np.random.Generator(np.random.PCG64(sequence))


class RandomStreams:
    """The named streams of one replication, each created on first use and then reused.

    Model components ask for their stream by name (``streams.get("patience")``)
    and keep drawing from the same generator for the whole replication.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self._seed = _check_index("seed", seed)
        self._replication = _check_index("replication", replication)
        self._generators: dict[str, np.random.Generator] = {}

    @property
    def seed(self) -> int:
        """Base seed of the run."""
        return self._seed

    @property
    def replication(self) -> int:
        """Replication number (0-based); the same number in every scenario."""
        return self._replication

    def get(self, name: str) -> np.random.Generator:
        """The generator for ``name``; the same object on every call."""
        generator = self._generators.get(name)
        if generator is None:
            generator = stream(self._seed, self._replication, name)
            self._generators[name] = generator
        return generator

    def __repr__(self) -> str:
        return f"RandomStreams(seed={self._seed}, replication={self._replication})"
