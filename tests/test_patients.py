"""Each patient's own streams: the same numbers whoever else draws, distinct per patient and purpose."""

from __future__ import annotations

import numpy as np
import pytest

from simiop.model.patients import PatientKey, PatientStreams, Purpose


def test_a_patients_stream_restarts_at_the_same_numbers_whoever_drew_between() -> None:
    streams = PatientStreams(11, 2)
    key = PatientKey.of_referral("step_up", 40)
    first = streams.of(key, Purpose.STAY).random(6)
    streams.of(PatientKey.of_referral("step_up", 41), Purpose.STAY).random(1000)
    streams.of(key, Purpose.INTAKE).random(3)
    assert np.array_equal(streams.of(key, Purpose.STAY).random(6), first)
    assert np.array_equal(PatientStreams(11, 2).of(key, Purpose.STAY).random(6), first)  # a new run


def test_patients_purposes_replications_and_seeds_draw_different_numbers() -> None:
    key = PatientKey.of_referral("step_up", 40)
    draws = {
        "base": PatientStreams(11, 2).of(key, Purpose.STAY).random(4).tolist(),
        "next referral": PatientStreams(11, 2)
        .of(PatientKey.of_referral("step_up", 41), Purpose.STAY)
        .random(4)
        .tolist(),
        "other source": PatientStreams(11, 2)
        .of(PatientKey.of_referral("community", 40), Purpose.STAY)
        .random(4)
        .tolist(),
        "readmission": PatientStreams(11, 2).of(key.readmitted(), Purpose.STAY).random(4).tolist(),
        "purpose": PatientStreams(11, 2).of(key, Purpose.DISCHARGE).random(4).tolist(),
        "replication": PatientStreams(11, 3).of(key, Purpose.STAY).random(4).tolist(),
        "seed": PatientStreams(12, 2).of(key, Purpose.STAY).random(4).tolist(),
    }
    assert len({tuple(v) for v in draws.values()}) == len(draws)


def test_a_patients_draws_are_uniform() -> None:
    streams = PatientStreams(3, 0)
    firsts = [streams.of(PatientKey(7, index), Purpose.STAY).random() for index in range(4000)]
    assert np.mean(firsts) == pytest.approx(0.5, abs=0.02)
    assert np.var(firsts) == pytest.approx(1 / 12, abs=0.01)


def test_keys_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        PatientStreams(1, 0).of(PatientKey(1, 1 << 44), Purpose.STAY)


def test_streams_of_patients_from_different_sources_interleave_as_if_each_came_first() -> None:
    """The source's counter word is rewritten only when it changes: alternating sources must not leak."""
    a, b = PatientKey.of_referral("step_up", 3), PatientKey.of_referral("community", 3)
    streams = PatientStreams(5, 1)
    seen = [streams.of(key, purpose).random(3).tolist() for key in (a, b, a, b) for purpose in Purpose]
    alone = [
        PatientStreams(5, 1).of(key, purpose).random(3).tolist()
        for key in (a, b, a, b)
        for purpose in Purpose
    ]
    assert seen == alone
    assert seen[0] != seen[len(Purpose)]  # the two sources' streams differ


def test_a_patients_stream_is_the_philox_block_at_its_counter() -> None:
    """The stream is Philox with the run's key and counter (0, purpose, referral << 20 | episode, source),
    as numpy's own constructor makes it: however the state is set, these are the numbers."""
    streams = PatientStreams(21, 4)
    for key in (PatientKey.of_referral("step_up", 9), PatientKey(2**63 + 5, (1 << 44) - 1, 3)):
        for purpose in Purpose:
            counter = [0, int(purpose), (key.referral << 20) | key.episode, key.source]
            words = np.array(counter, dtype=np.uint64)
            expected = np.random.Generator(np.random.Philox(counter=words, key=streams._key))
            rng = streams.of(key, purpose)
            assert rng.random(5).tolist() == expected.random(5).tolist()
            assert float(rng.exponential(2.0)) == float(expected.exponential(2.0))
            assert rng.integers(0, 1000, 3).tolist() == expected.integers(0, 1000, 3).tolist()
