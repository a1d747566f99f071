"""The analysts' notebooks: stored without outputs, and run top to bottom on the demo offline."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from yushu_circle import Catalog, Study

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_quickstart.ipynb", "02_accessibility.ipynb", "03_planning.ipynb"]
CELL_TIMEOUT_S = 600


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "_make_notebooks", NOTEBOOKS / "_make_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{name} has no code"
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_has_one_tagged_parameters_cell_first(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0] is code[0]
    assert 'SOURCE = "demo"' in tagged[0].source


@pytest.mark.parametrize("name", NAMES)
def test_notebook_matches_its_generator(name: str) -> None:
    stored = (NOTEBOOKS / name).read_text(encoding="utf-8")
    assert stored == _generator().render(name), (
        f"{name} differs from notebooks/_make_notebooks.py: run it to regenerate"
    )


# --- execution ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A ``python3`` kernel spec running this interpreter, and no way out to the network."""
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(root))
    patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # Any HTTP(S) request fails fast: the notebooks must run offline on the demo.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        patch.setenv(var, "http://127.0.0.1:9")
    patch.delenv("NO_PROXY", raising=False)
    patch.delenv("no_proxy", raising=False)
    yield root
    patch.undo()


def _execute(name: str, tmp_path: Path, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    import papermill

    output = tmp_path / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(tmp_path),
        execution_timeout=CELL_TIMEOUT_S,
        progress_bar=False,
        log_output=False,
    )
    notebook = nbformat.read(output, as_version=4)
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert errors == []
    # No warnings in the outputs (tqdm's IProgress, IPython's IFrame, pandas, …).
    noisy = [
        out.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "stream" and out.name == "stderr"
    ]
    assert noisy == []
    shown = json.dumps([c.outputs for c in notebook.cells if c.cell_type == "code"])
    assert "Warning" not in shown and "IProgress" not in shown
    return notebook


def _offline_map(cell: nbformat.NotebookNode) -> str:
    """The inline planner map of a cell: a folium map whose page links no URL."""
    import html as html_lib

    shown = _html(cell)
    assert shown.startswith("<iframe srcdoc=") or '<iframe srcdoc="' in shown
    page = html_lib.unescape(shown.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert '<div class="folium-map" id="map_' in page
    assert not re.search(r"<script[^>]*\bsrc=|<link\b", page, re.I)
    assert "YushuMap.start(" in page
    return page


def _cell_after(notebook: nbformat.NotebookNode, starts: str) -> nbformat.NotebookNode:
    matches = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(starts)]
    assert len(matches) == 1, f"no single code cell starting with {starts!r}"
    return matches[0]


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts += [
                str(out.data.get(kind, "")) for kind in ("text/plain", "text/html", "text/markdown")
            ]
    return "\n".join(parts)


def _html(cell: nbformat.NotebookNode) -> str:
    return "\n".join(
        str(o.data["text/html"]) for o in cell.outputs if "text/html" in o.get("data", {})
    )


def _images(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in out.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_quickstart_runs_on_the_demo_with_parameters(kernel_env: Path, tmp_path: Path) -> None:
    notebook = _execute("01_quickstart.ipynb", tmp_path, {"OUT": "out", "SPEED_KMH": 3.5})
    out = tmp_path / "out"
    keys = Catalog.default().keys
    # The summary cell shows a table with every category of the catalog.
    shown = _text(_cell_after(notebook, "summary = study.summary()"))
    assert all(key in shown for key in keys)
    # The demo is called synthetic where it appears.
    assert "示例数据" in _text(_cell_after(notebook, "if study.synthetic:"))
    # The planner's map is inline, offline, and takes an analyst's own folium layer.
    _offline_map(_cell_after(notebook, "study.explore()"))
    page = _offline_map(_cell_after(notebook, "import folium"))
    layer = json.dumps("最差的 10 个居住点 · 10 worst-served residences")  # as folium quotes it
    assert layer in page and page.count("L.circleMarker(") >= 10
    # The written outputs follow the parameters: the speed reached the study.
    summary = pd.read_csv(out / "summary.csv")
    assert set(keys) <= set(summary["category"])
    meta = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]
    assert meta["speed_kmh"] == pytest.approx(3.5)
    assert meta["synthetic"] is True
    assert (out / "map.html").stat().st_size > 0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_accessibility_runs_on_the_demo(kernel_env: Path, tmp_path: Path) -> None:
    worst = 7
    notebook = _execute("02_accessibility.ipynb", tmp_path, {"WORST": worst})
    # Histograms, coverage curves, profile curves and the worst-served map are drawn.
    assert _images(notebook) >= 4
    profiles_table = _text(_cell_after(notebook, "# Share of residents reaching"))
    for label in ("成年人 adult", "老年人 elderly", "儿童 child", "轮椅使用者 wheelchair"):
        assert label in profiles_table
    # The worst-served table has WORST rows, the first at the lowest score of all.
    worst_html = _html(_cell_after(notebook, "levels = {key"))
    assert worst_html.split("<tbody>")[1].count("<tr>") == worst
    _offline_map(_cell_after(notebook, "study.explore()"))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_planning_runs_on_the_demo(kernel_env: Path, tmp_path: Path) -> None:
    k = 2
    notebook = _execute(
        "03_planning.ipynb", tmp_path, {"OUT": "out", "K": k, "SITE_CATEGORY": "kindergarten"}
    )
    assert _images(notebook) >= 3
    assert '"initial":"kindergarten"' in _offline_map(_cell_after(notebook, "after.explore("))
    # Compliance is tabulated for every demo community (A–F).
    compliance = _html(_cell_after(notebook, "result = planning.compliance"))
    assert all(f"示例社区{c}" in compliance for c in "ABCDEF")
    # The what-if study holds the K new kindergartens, and adding facilities never makes
    # anyone's walk longer, so coverage within 5 minutes cannot drop.
    after = pd.read_csv(tmp_path / "out" / "summary.csv").set_index("category")
    before = Study.demo().summary()
    assert after.loc["kindergarten", "facilities"] == before.loc["kindergarten", "facilities"] + k
    assert (
        after.loc["kindergarten", "share_pop_5min"] > before.loc["kindergarten", "share_pop_5min"]
    )
    for key in before.index.drop("kindergarten"):
        assert after.loc[key, "share_pop_5min"] == pytest.approx(
            before.loc[key, "share_pop_5min"],
            abs=1e-4,  # summary.csv keeps 4 decimals
        )
    # Section 5: the sparse town's residences are street samples carrying the census total,
    # and the kindergarten is counted in children (27.7 % of 141,308 = 39,142).
    sparse = _text(_cell_after(notebook, "from yushu_circle.options import parse_age_shares"))
    assert "30 residences are sample points" in sparse and "示例数据" in sparse
    assert "known total 141,308 spread by residential street length" in sparse
    groups = _text(_cell_after(notebook, "# Whom each item serves"))
    assert "children" in groups and "elderly" in groups and "39142" in groups.replace(",", "")
