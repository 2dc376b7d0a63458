"""simiop.jsonfile.read_json: every way a JSON file is unreadable is an OSError or a ValueError."""

from __future__ import annotations

import os
import threading
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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    """A manifest.json that is a FIFO made ``open`` wait for a writer for ever (``simiop app``'s clean-up
    hung at start-up); now it is a ValueError at once. If it does hang, the test opens the pipe's other
    end to set the reader free, and fails."""
    path = tmp_path / "manifest.json"
    os.mkfifo(path)
    outcome: list[BaseException | object] = []

    def read() -> None:
        try:
            outcome.append(read_json(path))
        except BaseException as exc:  # what it raised is the test's to check
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():
        with open(path, "w", encoding="utf-8") as writer:  # let the waiting open go
            writer.write("{}")
        reader.join()
        pytest.fail("read_json waited on a named pipe")
    assert len(outcome) == 1
    assert isinstance(outcome[0], ValueError)
    assert "not a regular file" in str(outcome[0])
