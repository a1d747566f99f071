"""Regenerate the recorded Overpass and Nominatim answers for the synthetic demo town(s).

Run from the repository root: ``python tests/data/make_fixtures.py``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import sys
import tempfile
from pathlib import Path

import osmnx as ox

from yushu_circle.osm.sparse import sparse_town_elements

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
TOWNSHIPS_FILE = "townships_recorded.json"
COUNTY_FILE = "county_recorded.json"


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
        TOWNSHIPS_FILE: _compact(townships()),
        COUNTY_FILE: _compact(county()),
    }


def _compact(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def township_places() -> list[tuple[str, str]]:
    """(area_id, place query) of every row of the shipped ``data/areas/yushu_townships.csv``."""
    lines = (ROOT / "data" / "areas" / "yushu_townships.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in lines.splitlines() if not line.startswith("#"))
    return [(row["area_id"], row["place"]) for row in rows]


# --- recorded answers of areas studied settlement by settlement -------------------------------


def _offset_m(center: tuple[float, float], dx_m: float, dy_m: float) -> tuple[float, float]:
    lon, lat = center
    return (
        round(lon + dx_m / (111_320.0 * math.cos(math.radians(lat))), 7),
        round(lat + dy_m / 111_320.0, 7),
    )


def _town_answer(xml: str, first_id: int, label: str) -> dict[str, object]:
    """The Overpass JSON of a synthetic town's XML, its ids moved to start at ``first_id``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "town.osm"
        path.write_text(xml, encoding="utf-8")
        document = ox._osm_xml._overpass_json_from_xml(path, "utf-8")
    for element in document["elements"]:
        element["id"] += first_id
        if "nodes" in element:
            element["nodes"] = [ref + first_id for ref in element["nodes"]]
    document["generator"] = f"tests/data/make_fixtures.py: {label} (synthetic 示例数据)"
    return document


def _place_node(ident: int, center: tuple[float, float], place: str, name: str) -> dict:
    return {"type": "node", "id": ident, "lat": center[1], "lon": center[0],
            "tags": {"place": place, "name": name}}  # fmt: skip


def _area_answer(
    place: str, area_id: str, polygon: list[tuple[float, float]], relation: int, search: list
) -> dict[str, object]:
    """A Nominatim answer (the boundary relation) and the answer to the settlement search."""
    ring = [list(p) for p in polygon] + [list(polygon[0])]
    lons, lats = [p[0] for p in polygon], [p[1] for p in polygon]
    nominatim = [
        {
            "place_id": relation,
            "licence": "synthetic test data 示例数据",
            "osm_type": "relation",
            "osm_id": relation,
            "boundingbox": [
                f"{min(lats):.7f}",
                f"{max(lats):.7f}",
                f"{min(lons):.7f}",
                f"{max(lons):.7f}",
            ],
            "lat": f"{sum(lats) / len(lats):.7f}",
            "lon": f"{sum(lons) / len(lons):.7f}",
            "display_name": f"{place} (synthetic 示例数据, not a real boundary)",
            "class": "boundary",
            "type": "administrative",
            "importance": 0.5,
            "geojson": {"type": "Polygon", "coordinates": [ring]},
        }
    ]
    answer = {"generator": "tests/data/make_fixtures.py: settlement search (synthetic)",
              "elements": search}  # fmt: skip
    return {"area_id": area_id, "nominatim": nominatim, "search": answer}


COUNTY_PLACE = "示例县 Demo County"
COUNTY_CENTER = (97.25, 32.80)


def county() -> dict[str, object]:
    """A SYNTHETIC county of about 1,700 km² with settlements (made up, not a real place).

    A hexagon around (97.25 E, 32.80 N) holding: a town (the seat, a 6 x 6 street grid
    with buildings and facilities) with a village node 1.2 km east (one settlement: their
    reach areas overlap); the sparse village of ``yushu_circle.osm.sparse`` (streets, 4
    buildings); a hamlet whose answer has no street (skipped); a ``landuse=residential``
    area without a place node (a 4 x 4 grid town); a village inside the search box but
    outside the county (left out).
    """
    conftest = _conftest()
    hexagon = [(96.95, 32.80), (97.05, 32.62), (97.45, 32.62), (97.55, 32.80), (97.45, 32.98),
               (97.05, 32.98)]  # fmt: skip
    town = COUNTY_CENTER
    suburb = _offset_m(town, 1200.0, 0.0)
    sparse = (97.10, 32.90)
    hamlet = (97.42, 32.68)
    estate = (97.40, 32.92)
    outside = (96.97, 32.66)
    seat = _place_node(9_000_001, town, "town", "示例县城 Demo County Town")
    (w, s), (e, n) = _offset_m(estate, -150.0, -150.0), _offset_m(estate, 150.0, 150.0)
    search = [
        seat,
        _place_node(9_000_002, suburb, "village", "示例城郊村 Demo Suburb Village"),
        _place_node(9_000_003, sparse, "village", "示例稀疏村 Demo Sparse Village"),
        _place_node(9_000_004, hamlet, "hamlet", "示例牧点 Demo Herders' Hamlet"),
        _place_node(9_000_005, outside, "village", "示例邻县村 Neighbour-county Village"),
        {"type": "way", "id": 9_000_006, "bounds": {"minlat": s, "minlon": w, "maxlat": n,
         "maxlon": e}, "tags": {"landuse": "residential", "name": "示例新村居住区 (synthetic)"}},
        seat,  # the relation's admin_centre, printed again by its own out statement
    ]  # fmt: skip
    area = _area_answer(COUNTY_PLACE, "demo_county", hexagon, 9_100_000, search)
    towns = [
        {"name": "town", "center": list(town),
         "overpass": _town_answer(conftest.town_xml(center=town), 1_000_000, "county town")},
        {"name": "sparse", "center": list(sparse),
         "overpass": {"generator": "yushu_circle.osm.sparse: sparse village (synthetic 示例数据)",
                      "elements": sparse_town_elements(sparse, 2_000_001)}},
        {"name": "hamlet", "center": list(hamlet),
         "overpass": {"generator": "tests/data/make_fixtures.py: a hamlet without streets",
                      "elements": [search[3]]}},
        {"name": "estate", "center": list(estate),
         "overpass": _town_answer(conftest.town_xml(center=estate, n=4, facilities=False),
                                  3_000_000, "residential estate")},
    ]  # fmt: skip
    return {
        "note": "synthetic test data 示例数据: a made-up county, not a real place or boundary",
        "areas": {COUNTY_PLACE: area},
        "towns": towns,
    }


TOWNSHIP_SPACING_DEG = 0.4
"""The synthetic townships sit on a grid this far apart (not where the real ones are)."""
TOWNSHIP_HALF_DEG = 0.175
"""Half the side of each synthetic township's square boundary (about 1,270 km²)."""


def townships() -> dict[str, object]:
    """Per township of the shipped file: SYNTHETIC answers of a county-sized township.

    Each made-up township is a square of about 1,270 km² (over the one-query limit, like
    Yushu's rural townships) on a grid 0.4 degrees apart north-east of Jiegu — **not** where
    the townships are, nor their boundaries. Its settlement search finds its seat (a
    ``place`` node, the boundary relation's ``admin_centre``: a 4 x 4 street grid town) and,
    in every third township, a hamlet whose answer has no street (skipped).
    """
    conftest = _conftest()
    jiegu = conftest.JIEGU  # type: ignore[attr-defined]
    areas: dict[str, object] = {}
    towns: list[dict[str, object]] = []
    for k, (area_id, place) in enumerate(township_places()):
        center = (
            round(jiegu[0] + TOWNSHIP_SPACING_DEG * (k % 4), 6),
            round(jiegu[1] + TOWNSHIP_SPACING_DEG * (k // 4), 6),
        )
        h = TOWNSHIP_HALF_DEG
        square = [(center[0] - h, center[1] - h), (center[0] + h, center[1] - h),
                  (center[0] + h, center[1] + h), (center[0] - h, center[1] + h)]  # fmt: skip
        kind = "village" if place.split(",")[0].endswith("乡") else "town"
        seat = _place_node(8_000_000 + 10 * k, center, kind, f"{area_id} seat (synthetic)")
        search = [seat]
        if k % 3 == 0:
            hamlet = _offset_m(center, 8000.0, 6000.0)
            search.append(
                _place_node(8_000_001 + 10 * k, hamlet, "hamlet", f"{area_id} hamlet (synthetic)")
            )
            towns.append({"name": f"{area_id} hamlet", "center": list(hamlet),
                          "overpass": {"generator": "a hamlet without streets (synthetic)",
                                       "elements": [search[-1]]}})  # fmt: skip
        areas[place] = _area_answer(place, area_id, square, 8_100_000 + k, search)
        xml = conftest.town_xml(center=center, n=4)  # type: ignore[attr-defined]
        answer = _town_answer(xml, 100_000 * (k + 1), f"town of {area_id}")
        towns.append({"name": area_id, "center": list(center), "overpass": answer})
    return {
        "note": "synthetic test data 示例数据: made-up townships and towns, not the real ones",
        "areas": areas,
        "towns": towns,
    }


if __name__ == "__main__":
    for name, text in recorded().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote tests/data/{name}")
