"""A planner's whole walk through the map, with real mouse events, at four real window sizes.

1280×757 and 1366×768 (the viewports of common laptop windows), 1920×1080 and a 390×844
phone: open, pick a category, filter, click a residence, close the popup, add a facility,
remove one, reset, download the scenario. Each step asserts what a planner sees (marker
counts, legend counts, the table row, no control overlapping another or the popup) and
saves a screenshot to ``$YUSHU_SCREENSHOTS/walk/<size>/`` (default: pytest's tmp).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from browser import (
    RECTS,
    SIZES,
    center_on,
    clear_spot,
    click_at,
    click_element,
    close_popup,
    console_errors,
    fold_panel,
    free_pixel,
    js,
    open_map,
    open_panel,
    overlaps,
    pixel,
    wait_for,
)

from yushu_circle import Study, write_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "kindergarten"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("walk") / "out"
    write_study(Study.demo(), folder, isochrones=False)
    return folder


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("YUSHU_SCREENSHOTS")
    path = (Path(folder) if folder else tmp_path_factory.mktemp("screenshots")) / "walk"
    path.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {path}")
    return path


class Walk:
    """One size's walk: the page, where its screenshots go, and the checks of every step."""

    def __init__(self, page: Any, size: str, shots: Path) -> None:
        self.page, self.size, self.phone = page, size, SIZES[size][2]
        self.folder = shots / size
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0

    def seen(self, name: str) -> None:
        """After a step: nothing overlaps (controls, the popup); a screenshot."""
        rects = js(self.page, RECTS)
        assert overlaps(rects) == [], (self.size, name, overlaps(rects))
        width, height, _ = SIZES[self.size]
        assert all(r[1] >= -0.5 and r[3] <= width + 0.5 for r in rects), (name, rects)
        assert all(r[2] >= -0.5 and r[4] <= height + 0.5 for r in rects), (name, rects)
        self.step += 1
        time.sleep(0.3)  # Leaflet fades a popup in over 0.2 s: the picture shows it opaque
        self.page.save_screenshot(str(self.folder / f"{self.step:02d}_{name}.png"))

    def legend(self) -> str:
        """The legend's text, read as a planner does (on a phone: unfolded, then folded)."""
        open_panel(self.page, "yc-legend")
        text = str(js(self.page, "return document.getElementById('yc-legend').textContent"))
        if self.phone:
            fold_panel(self.page, "yc-legend")
        return text

    def row(self) -> list[str]:
        """The table's row of the category (on a phone the table is folded again)."""
        open_panel(self.page, "yc-summary")
        cells = list(
            js(
                self.page,
                "return Array.prototype.map.call(document.querySelector("
                "'#yc-summary tr[data-key=\"' + arguments[0] + '\"]').children,"
                " function (c) { return c.textContent; })",
                KEY,
            )
        )
        if self.phone:
            fold_panel(self.page, "yc-summary")
        return cells

    def on_map(self) -> int:
        return int(
            js(
                self.page,
                "var m = yushuMap.map; return yushuMap.app.groups.facilities[arguments[0]]"
                ".getLayers().filter(function (l) { return m.hasLayer(l); }).length",
                KEY,
            )
        )

    def shown(self) -> int:
        """Residences drawn (visible and clickable)."""
        return int(
            js(
                self.page,
                "return yushuMap.app.groups.residences.getLayers().filter(function (m) {"
                " return m.options.interactive && m.options.fillOpacity > 0; }).length",
            )
        )


@pytest.mark.parametrize("size", list(SIZES))
def test_a_planner_walks_the_whole_map(
    driver: Any, out: Path, downloads: Path, shots: Path, size: str
) -> None:
    residences = gpd.read_parquet(out / "residences.parquet")
    facilities = gpd.read_parquet(out / "facilities.parquet")
    ours = facilities[facilities["category"] == KEY]
    walk = Walk(open_map(driver, out / "map.html", size), size, shots)
    page = walk.page

    # 1. Open: every residence drawn, the kindergartens counted in the legend and the table.
    assert walk.shown() == len(residences)
    assert walk.on_map() == len(ours) == 4
    assert "幼儿园 Kindergarten (4)" in walk.legend()
    before = walk.row()
    assert before[2] == "4"
    walk.seen("open")

    # 2. Pick a category: kindergartens, filtered at their level (5 min).
    click_element(page, "#yc-category-button")
    click_element(page, f"#yc-category-list button[data-key='{KEY}']")
    assert js(page, "return yushuMap.app.state.category") == KEY
    assert js(page, "return yushuMap.app.state.threshold") == 5
    walk.seen("category")

    # 3. Filter: only the residences with no kindergarten within 5 minutes.
    click_element(page, "#yc-only-beyond")
    minutes = residences[f"walk_min_{KEY}"].to_numpy(float)
    beyond = int((~(minutes <= 5)).sum())
    assert walk.shown() == beyond < len(residences)
    status = js(page, "return document.getElementById('yc-status').textContent")
    assert status.startswith(f"{beyond} 个居住点") and status.endswith("within 5 min")
    walk.seen("filter")

    # 4. Click a residence shown (one beyond 5 minutes): its popup, reach and route.
    row = _click_shown(page, residences, minutes)
    cells = js(
        page,
        "return Array.prototype.map.call(document.querySelector("
        "'.leaflet-popup tr[data-key=\"' + arguments[0] + '\"]').children,"
        " function (c) { return c.textContent; })",
        KEY,
    )
    assert cells[1] == "≤ 5 min" and cells[3] == "✗", cells
    note = js(page, "return document.getElementById('yc-route-note').textContent")
    assert f"{row[f'walk_min_{KEY}']:.1f} 分钟" in note
    layers = js(page, "return yushuMap.app.groups.isochrones.getLayers().length")
    assert layers >= 2  # reach bands and the route
    walk.seen("residence")

    # 5. Close the popup: the reach and the route stay.
    close_popup(page)
    assert js(page, "return yushuMap.app.groups.isochrones.getLayers().length") == layers
    walk.seen("popup_closed")

    # 6. Add a kindergarten near that residence.
    open_panel(page, "yc-whatif")
    click_element(page, "#yc-whatif-category")
    click_element(page, f"#yc-whatif-list button[data-key='{KEY}']")
    click_element(page, "#yc-whatif-add")
    center_on(page, float(row.geometry.y), float(row.geometry.x), 17)
    click_at(page, *free_pixel(page))
    assert [f["category"] for f in js(page, "return yushuMap.engine.scenario().added")] == [KEY]
    assert walk.on_map() == 5
    assert walk.shown() < beyond  # fewer residences beyond 5 minutes now
    assert walk.row()[2] == "5"
    assert "幼儿园 Kindergarten (5)" in walk.legend()
    walk.seen("added")

    # 7. Remove one of the study's kindergartens: the map stays where it is.
    first = ours.iloc[0]
    lat, lon = float(first.geometry.y), float(first.geometry.x)
    center_on(page, lat, lon, 17)
    open_panel(page, "yc-whatif")
    center_on(page, lat, lon, 17)
    click_element(page, "#yc-whatif-remove")
    center = js(page, "var c = yushuMap.map.getCenter(); return [c.lat, c.lng]")
    click_at(page, *pixel(page, lat, lon))
    removed = js(page, "return yushuMap.engine.scenario().removed")
    assert [f["id"] for f in removed] == [first["facility_id"]]
    assert js(page, "var c = yushuMap.map.getCenter(); return [c.lat, c.lng]") == center
    assert js(page, "return document.querySelectorAll('.leaflet-popup').length") == 0
    assert walk.on_map() == 4
    assert walk.row()[2] == "4"
    assert "幼儿园 Kindergarten (4)" in walk.legend()
    walk.seen("removed")

    # 8. Reset: the study's own four, drawn again; the table row as it was.
    open_panel(page, "yc-whatif")
    click_element(page, "#yc-whatif-reset")
    scenario = js(page, "return yushuMap.engine.scenario()")
    assert scenario["added"] == [] and scenario["removed"] == []
    assert walk.on_map() == 4
    assert walk.shown() == beyond
    assert walk.row() == before
    assert "幼儿园 Kindergarten (4)" in walk.legend()
    walk.seen("reset")

    # 9. Download the scenario: the page's CSV, with a BOM for Excel.
    for old in downloads.glob("*"):
        old.unlink()
    open_panel(page, "yc-whatif")
    click_element(page, "#yc-whatif-download")
    path = downloads / "scenario.csv"
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline, list(downloads.iterdir())
        time.sleep(0.1)
    time.sleep(0.2)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == js(page, "return yushuMap.scenarioCsv()")
    walk.seen("downloaded")
    assert console_errors(page) == []


def _click_shown(page: Any, residences: gpd.GeoDataFrame, minutes: np.ndarray) -> Any:
    """A real click on a residence the filter shows (beyond 5 minutes, on the network)."""
    for i in np.flatnonzero(~(minutes <= 5) & np.isfinite(minutes)):
        row = residences.iloc[int(i)]
        lat, lon = float(row.geometry.y), float(row.geometry.x)
        center_on(page, lat, lon, 18)
        if clear_spot(page, lat, lon):
            click_at(page, *pixel(page, lat, lon))
            wait_for(page, ".leaflet-popup")
            assert js(page, "return yushuMap.selected()") == row["residence_id"]
            return row
    pytest.fail("no residence beyond 5 minutes could be clicked")
