"""Which files of a result folder simiop wrote, so that it removes those and never anyone else's.

A result folder may also hold a user's own files (notes in scenarios/, a logo
in figures/). What simiop wrote is known from three records: the manifest's
``files`` (every result file), the report's record (figures/report-files.json,
the files of the last report built), and the cell folders, which hold only
files of fixed names (cells are written before the manifest lists them, and a
run may stop before it does).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from simiop.atomic import write_text_atomic
from simiop.experiments.cells import all_cell_files
from simiop.experiments.manifest import MANIFEST

REPORT = "report.html"
"""The report's page."""
REPORT_RECORD = "figures/report-files.json"
"""The record of the files the last report build wrote (the page, each figure's files, the record)."""
_RECORD_FORMAT = 1


def is_plain_name(name: object) -> bool:
    """A relative POSIX path inside the folder: no absolute path, no '..', no empty part."""
    if not isinstance(name, str) or not name or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    return not PurePosixPath(name).is_absolute() and all(part not in ("", ".", "..") for part in parts)


def report_files(out: Path) -> list[str]:
    """The report files of ``out`` on record; without a readable record, report.html and the record."""
    try:
        document = json.loads((out / REPORT_RECORD).read_text(encoding="utf-8"))
        names = document["files"] if document.get("simiop_report_files") == _RECORD_FORMAT else None
    except (OSError, ValueError, AttributeError, KeyError):
        names = None
    if not isinstance(names, list):
        names = [REPORT]
    return sorted({REPORT_RECORD, *(name for name in names if is_plain_name(name))})


def record_report_files(out: Path, names: Iterable[str]) -> None:
    """Write the record of the report's files (the record itself included), atomically."""
    listed = sorted({REPORT_RECORD, *names})
    text = json.dumps({"simiop_report_files": _RECORD_FORMAT, "files": listed}, indent=1) + "\n"
    write_text_atomic(out / REPORT_RECORD, text)


def written_by_simiop(out: Path, document: Mapping[str, Any] | None) -> list[str]:
    """Relative paths of the files in ``out`` that simiop wrote, as far as its records tell.

    ``document`` is the folder's manifest (None when it cannot be read: then
    its result files cannot be told from a user's, and only the cell files
    and the report's count as simiop's).
    """
    names = {MANIFEST, *report_files(out)}
    files = document.get("files") if document is not None else None
    if isinstance(files, Mapping):
        names.update(name for name in files if is_plain_name(name))
    names.update(path.relative_to(out).as_posix() for path in all_cell_files(out))
    return sorted(names)


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
