"""The planner's map in a real browser (headless Debian chromium, networking disabled)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from yushu_circle import Study, write_study
from yushu_circle.render import maps

pytestmark = pytest.mark.browser

# Payloads that would set a global flag if the page ever parsed them as markup or script.
HOSTILE_IMG = "<img src=x onerror=\"window.__yc_pwned='img'\">诊所"
HOSTILE_SCRIPT = "</script><script>window.__yc_pwned='script'</script>"
HOSTILE_CATEGORY = "<b onmouseover=\"window.__yc_pwned='cat'\">文明实践站</b>"
ISOCHRONE_RESIDENCES = 12


def _binaries() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plus a user facilities file with hostile names, written and mapped."""
    from yushu_circle.isochrones import isochrones

    folder = tmp_path_factory.mktemp("browser_map")
    demo = Study.demo()
    x0, y0, x1, y1 = demo.network.edges_frame().total_bounds
    mid_x, mid_y = (x0 + x1) / 2, (y0 + y1) / 2
    csv = folder / "planner_inventory.csv"
    pd.DataFrame(
        {
            "name": [HOSTILE_IMG, HOSTILE_SCRIPT, "正常名称 plain name"],
            "category": ["clinic", "clinic", HOSTILE_CATEGORY],
            "lon": [mid_x, mid_x + 0.001, mid_x - 0.001],
            "lat": [mid_y, mid_y + 0.001, mid_y - 0.001],
        }
    ).to_csv(csv, index=False)
    study = Study.demo(facilities=csv)
    out = folder / "out"
    write_study(study, out, isochrones=False)
    # Isochrones of a few residences, as isochrones.parquet holds them.
    access = study.access()
    picked = np.arange(ISOCHRONE_RESIDENCES)
    result = isochrones(study.network, study.residence_snap.subset(picked))
    frames = [
        gpd.GeoDataFrame(
            {"residence_id": access["residence_id"].to_numpy()[picked], "minutes": minutes},
            geometry=result.polygons[:, j],
            crs=study.network.crs,
        )
        for j, minutes in enumerate(result.minutes)
    ]
    iso = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=study.network.crs)
    iso.to_crs("EPSG:4326").to_parquet(out / "isochrones.parquet")
    maps.rebuild_maps(out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium through selenium, every network route closed."""
    binaries = _binaries()
    if binaries is None:
        message = "Debian chromium and chromium-driver are not installed"
        if os.environ.get("YUSHU_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (YUSHU_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = binaries[0]
    profile = tempfile.mkdtemp(prefix="yc-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(binaries[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any, out_dir: Path) -> Iterator[Any]:
    """The map freshly opened and ready; fails when the console logged an error."""
    browser.get((out_dir / "map.html").as_uri())
    deadline = time.monotonic() + 30
    while not browser.execute_script("return window.yushuMapReady === true"):
        if time.monotonic() > deadline:
            pytest.fail(f"the map never became ready; console: {browser.get_log('browser')}")
        time.sleep(0.1)
    yield browser
    severe = [e for e in browser.get_log("browser") if e["level"] in {"SEVERE", "ERROR"}]
    assert severe == [], severe


def _js(page: Any, script: str, *args: Any) -> Any:
    return page.execute_script(script, *args)


def test_map_opens_offline_with_layers_legend_and_summary(
    page: Any, out_dir: Path, tmp_path: Path
) -> None:
    assert _js(page, "return typeof window.L") == "object"
    assert _js(page, "return performance.getEntriesByType('resource').length") == 0
    names = _js(page, "return yushuMap.layers.control._layers.map(function (l) { return l.name; })")
    summary = pd.read_json(out_dir / "summary.json", typ="series")["categories"]
    keys = [row["category"] for row in summary]
    ground = gpd.read_parquet(out_dir / "basemap.parquet")["kind"].nunique()  # water, buildings
    # 2 bases (no Tianditu key), 3 layers, the basemap's ground layers, one per category
    assert len(names) == 2 + 3 + ground + len(keys)
    legend = _js(page, "return document.getElementById('yc-legend').textContent")
    assert "图例 Legend" in legend
    rows = _js(page, "return document.querySelectorAll('#yc-summary tr.yc-row').length")
    assert rows == len(keys)
    banner = _js(page, "return document.getElementById('yc-banner').textContent")
    assert banner == "合成示例数据 Synthetic demo data — not survey data"
    shot = tmp_path / "map.png"
    page.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_drawn_features_match_the_output_files(page: Any, out_dir: Path) -> None:
    residences = gpd.read_parquet(out_dir / "residences.parquet")
    facilities = gpd.read_parquet(out_dir / "facilities.parquet")
    edges = gpd.read_parquet(out_dir / "network.parquet")
    assert _js(page, "return yushuMap.layers.residences.getLayers().length") == len(residences)
    assert _js(page, "return yushuMap.layers.streets.getLayers().length") == len(edges)
    drawn = _js(
        page,
        "var out = {}; var f = yushuMap.layers.facilities;"
        "Object.keys(f).forEach(function (k) { out[k] = f[k].getLayers().length; }); return out;",
    )
    expected = facilities["category"].value_counts().to_dict()
    assert {k: v for k, v in drawn.items() if v} == expected


def test_two_clicks_show_residences_without_a_clinic_within_15_minutes(
    page: Any, out_dir: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(page.find_element(By.ID, "yc-category")).select_by_value("clinic")
    page.find_element(By.ID, "yc-only-missing").click()
    residences = gpd.read_parquet(out_dir / "residences.parquet")
    minutes = residences["walk_min_clinic"].to_numpy(float)
    missing = int((~(minutes <= 15)).sum())
    assert _js(page, "return yushuMap.layers.residences.getLayers().length") == missing
    status = _js(page, "return document.getElementById('yc-status').textContent")
    assert status.startswith(f"{missing} 个居住点") and "Clinic within 15 min" in status
    page.save_screenshot(str(tmp_path / "no_clinic_15min.png"))


def test_hostile_names_show_as_text_and_run_nothing(page: Any) -> None:
    texts = _js(
        page,
        "var out = [];"
        "yushuMap.layers.facilities.clinic.eachLayer(function (m) {"
        "  m.openPopup(); var box = m.getPopup().getElement();"
        "  out.push(box.querySelector('.yc-name').textContent);"
        "  out.push(box.querySelectorAll('img').length);"
        "}); return out;",
    )
    assert HOSTILE_IMG in texts and HOSTILE_SCRIPT in texts
    assert all(n == 0 for n in texts[1::2])
    labels = _js(page, "return document.querySelector('.leaflet-control-layers').textContent")
    assert HOSTILE_CATEGORY in labels
    assert _js(page, "return document.querySelectorAll('.leaflet-control-layers b').length") == 0
    legend = _js(page, "return document.getElementById('yc-legend').textContent")
    assert HOSTILE_CATEGORY in legend
    assert _js(page, "return typeof window.__yc_pwned") == "undefined"


def test_clicking_a_residence_draws_its_isochrones(
    page: Any, out_dir: Path, tmp_path: Path
) -> None:
    iso = gpd.read_parquet(out_dir / "isochrones.parquet")
    residences = gpd.read_parquet(out_dir / "residences.parquet")
    first = residences["residence_id"].iloc[0]
    expected = int(((iso["residence_id"] == first) & ~iso.geometry.is_empty).sum())
    assert expected > 0
    _js(page, "yushuMap.openResidence(0)")
    assert _js(page, "return yushuMap.layers.isochrones.getLayers().length") == expected
    popup = _js(page, "return yushuMap.residenceMarkers[0].getPopup().getElement().textContent")
    assert str(first) in popup and "5/10/15" in popup
    page.save_screenshot(str(tmp_path / "isochrones.png"))
    _js(page, f"yushuMap.openResidence({len(residences) - 1})")  # beyond the embedded few
    assert _js(page, "return yushuMap.layers.isochrones.getLayers().length") == 0


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``write_plan`` on the demo with a what-if clinic whose name is hostile."""
    from yushu_circle.planning import write_plan

    folder = tmp_path_factory.mktemp("plan_map")
    study = Study.demo()
    x0, y0, x1, y1 = study.network.edges_frame().total_bounds
    added = folder / "added.csv"
    pd.DataFrame(
        {
            "name": [HOSTILE_IMG],
            "category": ["clinic"],
            "lon": [(x0 + x1) / 2],
            "lat": [(y0 + y1) / 2],
        }
    ).to_csv(added, index=False)
    write_plan(study, folder / "out", added=added)
    return folder / "out"


def test_plan_map_draws_its_overlays_offline(browser: Any, plan_dir: Path, tmp_path: Path) -> None:
    browser.get((plan_dir / "plan_map.html").as_uri())
    deadline = time.monotonic() + 30
    while not browser.execute_script("return window.yushuMapReady === true"):
        if time.monotonic() > deadline:
            pytest.fail(f"the plan map never became ready; console: {browser.get_log('browser')}")
        time.sleep(0.1)
    assert _js(browser, "return performance.getEntriesByType('resource').length") == 0
    areas = gpd.read_parquet(plan_dir / "compliance_areas.parquet")
    clusters = gpd.read_parquet(plan_dir / "gaps.parquet")
    whatif = gpd.read_parquet(plan_dir / "whatif.parquet")
    before = whatif["walk_min_clinic_before"].to_numpy(float)
    after = whatif["walk_min_clinic_after"].to_numpy(float)
    changed = int((~((before == after) | (np.isnan(before) & np.isnan(after)))).sum())
    assert changed > 0
    drawn = _js(
        browser,
        "return yushuMap.layers.overlays.map(function (g, k) {"
        "  return [yushuMap.data.overlays[k].en, g.getLayers().length, yushuMap.map.hasLayer(g)];"
        "});",
    )
    counts = {name: count for name, count, _ in drawn}
    hidden = [name for name, _, shown in drawn if not shown]
    assert hidden == ["Gap clusters (unserved population)"]  # overlapping clusters start off
    _js(browser, "yushuMap.map.addLayer(yushuMap.layers.overlays[3])")  # as the control does
    assert counts["Compliance rate by area"] == len(areas)
    assert counts["Gap clusters (unserved population)"] == len(clusters)
    assert counts["What-if: walk minutes saved · clinic"] == changed
    assert counts["Buildings"] > 0 and counts["Water"] > 0
    legend = _js(browser, "return document.getElementById('yc-legend').textContent")
    assert "Compliance rate by area" in legend and "> 80%" in legend
    assert "Gap clusters (unserved population)" in legend
    # The popup of an area names it and its rate, as text.
    popup = _js(
        browser,
        "var g = yushuMap.layers.overlays[2], first = g.getLayers()[0];"
        "first.openPopup(); return first.getPopup().getElement().textContent;",
    )
    assert str(areas["area"].iloc[0]) in popup and "达标率" in popup
    # Turning a layer off in the layer control removes it and its legend entry.
    _js(browser, "yushuMap.map.removeLayer(yushuMap.layers.overlays[2])")
    legend = _js(browser, "return document.getElementById('yc-legend').textContent")
    assert "Compliance rate by area" not in legend
    browser.save_screenshot(str(tmp_path / "plan_map.png"))
    assert _js(browser, "return typeof window.__yc_pwned") == "undefined"
    severe = [e for e in browser.get_log("browser") if e["level"] in {"SEVERE", "ERROR"}]
    assert severe == [], severe
