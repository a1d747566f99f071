"""The demo's outputs stay numerically what they were: `run` and the README's `plan` example.

A refactor must not change a number. ``tests/golden/demo_outputs.json`` holds a fingerprint of
every table the two commands write on the synthetic demo (columns, row counts, and a digest of
each column's values rounded to 1e-6, geometries to 1e-7 degrees). A change that is meant to
change results regenerates it with ``YUSHU_UPDATE_GOLDEN=1 python -m pytest
tests/test_golden_outputs.py`` and says in its commit message why the numbers moved.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

GOLDEN = Path(__file__).parent / "golden" / "demo_outputs.json"
REPO = Path(__file__).resolve().parents[1]
# Metadata that names the tool version, paths or timings, not results.
_VOLATILE_COLUMNS = {"path", "file", "seconds", "elapsed_s"}

pytestmark = pytest.mark.slow


def _digest(values: Any) -> str:
    return hashlib.sha256(repr(values).encode("utf-8")).hexdigest()[:16]


def _column_print(column: pd.Series) -> dict[str, Any]:
    if isinstance(column.dtype, gpd.array.GeometryDtype):
        geoms = shapely.set_precision(np.asarray(column.values, dtype=object), 1e-7)
        return {"kind": "geometry", "digest": _digest([g.wkt for g in geoms])}
    if pd.api.types.is_bool_dtype(column):
        return {"kind": "bool", "digest": _digest(column.tolist())}
    if pd.api.types.is_numeric_dtype(column):
        values = np.round(column.to_numpy(dtype=float), 6)
        values[values == 0] = 0.0  # -0.0 and 0.0 are the same number
        shown = [None if np.isnan(v) else float(v) for v in values]
        return {"kind": "number", "digest": _digest(shown), "nan": int(np.isnan(values).sum())}
    return {"kind": "text", "digest": _digest(column.astype(str).tolist())}


def _table_print(frame: pd.DataFrame) -> dict[str, Any]:
    columns = [c for c in frame.columns if c not in _VOLATILE_COLUMNS]
    return {
        "rows": len(frame),
        "columns": {str(c): _column_print(frame[c]) for c in columns},
    }


def _folder_print(folder: Path) -> dict[str, Any]:
    prints: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            try:
                frame: pd.DataFrame = gpd.read_parquet(path)
            except ValueError:  # a plain (non-geo) parquet table
                frame = pd.read_parquet(path)
            prints[path.name] = _table_print(frame)
        elif path.suffix == ".csv":
            prints[path.name] = _table_print(pd.read_csv(path))
    return prints


def _run(*argv: str) -> None:
    command = [sys.executable, "-m", "yushu_circle.cli", "--quiet", *argv]
    # One fixed seed: this test guards the numbers against refactors; independence from the
    # hash seed is tested on its own, run by run.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def demo_prints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("golden")
    _run("run", "--out", str(base / "run"))
    _run(
        "plan",
        "--standard",
        "gb50180",
        "--profile",
        "elderly",
        "--dem",
        "data/demo/jiegu_synthetic_dem.tif",
        "--site",
        "kindergarten",
        "--k",
        "3",
        "--out",
        str(base / "plan"),
    )
    return {"run": _folder_print(base / "run"), "plan": _folder_print(base / "plan")}


def test_demo_outputs_match_the_recorded_fingerprint(demo_prints: dict[str, Any]) -> None:
    if os.environ.get("YUSHU_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(demo_prints, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(GOLDEN.read_text())
    changed = []
    for command in ("run", "plan"):
        for name in sorted(set(recorded[command]) | set(demo_prints[command])):
            old = recorded[command].get(name)
            new = demo_prints[command].get(name)
            if old == new:
                continue
            if old is None or new is None:
                changed.append(f"{command}/{name}: {'added' if old is None else 'missing'}")
                continue
            if old["rows"] != new["rows"]:
                changed.append(f"{command}/{name}: rows {old['rows']} → {new['rows']}")
            for column in sorted(set(old["columns"]) | set(new["columns"])):
                if old["columns"].get(column) != new["columns"].get(column):
                    changed.append(f"{command}/{name}: column {column}")
    assert not changed, "demo outputs changed:\n" + "\n".join(changed)


def test_streets_written_a_chunk_at_a_time_are_the_whole_frames_file(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from yushu_circle import Study
    from yushu_circle.access import edge_minutes
    from yushu_circle.geoparquet import write_wgs84_parquet

    study = Study.demo()
    network = study.network
    minutes = edge_minutes(network, study.facility_snaps, study.access_detail().node_minutes)
    edges = pd.concat([network.edges_frame(projected=True), minutes], axis=1)
    whole = tmp_path / "whole.parquet"
    edges.to_crs("EPSG:4326").to_parquet(whole, index=False)
    # One chunk: the very file geopandas writes; and the output contract's frame.
    one = tmp_path / "one.parquet"
    write_wgs84_parquet(edges, one)
    assert one.read_bytes() == whole.read_bytes()
    contract = pd.concat([network.edges_frame(), minutes], axis=1)
    contract_file = tmp_path / "contract.parquet"
    contract.to_parquet(contract_file, index=False)
    assert one.read_bytes() == contract_file.read_bytes()
    # Many chunks (a row group each): the same table, metadata and bounding box.
    rows = max(len(edges) // 7, 1)
    chunked = tmp_path / "chunked.parquet"
    write_wgs84_parquet(edges, chunked, chunk_rows=rows)
    assert pq.ParquetFile(chunked).metadata.num_row_groups == -(-len(edges) // rows) > 1
    assert gpd.read_parquet(chunked).equals(gpd.read_parquet(whole))
    kept = pq.ParquetFile(whole).metadata.metadata
    made = pq.ParquetFile(chunked).metadata.metadata
    assert made[b"geo"] == kept[b"geo"] and made[b"pandas"] == kept[b"pandas"]
    assert pq.read_table(chunked).equals(pq.read_table(whole))
