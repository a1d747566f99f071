"""Regenerate the recorded Overpass and Nominatim answers for the synthetic demo town(s).

Run from the repository root: ``python tests/data/make_fixtures.py``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import osmnx as ox

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
TOWNSHIPS_FILE = "townships_recorded.json"
TOWNSHIP_SPACING_DEG = 0.03
"""Synthetic towns of the township answers sit on a grid this far apart (not real places)."""


def _conftest() -> object:
    spec = importlib.util.spec_from_file_location("_conftest", HERE.parent / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_conftest"] = module
    spec.loader.exec_module(module)
    return module


def recorded() -> dict[str, str]:
    """File name → text of every recorded answer, built from the synthetic town."""
    conftest = _conftest()
    with tempfile.TemporaryDirectory() as folder:
        osm = conftest.write_town(Path(folder) / "town.osm")  # type: ignore[attr-defined]
        overpass = ox._osm_xml._overpass_json_from_xml(osm, "utf-8")
    overpass["generator"] = "tests/data/make_fixtures.py: synthetic town 示例数据, not real OSM"
    nominatim = conftest.nominatim_result()  # type: ignore[attr-defined]
    return {
        "overpass_demo_town.json": json.dumps(overpass, ensure_ascii=False, indent=1) + "\n",
        "nominatim_demo_town.json": json.dumps(nominatim, ensure_ascii=False, indent=1) + "\n",
        TOWNSHIPS_FILE: json.dumps(townships(), ensure_ascii=False, separators=(",", ":")) + "\n",
    }


def township_places() -> list[tuple[str, str]]:
    """(area_id, place query) of every row of the shipped ``data/areas/yushu_townships.csv``."""
    lines = (ROOT / "data" / "areas" / "yushu_townships.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in lines.splitlines() if not line.startswith("#"))
    return [(row["area_id"], row["place"]) for row in rows]


def townships() -> dict[str, object]:
    """Per township: a SYNTHETIC Nominatim and Overpass answer (a 4 x 4 street grid town).

    The towns are made up and sit on a grid 0.03 degrees apart east and north of Jiegu,
    not where the townships are: they only let ``batch`` run offline on the shipped file.
    """
    conftest = _conftest()
    jiegu = conftest.JIEGU  # type: ignore[attr-defined]
    answers: dict[str, object] = {}
    for k, (area_id, place) in enumerate(township_places()):
        center = (
            round(jiegu[0] + TOWNSHIP_SPACING_DEG * (k % 4), 6),
            round(jiegu[1] + TOWNSHIP_SPACING_DEG * (k // 4), 6),
        )
        with tempfile.TemporaryDirectory() as folder:
            osm = conftest.write_town(Path(folder) / "town.osm", center=center, n=4)  # type: ignore[attr-defined]
            overpass = ox._osm_xml._overpass_json_from_xml(osm, "utf-8")
        overpass["generator"] = f"tests/data/make_fixtures.py: synthetic town for {area_id}"
        nominatim = conftest.nominatim_result(center=center, half_m=250.0)  # type: ignore[attr-defined]
        nominatim[0]["display_name"] = f"{place} (synthetic 示例数据, not its real boundary)"
        answers[place] = {"area_id": area_id, "center": list(center), "nominatim": nominatim,
                          "overpass": overpass}  # fmt: skip
    return {"note": "synthetic test data 示例数据: made-up towns, not the townships", **answers}


if __name__ == "__main__":
    for name, text in recorded().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote tests/data/{name}")
