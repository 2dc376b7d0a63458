"""Stop a script that would start simiop again in every worker, in one line saying what to change.

Worker processes started by spawn or forkserver (the process pool, a local
Dask cluster) first import the main script again, as ``__mp_main__``, so
that what it defines can be unpickled there. A script that calls
``simiop.run`` at its top level, not under ``if __name__ == "__main__":``,
would then call it again in every worker: Python stops those workers with a
RuntimeError while they start, and all the caller sees is a traceback ending
in ``BrokenProcessPool``. So before starting workers the caller checks the
script's top-level line that is running, and stops with one line naming it.

Only a call outside every module-level ``if`` is refused: any ``if`` might be
a guard (``if __name__ == "__main__":`` or another form), and a script that
is not guarded after all is still caught by the workers, which leave quietly
(the caller's ``CellsLostError`` then gives the hint). A notebook's or
``python -c``'s main module has no file and is never imported again.
"""

from __future__ import annotations

import ast
import inspect
import sys
import tokenize
from pathlib import Path
from types import FrameType, ModuleType

GUARD = 'if __name__ == "__main__":'

WORKER_MAIN = "__mp_main__"
"""The name multiprocessing runs the main script under when a worker imports it again."""


class UnguardedScriptError(SystemExit):
    """The script starting workers is not guarded: it stops with this one line, and no traceback.

    A ``SystemExit``, because the script cannot go on and the line says all
    there is to say; Python prints it and exits with status 1.
    """

    def __init__(self, script: Path, line: int, alternative: str = "") -> None:
        super().__init__(
            f"{script.name}, line {line}: put the code that runs simiop under `{GUARD}` "
            f"(worker processes import {script.name} again and would run it again; "
            f"see the README's Python API example){alternative}"
        )
        self.script = script
        self.line = line


class UnimportableMainError(SystemExit):
    """The main script has no file the workers could import again (it was read from standard input).

    Workers would die looking for it (``FileNotFoundError: <stdin>``), guard
    or not, so the caller stops first with one line saying what to do.
    """

    def __init__(self, script: Path, alternative: str = "") -> None:
        super().__init__(
            f"{script.name}: a script read from standard input cannot start worker processes (they import "
            f"the main script again, from its file): save it to a file and run `python FILE`{alternative}"
        )
        self.script = script


def reimported_main() -> Path | None:
    """The main script that spawned and forkserver workers import again, or None.

    multiprocessing.spawn's rule: a main run as a module (``python -m``) is
    imported again by name unless it is a package's ``__main__``; otherwise a
    main with a file is run again from that file, unless it is IPython's.
    """
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    if main is None or file is None:
        return None
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return None
    if name is None and Path(file).stem == "ipython":
        return None
    return Path(file)


def _top_level_line(main: ModuleType, frame: FrameType | None) -> int | None:
    """The line the main module's top-level code is running, if it is on the stack (else None)."""
    namespace = vars(main)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is namespace:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _inside_an_if(node: ast.AST, line: int) -> bool:
    if isinstance(node, ast.If):
        return True
    for child in ast.iter_child_nodes(node):
        end = getattr(child, "end_lineno", None)
        if isinstance(child, ast.stmt) and end is not None and child.lineno <= line <= end:
            return _inside_an_if(child, line)
    return False


def is_guarded(script: Path, line: int) -> bool:
    """Whether ``line`` of ``script`` lies inside a module-level ``if`` (True when it cannot tell)."""
    try:
        with tokenize.open(script) as source:
            tree = ast.parse(source.read(), str(script))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return True
    return _inside_an_if(tree, line)


def in_worker_start(frame: FrameType | None) -> bool:
    """Whether this process is a worker importing the main script again (its top level is running)."""
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == WORKER_MAIN:
            return True
        frame = frame.f_back
    return False


def check_main_guard(alternative: str = "") -> None:
    """Stop before starting workers that would run the calling script again.

    In the caller: raise ``UnguardedScriptError`` when the main script's
    unguarded top level is what is starting them (``alternative`` ends its
    line, e.g. ", or pass jobs=1"). In a worker importing the script again:
    leave quietly (exit status 1, no traceback); the caller reports the
    broken pool.
    """
    frame = inspect.currentframe()
    if in_worker_start(frame):
        raise SystemExit(1)
    script = reimported_main()
    if script is None:
        return
    if not script.is_file():  # '<stdin>' for `python - < script.py`: nothing to import again
        raise UnimportableMainError(script, alternative)
    line = _top_level_line(sys.modules["__main__"], frame)
    if line is not None and not is_guarded(script, line):
        raise UnguardedScriptError(script, line, alternative)


__all__ = [
    "GUARD",
    "UnguardedScriptError",
    "UnimportableMainError",
    "check_main_guard",
    "is_guarded",
    "reimported_main",
]
