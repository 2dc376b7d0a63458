"""Results.table: a name that is no table is refused as such, not as a table the run did not keep."""

from __future__ import annotations

from pathlib import Path

import pytest

import simiop


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> simiop.Results:
    config = simiop.load_config(simiop.example_config(), changes={"simulation.horizon_days": 30})
    out = tmp_path_factory.mktemp("tables") / "out"
    return simiop.run(config, replications=1, jobs=1, tables="daily", report=False, out=out)


def test_an_unknown_table_name_is_a_key_error_naming_the_tables(results: simiop.Results) -> None:
    with pytest.raises(KeyError) as caught:
        results.table("episode")  # a typo of episodes
    message = str(caught.value)
    assert "'episode'" in message
    for name in ("episodes", "daily", "staff", "sessions", "bookings", "kpis", "periods"):
        assert name in message


def test_a_table_not_kept_is_still_file_not_found(results: simiop.Results) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        results.table("episodes")
    assert "not kept (tables kept: daily)" in str(caught.value)


def test_kept_and_always_written_tables_are_read(results: simiop.Results) -> None:
    for name in ("daily", "kpis", "periods"):
        rows = results.table(name)
        assert len(rows) > 0, name
    assert Path(results.out, "scenarios", "base", "r0000", "periods.csv").is_file()
