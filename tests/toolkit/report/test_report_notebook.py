"""`klmle notebook` writes the coursework notebook, and it runs from top to bottom."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

import toolkit
from toolkit.cli import main
from toolkit.report.notebook import notebook

ROOT = Path(toolkit.__file__).resolve().parents[1]


def test_the_notebook_is_valid_nbformat():
    nb = nbformat.from_dict(notebook())
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")


def test_klmle_notebook_writes_one_that_executes(tmp_path, capsys):
    out = tmp_path / "course" / "kl_is_mle.ipynb"
    assert main(["notebook", "--output", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    nb = nbformat.read(out, as_version=4)
    # First, which toolkit the kernel imports: this checkout (the kernel starts in ROOT).
    nb.cells.insert(0, nbformat.v4.new_code_cell("import toolkit\nprint(toolkit.__file__)"))
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell (its asserts too)
    assert nb.cells[0].outputs[0].text.strip() == toolkit.__file__
    html = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "text/html" in output.get("data", {})
    ]
    assert sum('class="study"' in o["data"]["text/html"] for o in html) == 5  # five studies
