"""Which files of a result folder simiop wrote, so that it removes those and never anyone else's.

A result folder may also hold a user's own files (notes in scenarios/, a logo
in figures/). What simiop wrote is known from three records: the manifest's
``files`` (every result file), the report's record (figures/report-files.json,
the files of the last report built), and the cell folders, which hold only
files of fixed names (cells are written before the manifest lists them, and a
run may stop before it does). A run killed while writing (SIGKILL, power loss)
can also leave the temporary file of simiop.atomic.write_bytes_atomic beside
one of those files: ``.<name>.<8 characters>.tmp``, as tempfile.mkstemp names
it; it is simiop's too, and goes with the rest, or the clean-up would leave a
folder holding nothing but it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from simiop.atomic import temporary_of, write_text_atomic
from simiop.experiments.cells import all_cell_files
from simiop.experiments.manifest import MANIFEST
from simiop.jsonfile import read_json

REPORT = "report.html"
"""The report's page."""
REPORT_RECORD = "figures/report-files.json"
"""The record of the files the last report build wrote (the page, each figure's files, the record)."""
ADVICE_RECORD = "advise-files.json"
"""The record of the plots the last ``simiop advise --out`` wrote into its folder (and the record)."""
_RECORD_FORMAT = 1
_RECORD_KEYS = {REPORT_RECORD: "simiop_report_files", ADVICE_RECORD: "simiop_advise_files"}


def is_plain_name(name: object) -> bool:
    """A relative POSIX path inside the folder: no absolute path, no '..', no empty part."""
    if not isinstance(name, str) or not name or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    return not PurePosixPath(name).is_absolute() and all(part not in ("", ".", "..") for part in parts)


def recorded_files(out: Path, record: str) -> list[str] | None:
    """The files of ``out`` listed in its ``record`` (the record included); None without a readable one."""
    try:
        document = read_json(out / record)
        names = document["files"] if document.get(_RECORD_KEYS[record]) == _RECORD_FORMAT else None
    except (OSError, ValueError, AttributeError, KeyError):
        names = None
    if not isinstance(names, list):
        return None
    return sorted({record, *(name for name in names if is_plain_name(name))})


def record_files(out: Path, record: str, names: Iterable[str]) -> None:
    """Write ``record``: the files a command wrote into ``out`` (the record itself included), atomically."""
    listed = sorted({record, *names})
    text = json.dumps({_RECORD_KEYS[record]: _RECORD_FORMAT, "files": listed}, indent=1) + "\n"
    write_text_atomic(out / record, text)


@contextmanager
def recording(out: Path, record: str, names: Iterable[str]) -> Iterator[None]:
    """Around writing ``names`` into ``out``: keep ``record`` covering every file of the command on disk.

    Before: the files of the last time on record and the new ones; after:
    the files of the last time that this one did not write again are
    removed (they were simiop's), and the record lists the new ones only.
    """
    new = set(names)
    previous = set(recorded_files(out, record) or ())
    record_files(out, record, previous | new)
    yield
    remove_files(out, previous - new - {record})
    record_files(out, record, new)


def report_files(out: Path) -> list[str]:
    """The report files of ``out`` on record; without a readable record, report.html and the record."""
    return recorded_files(out, REPORT_RECORD) or sorted({REPORT_RECORD, REPORT})


def record_report_files(out: Path, names: Iterable[str]) -> None:
    """Write the record of the report's files (the record itself included), atomically."""
    record_files(out, REPORT_RECORD, names)


def written_by_simiop(out: Path, document: Mapping[str, Any] | None) -> list[str]:
    """Relative paths of the files in ``out`` that simiop wrote, as far as its records tell, with the
    temporary files a killed write left beside any of them.

    ``document`` is the folder's manifest (None when it cannot be read: then
    its result files cannot be told from a user's, and only the cell files
    and the report's count as simiop's).
    """
    names = {MANIFEST, *report_files(out)}
    files = document.get("files") if document is not None else None
    if isinstance(files, Mapping):
        names.update(name for name in files if is_plain_name(name))
    names.update(path.relative_to(out).as_posix() for path in all_cell_files(out))
    return sorted(names | set(_left_by_killed_writes(out, names)))


def _left_by_killed_writes(out: Path, names: Iterable[str]) -> Iterator[str]:
    """The temporary files in ``out`` that write_bytes_atomic left, killed, beside one of ``names``: only a
    file named as the temporary file of a name simiop writes in that very folder."""
    by_folder: dict[PurePosixPath, set[str]] = {}
    for name in names:
        path = PurePosixPath(name)
        by_folder.setdefault(path.parent, set()).add(path.name)
    for folder, known in sorted(by_folder.items()):
        try:
            entries = sorted(
                entry.name for entry in os.scandir(out / folder) if entry.is_file(follow_symlinks=False)
            )
        except OSError:  # gone, or not a folder: nothing left there
            continue
        for entry in entries:
            if temporary_of(entry) in known:
                yield (folder / entry).as_posix()


def remove_files(out: Path, names: Iterable[str]) -> list[str]:
    """Remove these files of ``out`` (never a folder's contents), then folders they leave empty; the removed.

    A folder is removed only when removing these files emptied it, so a
    folder holding anything else stays, and ``out`` itself always stays.
    """
    removed = []
    for name in sorted(set(names)):
        if not is_plain_name(name):
            continue
        path = out / name
        if path.is_symlink() or path.is_file():
            path.unlink()
            removed.append(name)
            _remove_empty_parents(out, path.parent)
    return removed


def _remove_empty_parents(out: Path, folder: Path) -> None:
    while folder != out and out in folder.parents:
        try:
            os.rmdir(folder)
        except OSError:  # not empty (or not ours to remove): stop here
            return
        folder = folder.parent
