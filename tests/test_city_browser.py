"""A city past the drawing caps in a real browser: every street and residence drawn from the
engine's arrays on canvases (render/js/citylayers.mjs), read back pixel by pixel, clicked
with real mouse events, and a what-if placed with the mouse equal to Python's.

The demo (示例, synthetic) stands in for the city, with the residences' cap lowered so that
its page draws them the city's way; the million-edge city itself is
``benchmarks/whatif_browser.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from browser import (
    center_on,
    chromium,
    clear_spot,
    click_at,
    click_element,
    close_popup,
    console_errors,
    js,
    open_map,
    pixel,
    wait_for,
)

from yushu_circle import Study
from yushu_circle.render import maps
from yushu_circle.render import payload as map_payload

pytestmark = pytest.mark.browser
CLICKS = 5

# The colour a residence is drawn in, read from its canvas at its own pixel.
_HOME_PIXEL = (
    "var m = yushuMap.map, R = yushuMap.app.data.res, i = arguments[0];"
    "var p = m.latLngToContainerPoint([R.lat[i], R.lon[i]]);"
    "var c = m.getPane('yc-homes').querySelector('canvas');"
    "var d = c.getContext('2d').getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data;"
    "return '#' + [d[0], d[1], d[2]].map(function (v) { return (256 + v).toString(16).slice(1); })"
    ".join('');"
)
_MINUTES_COLOR = (
    "var m = arguments[0], bins = yushuMap.app.colors.minutes;"
    "if (m === null) { return yushuMap.app.colors.none; }"
    "for (var k = 0; k < bins.length; k++) {"
    "  if (bins[k].max === null || m <= bins[k].max) { return bins[k].color; } }"
)


@pytest.fixture(scope="module")
def page_file(study: Study, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(map_payload, "MAX_MAP_RESIDENCES", 500)
        html = maps.coverage_map(study.results())
    path = tmp_path_factory.mktemp("city") / "map.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def page(browser: Any, page_file: Path) -> Iterator[Any]:
    open_map(browser, page_file, "1280x757")
    yield browser
    assert console_errors(browser) == []


def _choose_kindergarten(page: Any) -> None:
    click_element(page, "#yc-category-button")
    click_element(page, "#yc-category-list [data-key='kindergarten']")


def test_every_residence_is_drawn_from_the_engine_offline(page: Any, study: Study) -> None:
    assert js(page, "return Boolean(yushuMap.app.city)")
    assert js(page, "return performance.getEntriesByType('resource').length") == 0
    access = study.access()
    assert js(page, "return yushuMap.residences.length") == len(access)
    assert js(page, "return yushuMap.residences.map(function (r) { return r.id; })") == (
        access["residence_id"].astype(str).tolist()
    )
    # No Leaflet layer per residence or street: one canvas each.
    assert js(page, "return yushuMap.app.groups.residences.getLayers().length") == 1
    assert js(page, "return yushuMap.app.groups.streets.getLayers().length") == 1
    notes = js(page, "return document.getElementById('yc-summary').textContent")
    assert "even sample" not in notes


def test_residences_take_their_minutes_colour_on_the_canvas(page: Any, study: Study) -> None:
    _choose_kindergarten(page)
    minutes = study.access()["walk_min_kindergarten"].to_numpy()
    rng = np.random.default_rng(31)
    checked = 0
    for i in rng.permutation(len(minutes))[:60].tolist():
        row = study.access().iloc[i]
        center_on(page, float(row.geometry.y), float(row.geometry.x), 18)
        if not clear_spot(page, float(row.geometry.y), float(row.geometry.x)):
            continue
        want = js(page, _MINUTES_COLOR, None if np.isnan(minutes[i]) else float(minutes[i]))
        assert js(page, _HOME_PIXEL, i) == want, row["residence_id"]
        checked += 1
    assert checked >= 10


def test_real_clicks_open_a_residence_with_its_route(page: Any, study: Study) -> None:
    _choose_kindergarten(page)
    access = study.access()
    rng = np.random.default_rng(32)
    done = 0
    for i in rng.permutation(len(access)).tolist():
        if done == CLICKS:
            break
        row = access.iloc[i]
        if not row["on_network"] or not np.isfinite(row["walk_min_kindergarten"]):
            continue
        lat, lon = float(row.geometry.y), float(row.geometry.x)
        center_on(page, lat, lon, 18)
        if not clear_spot(page, lat, lon):
            continue
        click_at(page, *pixel(page, lat, lon))
        wait_for(page, ".leaflet-popup")
        text = js(page, "return document.querySelector('.leaflet-popup').innerText")
        assert f"居住点 Residence {row['residence_id']}" in text
        assert f"{row['walk_min_kindergarten']:.1f} 分钟" in text
        assert js(page, "return yushuMap.selected()") == row["residence_id"]
        route = js(
            page,
            "return yushuMap.app.groups.isochrones.getLayers().filter(function (l) {"
            " return l.ycRoute; }).map(function (l) { return l.ycRoute.minutes; })",
        )
        assert route == [pytest.approx(row["walk_min_kindergarten"], abs=0.01)]
        close_popup(page)
        done += 1
    assert done == CLICKS


def test_a_kindergarten_placed_with_the_mouse_equals_python(page: Any, study: Study) -> None:
    _choose_kindergarten(page)
    access = study.access()
    minutes = access["walk_min_kindergarten"].to_numpy()
    far = int(np.nanargmax(minutes))
    row = access.iloc[far]
    lat, lon = float(row.geometry.y), float(row.geometry.x)
    center_on(page, lat, lon, 17)
    before = js(page, _HOME_PIXEL, far)
    click_element(page, "#yc-whatif-add")
    # A spot 30 px north of the farthest residence: on no point, so the click is the map's.
    x, y = pixel(page, lat, lon)
    click_at(page, x, y - 30)
    added = js(page, "return yushuMap.engine.scenario().added")
    assert len(added) == 1
    placed = gpd.GeoDataFrame(
        {"category": ["kindergarten"]},
        geometry=gpd.points_from_xy([added[0]["lon"]], [added[0]["lat"]]),
        crs="EPSG:4326",
    )
    python = study.with_facilities(added=placed).access(categories=["kindergarten"])
    want = python["walk_min_kindergarten"].to_numpy()
    got = np.array(
        js(
            page,
            "return Array.from(yushuMap.engine.residenceMinutes('kindergarten'),"
            " function (m) { return isNaN(m) ? null : m; })",
        ),
        dtype=float,
    )
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want)) <= 0.01
    assert want[far] < minutes[far]
    after = js(page, _HOME_PIXEL, far)
    assert after == js(page, _MINUTES_COLOR, float(got[far])) and after != before
