"""Reading back a JSON file simiop wrote (a manifest, a file record, a stored value): one place that
turns every way such a file can be unreadable into the errors its readers already handle.

A hand-edited file can nest lists thousands deep ([[[...]]]): valid JSON that Python's json module
cannot decode without passing the recursion limit, a RecursionError no reader expected (a traceback,
found by the break test of 2026-12-01). Here it is a ValueError like any other file that is not JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json(path: Path) -> Any:
    """The JSON value in ``path`` (UTF-8).

    Raises OSError when the file cannot be read, and ValueError when it is not JSON: not UTF-8
    (UnicodeDecodeError), malformed (json.JSONDecodeError) or nested too deeply for Python to decode.
    """
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("lists or objects nested too deeply to read") from None
