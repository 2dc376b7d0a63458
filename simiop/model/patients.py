"""Random numbers keyed by the patient: each referral's own streams, the same in every scenario.

A stay drawn from streams shared by everyone (one draw per patient-day, in
clock order) is reshuffled for every patient as soon as a scenario moves one
admission. Here each episode draws from its own counter-based stream, keyed by
where the referral came from (the source's name and the referral's number
within that source) and the episode's number for that patient (0 for the
first referral, 1 for the first readmission, ...), with one stream per
purpose. A scenario that changes when or whether someone is admitted leaves
every other patient's numbers alone: stronger common random numbers.

The streams are Philox blocks: the key comes from (seed, replication) through
a SeedSequence, once per run; a patient's stream is the block whose counter
holds (purpose, referral, source). Setting a counter costs a few microseconds
where building a seeded generator per patient costs tens.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np

_COUNTER_WORDS = 4


class Purpose(IntEnum):
    """What a patient's stream is for: each purpose its own sequence, so layouts never interfere."""

    STAY = 0
    """The stay drawn at admission: planned stay, propensity, family, hazards, attendance."""
    WAIT_LIST = 1
    """Patience on a wait list."""
    DISCHARGE = 2
    """Readmission after a discharge: whether, and after how long."""
    INTAKE = 3
    """Intake: patience, then one show draw per booking, then the outcome."""
    REVIEWS = 4
    """Progress and payer reviews of a stay: apart from the attendance drawn before them, whose length
    stops at the horizon, so a review's outcome does not depend on how long the run is."""
    RECERT = 6
    """Recertification of the plan of care (length_of_stay.recertification): one uniform per
    recertification date the stay could reach, in date order, drawn at admission only when the patient's
    payer is recertified (u >= continue_probability: not recertified)."""
    HANDOFF = 7
    """A warm hand-off (referrals.sources.<source>.warm_handoff), drawn only for a contacted referral of a
    source that has one, in this fixed order: whether it is handed off warm (one uniform), whether the
    patient arrives for the arranged start (one uniform), then the days until ready (ready_after_days'
    draw, none if it is omitted). Numbers 5 and 6 are other features' (DISENGAGE, RECERT)."""
    DISENGAGE = 5
    """Early disengagement, drawn at admission only when no-starts or the dropout hazard are on: two
    uniforms, always both, in this order: whether the patient never starts, then when the dropout hazard
    fires (one uniform through the inverse CDF over the stay's days)."""


class PatientKey(NamedTuple):
    """Who an episode is, stably across scenarios: the referral it began with and the episode number.

    A named tuple rather than a frozen dataclass: one is made per referral, and a tuple is made in a
    fraction of the time.
    """

    source: int
    """A 64-bit number from the name of the source of the patient's first referral."""
    referral: int
    """The referral's number within its source (0-based)."""
    episode: int = 0
    """0 for the first referral, one more for each readmission."""

    @classmethod
    def of_referral(cls, source_name: str, referral: int) -> PatientKey:
        digest = hashlib.sha256(source_name.encode("utf-8")).digest()
        return cls(int.from_bytes(digest[:8], "little"), referral)

    def readmitted(self) -> PatientKey:
        return PatientKey(self.source, self.referral, self.episode + 1)


class PatientStreams:
    """One generator per run, moved to a patient's block on request."""

    def __init__(self, seed: int, replication: int) -> None:
        sequence = np.random.SeedSequence(entropy=seed, spawn_key=(replication, 0x9A71E47))
        self._key = sequence.generate_state(2, dtype=np.uint64)
        self._bits = np.random.Philox(key=self._key)
        self._generator = np.random.Generator(self._bits)
        # The state the setter copies in, held as Python lists of ints rather than numpy arrays: the
        # setter reads it word by word, which costs a third as much from a list (0.45 us, not 1.2).
        # Only the counter's key words change per patient; the rest is written once here: an empty
        # buffer (the next draw starts the block), no half-used 32-bit word.
        # (numpy's stubs type the arrays; the setter takes any sequence of ints, and
        # tests/test_patients.py checks the streams against numpy's own constructor.)
        self._counter = [0] * _COUNTER_WORDS
        self._state: Any = {
            "bit_generator": "Philox",
            "state": {"counter": self._counter, "key": [int(word) for word in self._key]},
            "buffer": [0] * _COUNTER_WORDS,
            "buffer_pos": _COUNTER_WORDS,
            "has_uint32": 0,
            "uinteger": 0,
        }
        self._source = -1
        """The source word last written to the counter (a run's referrals mostly share a few)."""

    def of(self, key: PatientKey, purpose: Purpose) -> np.random.Generator:
        """The generator at the start of ``key``'s ``purpose`` stream; valid until the next call."""
        source, referral, episode = key
        if referral >= 1 << 44 or episode >= 1 << 20:
            raise ValueError(f"patient key out of range: {key}")
        counter = self._counter  # written in place: no new list per patient; word 0 stays 0
        counter[1] = purpose
        counter[2] = (referral << 20) | episode
        if source != self._source:
            counter[3] = self._source = source
        self._bits.state = self._state
        return self._generator
