"""Yushu's 12 townships: the shipped areas file, and `batch` on it offline (synthetic answers)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlparse

import geopandas as gpd
import pandas as pd
import pytest
from conftest import CONTRACT, DATA, CliResult

from yushu_circle.batch import COMBINED_FILE, DONE_MARKER, STATUS_FILE, read_areas

ROOT = Path(__file__).resolve().parents[1]
AREAS = ROOT / "data" / "areas" / "yushu_townships.csv"
NAMES_ZH = [
    "结古街道", "扎西科街道", "西杭街道", "新寨街道", "隆宝镇", "下拉秀镇",
    "仲达乡", "巴塘乡", "小苏莽乡", "上拉秀乡", "安冲乡", "哈秀乡",
]  # fmt: skip
# An Overpass QL bbox filter: (south,west,north,east).
_BBOX = re.compile(r"\((-?\d+\.\d+),(-?\d+\.\d+),(-?\d+\.\d+),(-?\d+\.\d+)\)")


def _rows() -> pd.DataFrame:
    text = AREAS.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return pd.read_csv(StringIO(body), dtype=str, keep_default_na=False)


def test_the_areas_file_lists_the_12_divisions_with_sources() -> None:
    rows = _rows()
    assert list(rows["name_zh"]) == NAMES_ZH
    assert rows["area_id"].is_unique and rows["name_en"].str.len().gt(0).all()
    assert (rows["kind"].str[0] == rows["name_zh"].str[-1].replace({"道": "街"})).all()
    assert set(rows["verified"]) <= {"yes", "name only"}
    assert (rows["bbox"] == "").all()  # no source gave an extent: none is guessed
    for _, row in rows.iterrows():
        assert row["place"] == f"{row['name_zh']}, 玉树市, 青海省, 中国"
    header = [line for line in AREAS.read_text(encoding="utf-8").splitlines() if line[:1] == "#"]
    urls = [line for line in header if "https://" in line or "http://" in line]
    assert len(urls) >= 3
    assert any("yushu-circle batch data/areas/yushu_townships.csv" in line for line in header)
    # The reader used by `batch` skips the header notes and finds one place per area.
    areas = read_areas(AREAS)
    assert [a.area_id for a in areas] == list(rows["area_id"])
    assert all(a.source.kind == "place" and a.source.name for a in areas)
    assert all(a.source.box is None and a.source.path is None for a in areas)


def test_a_hash_inside_a_value_is_still_data(tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_text("# notes\narea_id,place\nx,a #1 street\n", encoding="utf-8")
    assert read_areas(path)[0].source.name == "a #1 street"


class _Recorded:
    """The recorded synthetic answers, routed by place name (Nominatim) or bbox (Overpass)."""

    def __init__(self) -> None:
        recorded = json.loads((DATA / "townships_recorded.json").read_text(encoding="utf-8"))
        self.by_place = {k: v for k, v in recorded.items() if isinstance(v, dict)}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def nominatim(self, query: dict[str, list[str]]) -> Any:
        answer = self.by_place.get(query.get("q", [""])[0])
        return [] if answer is None else answer["nominatim"]

    def overpass(self, body: str) -> Any:
        match = _BBOX.search(unquote_plus(body))
        assert match is not None, body[:200]
        south, west, north, east = (float(v) for v in match.groups())
        for answer in self.by_place.values():
            lon, lat = answer["center"]
            if west <= lon <= east and south <= lat <= north:
                return answer["overpass"]
        return {"elements": []}


@pytest.fixture
def township_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Recorded]:
    """A local Overpass + Nominatim answering each township with its synthetic town."""
    import osmnx as ox

    recorded = _Recorded()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, kind: str, payload: Any) -> None:
            with recorded.lock:
                recorded.requests.append((kind, self.path))
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            if parsed.path.startswith("/nominatim"):
                self._send("nominatim", recorded.nominatim(parse_qs(parsed.query)))
            else:
                self._send("overpass", recorded.overpass(parsed.query))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._send("overpass", recorded.overpass(body.decode("utf-8")))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    monkeypatch.setattr(ox.settings, "overpass_url", f"http://127.0.0.1:{port}/api")
    monkeypatch.setattr(ox.settings, "nominatim_url", f"http://127.0.0.1:{port}/nominatim/")
    monkeypatch.setattr(ox.settings, "cache_folder", str(tmp_path / "cache"))
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "requests_timeout", 5)
    monkeypatch.setenv("YUSHU_CIRCLE_OVERPASS_BACKOFF_S", "0.01")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        yield recorded
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.slow
def test_batch_on_the_12_townships_offline(
    cli: Callable[..., CliResult], township_server: _Recorded, tmp_path: Path
) -> None:
    out = tmp_path / "townships"
    result = cli("--quiet", "batch", AREAS, "--out", out, "--workers", "2")
    assert result.code == 0, result.err + result.out
    ids = list(_rows()["area_id"])
    status = pd.read_csv(out / STATUS_FILE, encoding="utf-8-sig")
    assert list(status["area_id"]) == ids and (status["status"] == "ok").all()
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(ids)
    for area_id in ids:
        assert CONTRACT | {DONE_MARKER} <= {p.name for p in (out / area_id).iterdir()}
    combined = pd.read_csv(out / COMBINED_FILE, encoding="utf-8-sig")
    assert list(dict.fromkeys(combined["area_id"])) == ids
    assert combined.groupby("area_id")["category"].nunique().nunique() == 1
    # Every area asked the geocoder for its own place and got its own town.
    asked = {unquote_plus(parse_qs(urlparse(p).query)["q"][0]) for k, p in township_server.requests
             if k == "nominatim"}  # fmt: skip
    assert asked == set(_rows()["place"])
    assert sum(k == "overpass" for k, _ in township_server.requests) == 12
    # ... and each area's results come from its own synthetic town, not a neighbour's.
    centers = {v["area_id"]: v["center"] for v in township_server.by_place.values()}
    for area_id in ids:
        residences = gpd.read_parquet(out / area_id / "residences.parquet")
        assert len(residences) > 0
        lon, lat = centers[area_id]
        assert abs(residences.geometry.x.mean() - lon) < 0.005, area_id
        assert abs(residences.geometry.y.mean() - lat) < 0.005, area_id


def test_the_areas_file_ships_in_the_wheel() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "areas/*" in config["tool"]["setuptools"]["package-data"]["yushu_circle.data"]
