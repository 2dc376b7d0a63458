"""Reading back a JSON file simiop wrote (a manifest, a file record, a stored value): one place that
turns every way such a file can be unreadable into the errors its readers already handle.

A hand-edited file can nest lists thousands deep ([[[...]]]): valid JSON that Python's json module
cannot decode without passing the recursion limit, a RecursionError no reader expected (a traceback,
found by the break test of 2026-12-01). Here it is a ValueError like any other file that is not JSON.

A manifest.json that is a named pipe (FIFO) or a device, not a file, would make a plain ``open`` wait for
a writer forever: ``simiop app``'s clean-up at start-up, a resume or a report would hang. simiop only
ever writes regular files there, so anything else is refused before it is read.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any


def read_json(path: Path) -> Any:
    """The JSON value in ``path`` (UTF-8).

    Raises OSError when the file cannot be read, and ValueError when it is not JSON: not UTF-8
    (UnicodeDecodeError), malformed (json.JSONDecodeError) or nested too deeply for Python to decode,
    or not a regular file at all (a pipe or a device: opened without waiting for a writer, and refused).
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens at once
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        text = handle.read().decode("utf-8")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("lists or objects nested too deeply to read") from None
