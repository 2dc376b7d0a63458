"""The notebooks: stored without outputs, and every one runs top to bottom (small runs, via parameters).

A failing cell raises CellExecutionError, which fails the test, so a
notebook that no longer matches the API fails CI instead of rotting.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO

NOTEBOOKS = REPO / "notebooks"
EXPECTED = (
    "01_quickstart.ipynb",
    "02_staffing_and_group_size.ipynb",
    "03_grant_projection.ipynb",
    "04_reproduce_an_experiment.ipynb",
    "05_model_checks.ipynb",
    "06_optimise_staffing.ipynb",
    "07_sensitivity.ipynb",
    "08_calibrate.ipynb",
)


def test_the_notebooks_are_there() -> None:
    assert tuple(sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_stored_without_outputs(name: str) -> None:
    document = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    for index, cell in enumerate(document["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{name} cell {index} has outputs: clear them before committing"
            assert cell["execution_count"] is None, f"{name} cell {index} has an execution count"
    assert "widgets" not in document["metadata"]
    first_code = next(cell for cell in document["cells"] if cell["cell_type"] == "code")
    assert "SIMIOP_NOTEBOOK_REPLICATIONS" in "".join(first_code["source"]), "the parameters come first"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbclient
    import nbformat

    monkeypatch.setenv("SIMIOP_NOTEBOOK_REPLICATIONS", "3")
    monkeypatch.setenv("SIMIOP_NOTEBOOK_HORIZON", "1y")
    monkeypatch.setenv("SIMIOP_NOTEBOOK_OUT", str(tmp_path))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    if name != "04_reproduce_an_experiment.ipynb":  # that one shows checksums, not figures
        assert images, f"{name} shows no figure"
    assert any(path.is_dir() and (path / "manifest.json").is_file() for path in tmp_path.iterdir())


def test_jupyter_lab_is_installed_with_the_notebooks_extra() -> None:
    """The README's set-up (pip install ".[notebooks]", which ".[dev]" includes) must give `jupyter lab`."""
    import sys

    scripts = Path(sys.executable).parent
    assert (scripts / "jupyter-lab").is_file() or (scripts / "jupyter-lab.exe").is_file()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert 'pip install ".[notebooks]" && .venv/bin/jupyter lab notebooks/' in readme
