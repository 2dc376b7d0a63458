"""Atomic file writes: a reader sees the old file or the new one, never half of one.

And what a failed write becomes: an OutputWriteError naming the folder the
user chose and the reason, so every command can say it in one line.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class OutputWriteError(Exception):
    """A folder (or file) simiop writes to cannot be written: read-only, no permission, disk full, ...

    ``started`` says whether this command had already written part of its
    output (a failure mid-run, resumable) or nothing yet.
    """

    def __init__(self, target: Path, error: OSError, *, started: bool) -> None:
        self.target = Path(target)
        self.error = error
        self.started = started
        super().__init__(f"{self.target}: cannot be written ({self.reason})")

    @property
    def reason(self) -> str:
        """The system's reason, e.g. 'no space left on device', and the path it concerns if not the target."""
        text = self.error.strerror or str(self.error) or type(self.error).__name__
        text = text[:1].lower() + text[1:]
        if isinstance(self.error, NotADirectoryError):  # a path through a file: name the file
            named = Path(os.fsdecode(self.error.filename)) if self.error.filename is not None else self.target
            blocker = file_in_the_way(named) or file_in_the_way(self.target)
            if blocker is not None:
                return f"{blocker} is a file, not a folder"
        if self.error.filename is None:
            return text
        path = Path(os.fsdecode(self.error.filename))
        if temporary_of(path.name) is not None:  # write_bytes_atomic's temporary file: its folder
            path = path.parent
        if path == self.target:
            return text
        inside = self.target in path.parents
        return f"{text}: {path.relative_to(self.target).as_posix() if inside else path}"


def file_in_the_way(path: Path) -> Path | None:
    """The folder on ``path``'s way that is a file (``afile`` of ``afile/x/y.yaml``); None if there is none.

    The system says only "not a directory", or a check for the folder says
    it "does not exist" when it does exist, as a file: naming it says what
    to change.
    """
    for folder in reversed(path.parents):
        if folder.exists() and not folder.is_dir():
            return folder
    return None


@contextmanager
def writing_into(target: Path, *, started: bool) -> Iterator[None]:
    """Turn an OSError raised while writing into ``target`` into an OutputWriteError naming it."""
    try:
        yield
    except OSError as exc:
        raise OutputWriteError(target, exc, started=started) from exc


def probe_writable(folder: Path) -> None:
    """Create ``folder`` if needed and check a file can be made in it (removed at once); OSError if not.

    For commands that compute for a while before writing: they fail before
    the work, not after it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=".simiop-probe-", dir=folder)
    os.close(descriptor)
    os.unlink(name)


def _write_to_disk(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def write_bytes_new(path: Path, data: bytes) -> None:
    """Write a new file, not yet flushed to disk: for the files of a folder that ``flush_folder`` flushes
    at once before the folder is renamed into place whole."""
    with Path(path).open("xb") as handle:
        handle.write(data)


def flush_folder(folder: Path, names: Iterable[str]) -> None:
    """Flush the files ``names`` just written in ``folder`` to disk, with one system call where there is one.

    On Linux that is ``syncfs``: one call writes out every file (and
    folder entry) of the filesystem holding ``folder`` and waits, where an
    ``fsync`` per file costs a journal commit each (measured: 5 files of a
    cell, 15-23 ms one by one, 3-8 ms at once). Elsewhere each file is
    fsynced. Either way the files are on disk when this returns, so a
    folder renamed into place afterwards never holds a file that a power
    cut could leave empty or short.
    """
    syncfs = _syncfs()
    if syncfs is not None:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(descriptor) != 0:
                import ctypes

                error = ctypes.get_errno()
                raise OSError(error, os.strerror(error), str(folder))
        finally:
            os.close(descriptor)
        return
    for name in names:
        with (Path(folder) / name).open("rb+") as handle:
            os.fsync(handle.fileno())


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(fd)`` from the C library (Python's os module has only ``sync``), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here, not at the top: ``simiop --help`` imports this module

    try:
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # a C library without it (very old, or not glibc/musl)
        return None
    return function


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")
"""The name of write_bytes_atomic's temporary file of ``name``: tempfile.mkstemp's prefix ``.<name>.``, eight
of its random characters (lower-case letters, digits, _), suffix ``.tmp``."""


def temporary_of(name: str) -> str | None:
    """The file name whose write_bytes_atomic temporary file ``name`` is (a write killed before its rename
    leaves one), or None when ``name`` is not named as such a file."""
    found = _TEMPORARY.fullmatch(name)
    return found["name"] if found is not None else None


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
