"""The web app's result folders on disk: where they are kept, and removing those nobody has used for a while.

Every run or comparison the page makes is a result folder named by a digest
of its request (simiop.app.jobs), kept so that the same request is answered
from disk. Without a limit the folder grows by a few MB a run for as long as
the app is used, so ``simiop app`` removes, when it starts, the folders not
used for ``--keep-days`` days (default 30; 0 keeps everything). A folder's
last use is its manifest's modification time: written when its run starts
and ends, and touched (``mark_used``) each time an identical request is
answered from it.

Only what simiop wrote is removed (simiop.experiments.owned: the manifest's
files, the report's, the cells'), never through a symlink leading out of a
folder, and only in folders directly under the root whose name is a
request's digest and whose manifest is simiop's, records the app as what made
it (``APP_COMMAND``) and names the app's run or comparison; a folder left
holding anything else (a user's file) stays, and so does the root itself. A
user's own ``simiop run`` (or ``simiop.api.run``) into such a folder records
its own command, so it is never taken for the app's, whatever its plan is
called; folders the app wrote before it recorded its command (simiop before
2026-12) are kept too, until the same request comes again (it resumes such a
folder and records the app's command: simiop.app.jobs.is_finished_folder), or
to be removed by hand.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_KEEP_DAYS = 30
"""Days a result folder of the app is kept unused before ``simiop app`` removes it (ASSUMPTION: long
enough to come back to last month's what-ifs, short enough that the cache stays small)."""

SECONDS_PER_DAY = 86_400.0

RUN_NAME = "clinic"
"""The plan name of the app's runs (manifest.json's name; no other file depends on it)."""
COMPARE_NAME = "comparison"
"""The plan name of the app's comparisons."""
APP_COMMAND = ("simiop", "app")
"""What the app's runs and comparisons record as the command that made them (manifest.json's command):
what tells the app's folders from any other run's."""

_REQUEST_FOLDER = re.compile(r"(compare-)?[0-9a-f]{24}")
"""The names ``RunRequest.key`` and ``CompareRequest.key`` give result folders."""


def default_root() -> Path:
    """Where the app keeps its result folders unless ``--runs`` says otherwise."""
    return Path.home() / ".cache" / "simiop" / "app-runs"


def made_by_app(manifest: Mapping[str, Any]) -> bool:
    """Whether a result folder's manifest records the app as what made it (``APP_COMMAND``): what the
    clean-up removes and what answers a request from disk, and no other run's folder."""
    return manifest.get("command") == list(APP_COMMAND)


def mark_used(folder: Path) -> None:
    """Record that ``folder``'s results were just read (its manifest's modification time; no byte changes)."""
    from simiop.experiments.manifest import MANIFEST

    with contextlib.suppress(OSError):  # gone or read-only: it is only a hint for ``prune``
        os.utime(folder / MANIFEST)


def last_used(folder: Path) -> float | None:
    """When ``folder``'s results were last written or read (seconds since the epoch); None unless its
    manifest is simiop's, records the app as what made it (``APP_COMMAND``) and names the app's plan (a
    run's or a comparison's, as the folder's name says): otherwise it is not the app's to remove."""
    from simiop.config import ConfigError
    from simiop.experiments.manifest import MANIFEST, read_manifest

    try:
        manifest = read_manifest(folder)
        written = (folder / MANIFEST).stat().st_mtime
    except (ConfigError, OSError):
        return None
    plan = manifest.get("plan")
    wanted = COMPARE_NAME if folder.name.startswith("compare-") else RUN_NAME
    mine = made_by_app(manifest) and isinstance(plan, dict) and plan.get("name") == wanted
    return written if mine else None


def prune(root: Path, keep_days: float, now: float | None = None) -> list[str]:
    """Remove the files simiop wrote in each result folder under ``root`` last used more than ``keep_days``
    days before ``now`` (default: the current time), and the folder when that empties it.

    Returns the names of the folders pruned, sorted. ``keep_days`` <= 0 keeps everything. Raises nothing
    for a folder that cannot be read or removed (it is left as it is); ``root`` missing is an empty cache.
    """
    from simiop.config import ConfigError
    from simiop.experiments.manifest import MANIFEST, read_manifest
    from simiop.experiments.owned import remove_files, written_by_simiop

    if keep_days <= 0 or not root.is_dir():
        return []
    limit = (time.time() if now is None else now) - keep_days * SECONDS_PER_DAY
    try:
        folders = sorted(root.iterdir())
    except OSError:  # cannot be listed (no permission): left as it is, as a folder that cannot be read
        return []
    pruned = []
    for folder in folders:
        if not _REQUEST_FOLDER.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        used = last_used(folder)
        if used is None or used >= limit:
            continue
        try:  # the manifest last: a prune stopped half-way leaves a folder the next one still knows
            names = [
                name for name in written_by_simiop(folder, read_manifest(folder)) if _inside(folder, name)
            ]
            remove_files(folder, [name for name in names if name != MANIFEST])
            remove_files(folder, [MANIFEST])
        except (ConfigError, OSError):
            continue
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when nothing else is left in it
        pruned.append(folder.name)
    return pruned


def _inside(folder: Path, name: str) -> bool:
    """Whether ``name`` (a relative path) lies in ``folder`` itself, not reached through a symlinked
    folder leading elsewhere: an unattended clean-up removes nothing outside the runs folder."""
    inside, parent = folder.resolve(), (folder / name).parent.resolve()
    return parent == inside or inside in parent.parents
