"""simiop.jsonfile.read_json: every way a JSON file is unreadable is an OSError or a ValueError."""

from __future__ import annotations

from pathlib import Path

import pytest

from simiop.jsonfile import read_json


def test_read_json_reads_the_value(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"files": ["x.csv"], "n": 2}', encoding="utf-8")
    assert read_json(path) == {"files": ["x.csv"], "n": 2}


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # a RecursionError inside json
        ("{not json", "Expecting property name"),
        (b"\xff\xfe{}", "can't decode"),
    ],
)
def test_what_is_not_json_is_a_value_error(tmp_path: Path, data: str | bytes, said: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    with pytest.raises(ValueError, match=said):
        read_json(path)


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "none.json")
