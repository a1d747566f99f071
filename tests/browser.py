"""A real browser for the map's tests: headless Debian Chromium through Selenium, offline.

The driver is ``/usr/bin/chromedriver`` (never looked up); every network route is closed
(a proxy that refuses, no DNS). Clicks are real mouse events (Selenium ActionChains at a
viewport pixel), never calls of the page's functions. The browser tests import from here;
``chromium()`` skips (or, with ``YUSHU_REQUIRE_BROWSER=1``, fails) without Chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SIZES = {
    "1280x757": (1280, 757, False),  # a 1280×900 laptop window's viewport
    "1366x768": (1366, 768, False),
    "1920x1080": (1920, 1080, False),
    "390x844": (390, 844, True),  # a phone
}
"""Viewport sizes the planner's walk is tested at: width, height, mobile."""


@contextlib.contextmanager
def chromium(downloads: Path | None = None) -> Iterator[Any]:
    """Headless Chromium, offline, console and requests logged; ``downloads`` receives files."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = f"Debian chromium and chromium-driver are not installed ({CHROMEDRIVER})"
        if os.environ.get("YUSHU_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (YUSHU_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
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
        "--window-size=1920,1200",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        if downloads is not None:
            driver.execute_cdp_cmd(
                "Browser.setDownloadBehavior",
                {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True},
            )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_map(driver: Any, path: Path, size: str | tuple[int, int, bool]) -> Any:
    """Load a map page at one of :data:`SIZES` (or a width, height, mobile of its own) and
    wait until it is ready (logs cleared)."""
    width, height, mobile = SIZES[size] if isinstance(size, str) else size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.as_uri())
    wait_ready(driver)
    assert js(driver, "return [window.innerWidth, window.innerHeight]") == [width, height]
    return driver


def wait_ready(driver: Any, seconds: float = 60) -> None:
    """Wait until the page in the current frame published ``window.yushuMap``."""
    deadline = time.monotonic() + seconds
    while not driver.execute_script("return window.yushuMapReady === true"):
        if time.monotonic() > deadline:
            pytest.fail(f"the map never became ready; console: {driver.get_log('browser')}")
        time.sleep(0.1)
    settle(driver)


def js(driver: Any, script: str, *args: Any) -> Any:
    return driver.execute_script(script, *args)


def settle(driver: Any) -> None:
    """Let the canvas redraw (it learns where its points are on the next frames)."""
    driver.execute_async_script(
        "var done = arguments[0];"
        "requestAnimationFrame(function () { requestAnimationFrame(function () { done(); }); });"
    )
    time.sleep(0.05)


def click_at(driver: Any, x: float, y: float) -> None:
    """A real left click at viewport pixel (x, y) of the current frame: move, press, release."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    actions = ActionChains(driver)
    builder = ActionBuilder(driver, mouse=actions.w3c_actions.pointer_action.source)
    builder.pointer_action.move_to_location(round(x), round(y))
    builder.pointer_action.click()
    builder.perform()
    time.sleep(0.05)


def element_box(driver: Any, css: str) -> list[float]:
    """The centre and size of the element ``css``, scrolled into its panel's view first."""
    wait_for(driver, css)
    return list(
        js(
            driver,
            "var n = document.querySelector(arguments[0]); n.scrollIntoView({block: 'nearest'});"
            "var r = n.getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2, r.width, r.height];",
            css,
        )
    )


def click_element(driver: Any, css: str) -> None:
    """A real click at the centre of the (visible) element ``css``."""
    x, y, width, height = element_box(driver, css)
    assert width > 0 and height > 0, f"{css} is not visible"
    click_at(driver, x, y)


def wait_for(driver: Any, css: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not js(driver, "return !!document.querySelector(arguments[0])", css):
        assert time.monotonic() < deadline, f"{css} never appeared"
        time.sleep(0.05)


def wait_gone(driver: Any, css: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while js(driver, "return document.querySelectorAll(arguments[0]).length", css):
        assert time.monotonic() < deadline, f"{css} is still there"
        time.sleep(0.05)


def pixel(driver: Any, lat: float, lon: float) -> tuple[float, float]:
    """The viewport pixel where Leaflet draws a point."""
    x, y = js(
        driver,
        "var m = yushuMap.map, p = m.latLngToContainerPoint([arguments[0], arguments[1]]);"
        "var r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y];",
        lat,
        lon,
    )
    return float(x), float(y)


def center_on(driver: Any, lat: float, lon: float, zoom: float) -> None:
    """Test setup, not behaviour: centre the view on a point (as a planner pans there)."""
    js(
        driver,
        "yushuMap.map.setView([arguments[0], arguments[1]], arguments[2], {animate: false})",
        lat,
        lon,
        zoom,
    )
    settle(driver)


RECTS = (
    "return Array.prototype.map.call(document.querySelectorAll("
    "'.leaflet-control, .yc-banner, .leaflet-popup'), function (n) {"
    " var r = n.getBoundingClientRect();"
    " if (getComputedStyle(n).visibility === 'hidden') { return [n.id, 0, 0, 0, 0]; }"
    " return [n.id || n.className, r.left, r.top, r.right, r.bottom]; })"
    ".filter(function (r) { return r[3] > r[1] && r[4] > r[2]; })"
)
"""Every shown control's (and the open popup's) box: [name, left, top, right, bottom]."""


def overlaps(rects: list[list[Any]]) -> list[tuple[str, str]]:
    """Pairs of boxes that overlap."""
    found = []
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                found.append((str(a[0]), str(b[0])))
    return found


def console_errors(driver: Any) -> list[Any]:
    return [e for e in driver.get_log("browser") if e["level"] in {"SEVERE", "ERROR"}]


def clear_spot(driver: Any, lat: float, lon: float, radius: float = 10) -> bool:
    """True when a click at the point hits the map's canvas (no control, no popup over it) and
    no other residence or facility is within ``radius`` px of it."""
    x, y = pixel(driver, lat, lon)
    return bool(
        js(
            driver,
            "var x = arguments[0], y = arguments[1], m = yushuMap.map;"
            "var hit = document.elementFromPoint(x, y);"
            "if (!hit || hit.tagName !== 'CANVAS') { return false; }"
            "var me = m.latLngToContainerPoint([arguments[2], arguments[3]]);"
            "var pts = yushuMap.residences.concat(yushuMap.facilities);"
            "for (var i = 0; i < pts.length; i++) {"
            "  var p = m.latLngToContainerPoint([pts[i].lat, pts[i].lon]);"
            "  var d = Math.hypot(p.x - me.x, p.y - me.y);"
            "  if (d > 0.01 && d < arguments[4]) { return false; }"
            "} return true;",
            x,
            y,
            lat,
            lon,
            radius,
        )
    )


def free_pixel(driver: Any) -> tuple[float, float]:
    """A pixel near the map's centre where only the canvas is, 15 px from any point."""
    found = js(
        driver,
        "var m = yushuMap.map, r = m.getContainer().getBoundingClientRect();"
        "var pts = yushuMap.residences.concat(yushuMap.facilities).map(function (p) {"
        "  var q = m.latLngToContainerPoint([p.lat, p.lon]);"
        "  return [r.left + q.x, r.top + q.y]; });"
        "var cx = r.left + r.width / 2, cy = r.top + r.height / 2;"
        "for (var d = 0; d < 300; d += 6) { for (var a = 0; a < 16; a++) {"
        "  var x = cx + d * Math.cos(a * Math.PI / 8), y = cy + d * Math.sin(a * Math.PI / 8);"
        "  var hit = document.elementFromPoint(x, y);"
        "  if (!hit || hit.tagName !== 'CANVAS') { continue; }"
        "  if (pts.every(function (p) { return Math.hypot(p[0] - x, p[1] - y) > 15; })) {"
        "    return [x, y]; } } } return null;",
    )
    assert found, "no free spot on the map"
    return float(found[0]), float(found[1])


def open_panel(driver: Any, panel: str) -> None:
    """Unfold a panel (a real click on its header) unless it is open."""
    expanded = js(
        driver,
        "return document.getElementById(arguments[0]).getAttribute('aria-expanded')",
        f"{panel}-toggle",
    )
    if expanded != "true":
        click_element(driver, f"#{panel}-toggle")


def close_popup(driver: Any) -> None:
    click_element(driver, ".leaflet-popup-close-button")
    wait_gone(driver, ".leaflet-popup")


def fold_panel(driver: Any, panel: str) -> None:
    """Fold a panel (a real click on its header) if it is open."""
    expanded = js(
        driver,
        "return document.getElementById(arguments[0]).getAttribute('aria-expanded')",
        f"{panel}-toggle",
    )
    if expanded == "true":
        click_element(driver, f"#{panel}-toggle")
