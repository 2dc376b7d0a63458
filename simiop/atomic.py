"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO


def _write_to_disk(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def write_bytes_synced(path: Path, data: bytes) -> None:
    """Write a new file and flush it to disk, for files inside a folder that is renamed into place whole."""
    with Path(path).open("xb") as handle:
        _write_to_disk(handle, data)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over ``path``.

    The rename is atomic on POSIX and Windows, so an interrupted run never
    leaves a truncated output and never loses the previous version.
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would make outputs private
        with os.fdopen(descriptor, "wb") as handle:
            _write_to_disk(handle, data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Text (UTF-8, newlines as given) written atomically; see write_bytes_atomic."""
    write_bytes_atomic(path, text.encode("utf-8"))
