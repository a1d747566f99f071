"""Planning areas from the bureau's own files: any datum, and their division codes kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import prcoords
import pytest
from conftest import JIEGU

from yushu_circle import Study, StudyOptions
from yushu_circle.planning import compliance

# Two halves of the synthetic grid town (示例数据) at Jiegu, west and east of 97.01 E.
_HALVES = {
    "632701004201": [(97.005, 32.9975), (97.010, 32.9975), (97.010, 33.0025), (97.005, 33.0025)],
    "632701101200": [(97.010, 32.9975), (97.015, 32.9975), (97.015, 33.0025), (97.010, 33.0025)],
}


def _areas_file(path: Path, datum: str, names: tuple[str, str]) -> Path:
    features = []
    for (code, ring), name in zip(_HALVES.items(), names, strict=True):
        if datum == "gcj02":  # as Amap would give it: WGS-84 → GCJ-02 (prcoords' forward)
            ring = [
                (c.lon, c.lat) for c in (prcoords.wgs_gcj(prcoords.Coords(y, x)) for x, y in ring)
            ]
        coordinates = [[list(p) for p in [*ring, ring[0]]]]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "code": code},
                "geometry": {"type": "Polygon", "coordinates": coordinates},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_areas_in_gcj02_are_converted_and_rows_carry_their_codes(
    town_osm: Path, tmp_path: Path
) -> None:
    names = ("新寨村委会", "杂娘村委会")
    wgs = Study.from_osm_file(town_osm)
    gcj = Study.from_osm_file(town_osm, options=StudyOptions(datum="gcj02"))
    plain = compliance(wgs, areas=_areas_file(tmp_path / "wgs.geojson", "wgs84", names)).table
    shifted = compliance(gcj, areas=_areas_file(tmp_path / "gcj.geojson", "gcj02", names)).table
    # Converted back, the Amap-datum areas hold the same residences as the WGS-84 ones.
    assert list(shifted["area"]) == list(plain["area"])
    pd.testing.assert_series_equal(shifted["residences"], plain["residences"])
    np.testing.assert_allclose(shifted["share_pop"], plain["share_pop"], equal_nan=True)
    halves = plain[plain["area"] != "全部 all"]
    assert set(halves["area"]) == set(names)
    assert dict(zip(halves["area"], halves["code"], strict=False)) == dict(
        zip(names, _HALVES, strict=True)
    )
    assert (plain.loc[plain["area"] == "全部 all", "code"] == "").all()
    assert list(plain.columns[:2]) == ["area", "code"]
    # Read without the datum, the GCJ-02 areas sit ~240 m off and hold other residences.
    unconverted = compliance(wgs, areas=tmp_path / "gcj.geojson").table
    assert not unconverted["residences"].equals(plain["residences"])


def test_two_divisions_of_one_name_are_told_apart_by_code(town_osm: Path, tmp_path: Path) -> None:
    study = Study.from_osm_file(town_osm)
    path = _areas_file(tmp_path / "same.geojson", "wgs84", ("叶吉村委会", "叶吉村委会"))
    table = compliance(study, areas=path).table
    areas = sorted(set(table["area"]) - {"全部 all"})
    assert areas == [f"叶吉村委会 ({code})" for code in sorted(_HALVES)]


def test_areas_without_codes_add_no_column(town_osm: Path, tmp_path: Path) -> None:
    path = _areas_file(tmp_path / "plain.geojson", "wgs84", ("西", "东"))
    document = json.loads(path.read_text("utf-8"))
    for feature in document["features"]:
        del feature["properties"]["code"]
    path.write_text(json.dumps(document), "utf-8")
    table = compliance(Study.from_osm_file(town_osm), areas=path).table
    assert "code" not in table.columns
    # The town the halves split lies at Jiegu, between them.
    assert _HALVES["632701004201"][1][0] == pytest.approx(JIEGU[0])
