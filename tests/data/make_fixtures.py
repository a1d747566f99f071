"""Regenerate the recorded Overpass and Nominatim answers for the synthetic demo town.

Run from the repository root: ``python tests/data/make_fixtures.py``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import osmnx as ox

HERE = Path(__file__).parent


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
    }


if __name__ == "__main__":
    for name, text in recorded().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote tests/data/{name}")
