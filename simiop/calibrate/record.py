"""A calibration as a result folder: run it from its inputs and options, and record it in manifest.json.

The manifest (kind ``calibrate``) records the inputs (path and SHA-256 of the extract, the bookings file
and the base config), the options (as-of date, sets, seed, hold-out date, replications), the versions
(simiop's, the libraries', scipy's), the command line and the SHA-256 of every file written, so
``simiop reproduce DIR`` can run the calibration again from the manifest alone and check every file
(simiop.calibrate.reproduce), as for a run.

A folder is claimed as ``simiop run`` claims one: a new or empty folder, or one holding the same
calibration (the same inputs' bytes, options and simiop version: the same key), is written into; any other
folder (another calibration, a calibration of an earlier simiop without a manifest, other results) is
refused unless ``force``, and then only the files a calibration writes are replaced; nobody else's are
touched. Nothing is written before the fits are done, so an interrupted or refused calibration leaves the
folder as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.atomic import write_text_atomic
from simiop.calibrate.bootstrap import BootstrapSets
from simiop.calibrate.holdout import Holdout
from simiop.calibrate.pipeline import Calibration
from simiop.config import ConfigError
from simiop.experiments.manifest import MANIFEST, installed_version, now, read_manifest, sha256_of, versions
from simiop.experiments.plan import identity_key

KIND = "calibrate"
"""The manifest's ``kind`` for a calibration's folder."""


class CalibrateError(Exception):
    """The calibration cannot be made or written where asked: one line per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Inputs:
    """The files a calibration reads."""

    extract: Path
    base: Path
    bookings: Path | None = None


@dataclass(frozen=True)
class Options:
    """Everything else that decides a calibration's files."""

    as_of: dt.date | None = None
    sets: int = 20
    seed: int = 1
    holdout_from: dt.date | None = None
    replications: int = 20

    def identity(self) -> dict[str, Any]:
        return {
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "sets": self.sets,
            "seed": self.seed,
            "holdout_from": None if self.holdout_from is None else self.holdout_from.isoformat(),
            "replications": self.replications,
        }

    @classmethod
    def from_identity(cls, data: dict[str, Any]) -> Options:
        def date(value: object) -> dt.date | None:
            return None if value is None else dt.date.fromisoformat(str(value))

        return cls(
            date(data.get("as_of")),
            int(data["sets"]),
            int(data["seed"]),
            date(data.get("holdout_from")),
            int(data["replications"]),
        )


def _input(path: Path | None, out: Path) -> dict[str, str] | None:
    """Path and SHA-256 of an input; CalibrateError if unreadable.

    The path is recorded twice: absolute (a re-run from another working folder finds it) and relative to
    the calibration's folder ``out`` (a project folder moved or copied whole, its data beside its
    results, still finds it: ``inputs_of`` tries both, and the SHA-256 decides). Neither is part of the
    calibration's key (``key_of``).
    """
    if path is None:
        return None
    try:
        digest = sha256_of(path)
    except FileNotFoundError:
        raise CalibrateError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise CalibrateError([f"{path}: is a folder, not a file"]) from None
    except OSError as exc:
        raise CalibrateError([f"{path}: cannot be read: {exc.strerror or exc}"]) from None
    absolute = path.resolve()
    try:
        relative = Path(os.path.relpath(absolute, out.resolve())).as_posix()
    except ValueError:  # on another drive than the folder (Windows): no relative path exists
        return {"path": str(absolute), "sha256": digest}
    return {"path": str(absolute), "relative": relative, "sha256": digest}


def identity(inputs: Inputs, options: Options, out: Path) -> dict[str, Any]:
    """What decides a calibration's files: its inputs (with their checksums) and options; ``out``, the
    calibration's folder, only for the inputs' relative paths."""
    return {
        "inputs": {
            "extract": _input(inputs.extract, out),
            "bookings": _input(inputs.bookings, out),
            "base": _input(inputs.base, out),
        },
        "options": options.identity(),
    }


def key_of(document: dict[str, Any]) -> str:
    """The key of a calibration's identity: the inputs' checksums (not their paths), the options and the
    simiop version (simiop.experiments.plan.identity_key)."""
    digests = {name: None if entry is None else entry["sha256"] for name, entry in document["inputs"].items()}
    return identity_key({"kind": KIND, "inputs": digests, "options": document["options"]})


def claim(out: Path, key: str, force: bool, names: tuple[str, ...]) -> list[str]:
    """May ``out`` take this calibration? The files to remove first (an earlier calibration's, replaced
    with ``force``); CalibrateError when not. Removes nothing itself. ``names``: every file a calibration
    writes."""
    if out.exists() and not out.is_dir():
        raise CalibrateError([f"--out {out}: is a file, not a folder"])
    if not out.is_dir() or not any(out.iterdir()):
        return []
    in_the_way = _in_the_way(out, names)
    if in_the_way:
        raise CalibrateError(
            [f"--out {out}: {in_the_way} (allowed: move or rename it, or choose another --out)"]
        )
    document: dict[str, Any] | None = None
    if (out / MANIFEST).is_file():
        try:
            document = read_manifest(out)
        except ConfigError:  # a manifest simiop cannot read is someone else's: refused as other results
            raise CalibrateError(
                [f"--out {out}: holds a manifest.json that is not simiop's; choose another --out"]
            ) from None
    if document is not None and document.get("kind") == KIND and document.get("key") == key:
        return []  # the same calibration (an interrupted one, or made again): written again, as a run resumes
    if document is not None and document.get("kind") != KIND:
        raise CalibrateError(
            [f"--out {out}: holds other results (a {document.get('kind', 'run')}); choose another --out"]
        )
    earlier = [name for name in names if (out / name).exists()]
    if document is None and not earlier:
        return []  # a user's own files: the calibration is written beside them
    if not force:
        raise CalibrateError(
            [
                f"--out {out}: holds an earlier calibration ({(earlier or [MANIFEST])[0]}) of other inputs "
                "or options (or of another simiop version); pass --force to replace its files"
            ]
        )
    return [name for name in (*names, MANIFEST) if (out / name).is_file()]


def _in_the_way(out: Path, names: tuple[str, ...]) -> str | None:
    """A user's file where a calibration writes a folder (figures/), or a folder where it writes a file:
    found before the fits, as writing would fail half-way (manifest.json written, the outputs not)."""
    for name in (*names, MANIFEST):
        parts = Path(name).parts
        for depth in range(1, len(parts)):
            folder = Path(*parts[:depth])
            if (out / folder).exists() and not (out / folder).is_dir():
                return f"{folder.as_posix()} is a file where the calibration writes a folder"
        if (out / name).is_dir():
            return f"{name} is a folder where the calibration writes a file"
    return None


def calibration_versions() -> dict[str, str]:
    """simiop's, Python's and the libraries' versions, and scipy's (it makes every fit)."""
    return versions() | {"scipy": installed_version("scipy") or "not installed"}


@dataclass(frozen=True)
class Calibrated:
    """A calibration made and written: its fits, sets, hold-out and the manifest written."""

    out: Path
    calibration: Calibration
    sets: BootstrapSets
    held: Holdout | None
    manifest: dict[str, Any]


def calibrate_into(
    out: Path,
    inputs: Inputs,
    options: Options,
    *,
    force: bool = False,
    command: list[str] | None = None,
    writing: Callable[[], None] | None = None,
) -> Calibrated:
    """Fit, then write the outputs and manifest.json into ``out``.

    Raises CalibrateError (a refused folder, a hold-out date outside the extract, a bootstrap that cannot
    be made), ExtractError (simiop.calibrate.extract; the bookings too), UnknownNamesError
    (simiop.calibrate.pipeline), ConfigError, OSError while writing. ``writing`` is called once the fits
    are done, before the first file is changed.
    """
    from simiop.calibrate.bookings import read_bookings
    from simiop.calibrate.bootstrap import bootstrap
    from simiop.calibrate.extract import read_extract
    from simiop.calibrate.holdout import holdout
    from simiop.calibrate.outputs import FILES, OPTIONAL_FILES, write_outputs
    from simiop.calibrate.pipeline import calibrate, name_problems
    from simiop.config.loader import read_config_data, validate_config

    document = identity(inputs, options, out)
    key = key_of(document)
    names = (*FILES, *OPTIONAL_FILES)
    replaced = claim(out, key, force, names)  # refused before the fits; nothing removed yet
    base = validate_config(read_config_data(inputs.base), str(inputs.base))
    data = read_extract(
        inputs.extract, options.as_of, lambda episodes: name_problems(str(inputs.extract), episodes, base)
    )
    if inputs.bookings is not None:
        data = read_bookings(inputs.bookings, data)
    held = None
    cut = options.holdout_from
    if cut is not None:
        first = min(e.referred for e in data.episodes)
        if not first < cut <= data.as_of:
            raise CalibrateError(
                [
                    f"command line: --holdout-from {cut}: outside the extract (allowed: after its first "
                    f"referral {first}, on or before its as-of date {data.as_of})"
                ]
            )
        held = holdout(data, inputs.base, cut, options.replications)
        calibration = held.calibration
    else:
        calibration = calibrate(data, inputs.base)
    try:
        sets = bootstrap(calibration, inputs.base, options.sets, options.seed)
    except RuntimeError as exc:  # a bootstrap refit that cannot be made (only the bootstrap's own)
        raise CalibrateError([f"{inputs.extract}: {exc}"]) from None
    if writing is not None:
        writing()
    for name in replaced:
        (out / name).unlink(missing_ok=True)
    started = now()
    out.mkdir(parents=True, exist_ok=True)

    def manifest(status: str, files: dict[str, str], finished: str | None) -> dict[str, Any]:
        written = {
            "simiop_manifest": 1,
            "kind": KIND,
            "status": status,
            "key": key,
            "command": list(command or []),
            "versions": calibration_versions(),
            "started": started,
            "finished": finished,
            "calibration": document,
            "files": files,
        }
        write_text_atomic(out / MANIFEST, json.dumps(written, indent=2) + "\n")
        return written

    manifest("running", {}, None)
    written = write_outputs(calibration, out, sets, held)
    files = {name: sha256_of(out / name) for name in sorted(written)}
    return Calibrated(out, calibration, sets, held, manifest("complete", files, now()))


def inputs_of(document: dict[str, Any], source: str, folder: Path | None = None) -> tuple[Inputs, Options]:
    """The inputs and options a manifest records, each input checked against its recorded SHA-256.

    An input is looked for at its recorded absolute path, then (when the manifest records one and
    ``folder``, the calibration's folder, is given) at its path relative to ``folder``: a project moved
    whole keeps its inputs beside its results (and a copy of it keeps the recorded bytes there when the
    original input is edited later: the SHA-256 decides). CalibrateError (one line per input) when an input is
    gone or its bytes changed since.
    """
    try:
        recorded = document["calibration"]
        entries = recorded["inputs"]
        options = Options.from_identity(recorded["options"])
    except (KeyError, TypeError, ValueError):
        raise CalibrateError([f"{source}: not a calibration's manifest (no inputs or options)"]) from None
    paths: dict[str, Path | None] = {}
    problems = []
    hashed: dict[Path, str | None] = {}

    def digest_of(path: Path) -> str | None:
        """``path``'s SHA-256, None when it cannot be read; each file read once (looking for an input
        where it was read and beside the results asks of the same files again)."""
        if path not in hashed:
            try:
                hashed[path] = sha256_of(path)
            except OSError:
                hashed[path] = None
        return hashed[path]

    def differs(path: Path, expected: object) -> bool:
        """Whether ``path`` cannot be read or has not the SHA-256 ``expected`` (a project copied whole,
        its original input edited since: the copy beside the results is the recorded one)."""
        found = digest_of(path)
        return found is None or found != expected

    for name in ("extract", "bookings", "base"):
        entry = entries.get(name)
        if entry is None:
            paths[name] = None
            continue
        path = Path(entry["path"])
        relative = entry.get("relative")
        # Recorded between resolved paths, so joined to the resolved folder and its ".." parts taken out:
        # the same file, named as a user would name it in the error line.
        moved = (
            Path(os.path.normpath(folder.resolve() / relative))
            if folder is not None and isinstance(relative, str)
            else None
        )
        expected = entry["sha256"]
        if moved is not None and moved.is_file() and (not path.is_file() or differs(path, expected)):
            path = moved  # not where it was read, but where it sits relative to the results
            if differs(path, expected) and Path(entry["path"]).is_file():
                path = Path(entry["path"])  # neither has the recorded bytes: name where it was read
        paths[name] = path
        digest = digest_of(path)
        if digest is None:
            beside = f" or {moved}" if moved is not None and moved != path else ""
            problems.append(
                f"{source}: input {name} {path}{beside}: not found (the calibration read it; put it back)"
            )
            continue
        if digest != expected:
            problems.append(
                f"{source}: input {name} {path}: changed since the calibration (SHA-256 {digest[:12]}..., "
                f"recorded {str(expected)[:12]}...)"
            )
    if problems:
        raise CalibrateError(problems)
    extract, base = paths["extract"], paths["base"]
    assert extract is not None
    assert base is not None
    return Inputs(extract, base, paths["bookings"]), options


__all__ = [
    "KIND",
    "CalibrateError",
    "Calibrated",
    "Inputs",
    "Options",
    "calibrate_into",
    "inputs_of",
]
