"""A throw-away copy of simiop at another commit, runnable beside this one: the B side of an A/B run.

``reference_tree(REV)`` exports the commit's tracked files (``git archive``)
into a new temporary folder outside the repository and makes a virtual
environment there whose ``python`` imports that copy of simiop with this
environment's third-party packages (the same numpy, simpy, pydantic...), so
the two sides differ only in simiop's own code. Nothing is installed from a
package index and the repository is not touched: no worktree is registered,
nothing is written inside it. On leaving the ``with`` block the temporary
folder - which this module made, and which holds only what it put there - is
removed, also after an error or Ctrl-C.

A reference that needs a third-party package this environment lacks fails
on import, with Python's own message; install the package here and run again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Side:
    """One side of an A/B comparison: a source tree and the python that imports simiop from it."""

    label: str
    """What the tables call it: "this tree" or the commit's short hash."""
    root: Path
    """The source tree: commands run here, so ``configs/...`` is that side's own configs."""
    python: Path
    commit: str | None
    """The full commit hash (None for this tree, whose state ``source_state`` records)."""
    bytecode: bool = False
    """Run as an installed simiop runs: Python writes each module's bytecode at its first import and reuses
    it (``PYTHONDONTWRITEBYTECODE`` dropped). False: as this process's environment says (a machine that
    sets it makes every start compile simiop: ~0.2 s of a short run)."""

    def environment(self) -> dict[str, str]:
        """This process's environment without variables that would make python import another simiop (and,
        with ``bytecode``, without the one that stops Python writing bytecode)."""
        dropped = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"} | (
            {"PYTHONDONTWRITEBYTECODE"} if self.bytecode else set()
        )
        return {k: v for k, v in os.environ.items() if k not in dropped}


def this_tree() -> Side:
    """The A side: this checkout and the python running this script."""
    return Side("this tree", REPO_ROOT, Path(sys.executable), None)


def resolve(revision: str) -> str:
    """The full commit hash of ``revision`` (a hash, a branch, a tag, HEAD~3...); ValueError if unknown."""
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ValueError(f"--against: {revision!r} is not a commit of {REPO_ROOT}")
    return done.stdout.strip()


def _export(commit: str, into: Path) -> None:
    """Write the commit's tracked files into ``into`` (git archive piped into tarfile, no shell)."""
    into.mkdir()
    archive = into.parent / "source.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO_ROOT, stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)
    archive.unlink()


def _make_venv(source: Path, venv: Path) -> Path:
    """A venv whose python imports simiop from ``source`` and everything else from this environment."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    # One .pth, read in order: the reference's source first, then this environment's packages. The
    # editable install of this tree lives in those packages as a .pth of its own, which Python reads
    # only in a site folder, never in a folder a .pth line adds: the reference never sees it.
    lines = [str(source), *ours]
    Path(site, "simiop_reference.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return python


@contextmanager
def reference_tree(revision: str) -> Iterator[Side]:
    """The B side at ``revision``, in a temporary folder removed on exit."""
    commit = resolve(revision)
    folder = Path(tempfile.mkdtemp(prefix=f"simiop-reference-{commit[:9]}-"))
    try:
        source = folder / "src"
        _export(commit, source)
        python = _make_venv(source, folder / "venv")
        found = subprocess.run(
            [str(python), "-c", "import simiop, pathlib; print(pathlib.Path(simiop.__file__).resolve())"],
            cwd=folder,  # not the source: the .pth, not the current folder, must find it
            capture_output=True,
            text=True,
            check=True,
            env=this_tree().environment(),
        ).stdout.strip()
        if not Path(found).is_relative_to(source.resolve()):
            raise RuntimeError(f"the reference python imports simiop from {found}, not from {source}")
        yield Side(commit[:9], source, python, commit)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def compared_sides(stack: ExitStack, against: str | None) -> list[Side]:
    """This tree, then (with ``against``) a copy of that commit, kept until ``stack`` closes.

    Raises ValueError, one line, when the commit is unknown.
    """
    sides = [this_tree()]
    if against:
        sides.append(stack.enter_context(reference_tree(against)))
    return sides
