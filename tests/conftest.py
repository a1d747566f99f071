"""Shared test fixtures: a tiny synthetic town, a local fake OSM server, CLI helpers."""

from __future__ import annotations

import json
import math
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlparse
from xml.sax.saxutils import quoteattr

import pytest

DATA = Path(__file__).parent / "data"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
JIEGU = (97.01, 33.00)  # lon, lat of Jiegu (结古), Yushu
HOSTILE_NAME = "<img src=x onerror=alert(1)>幼儿园"
DEMO_TOWN = "示例镇 Demo Town"
# The core output contract every successful run writes (DESIGN.md).
CONTRACT = {"map.html", "residences.parquet", "facilities.parquet", "summary.csv", "summary.json"}

# --- a tiny synthetic town (示例数据: made up, not survey data) -----------------------------


def _offset(center: tuple[float, float], dx_m: float, dy_m: float) -> tuple[float, float]:
    lon, lat = center
    return (
        lon + dx_m / (111_320.0 * math.cos(math.radians(lat))),
        lat + dy_m / 111_320.0,
    )


@dataclass
class _Osm:
    nodes: list[tuple[int, float, float, dict[str, str]]] = field(default_factory=list)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    next_id: int = 1

    def node(self, lonlat: tuple[float, float], tags: dict[str, str] | None = None) -> int:
        self.next_id += 1
        self.nodes.append((self.next_id, lonlat[0], lonlat[1], tags or {}))
        return self.next_id

    def way(self, refs: list[int], tags: dict[str, str]) -> int:
        self.next_id += 1
        self.ways.append((self.next_id, refs, tags))
        return self.next_id

    def xml(self) -> str:
        lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
        for nid, lon, lat, tags in self.nodes:
            if tags:
                lines.append(f'  <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">')
                lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
                lines.append("  </node>")
            else:
                lines.append(f'  <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
        for wid, refs, tags in self.ways:
            lines.append(f'  <way id="{wid}">')
            lines += [f'    <nd ref="{r}"/>' for r in refs]
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("  </way>")
        lines.append("</osm>")
        return "\n".join(lines) + "\n"


def _grid(
    osm: _Osm,
    center: tuple[float, float],
    n: int,
    spacing: float,
    highway: str,
    shift_m: float = 0.0,
) -> None:
    half = (n - 1) * spacing / 2
    ids = [
        [
            osm.node(_offset(center, shift_m + i * spacing - half, j * spacing - half))
            for j in range(n)
        ]
        for i in range(n)
    ]
    for k in range(n):
        osm.way([ids[i][k] for i in range(n)], {"highway": highway, "name": f"示例东西路 {k}"})
        osm.way([ids[k][j] for j in range(n)], {"highway": highway, "name": f"示例南北路 {k}"})


def town_xml(
    center: tuple[float, float] = JIEGU,
    n: int = 6,
    spacing: float = 100.0,
    streets: bool = True,
    residences: bool = True,
    facilities: bool = True,
    island: bool = False,
) -> str:
    """OSM XML of a synthetic grid town: ``n × n`` street nodes ``spacing`` metres apart.

    Parameters
    ----------
    center : (lon, lat)
        Where the town sits (default Jiegu).
    streets : bool
        Tag the grid ``highway=residential`` (False: ``highway=motorway``, not walkable).
    residences : bool
        Add one ``building=apartments`` per block (False: no buildings; streets become
        ``highway=unclassified`` so no residential street can stand in).
    facilities : bool
        Add a kindergarten (with a hostile name), a clinic, a supermarket and a school.
    island : bool
        Put every facility on a separate 3 × 3 street grid 3 km east, unconnected.
    """
    osm = _Osm()
    highway = ("residential" if residences else "unclassified") if streets else "motorway"
    _grid(osm, center, n, spacing, highway)
    half = (n - 1) * spacing / 2
    if residences:
        for i in range(n - 1):
            for j in range(n - 1):
                cx, cy = i * spacing - half + spacing / 2, j * spacing - half + spacing / 2
                corners = [(-15, -15), (15, -15), (15, 15), (-15, 15)]
                refs = [osm.node(_offset(center, cx + dx, cy + dy)) for dx, dy in corners]
                osm.way(
                    [*refs, refs[0]],
                    {"building": "apartments", "building:levels": "3", "name": f"示例楼 {i}-{j}"},
                )
    if facilities:
        pois = [
            ({"amenity": "kindergarten", "name": HOSTILE_NAME}, (-half + 20, -half + 5)),
            ({"amenity": "clinic", "name": "示例诊所 Clinic"}, (half - 5, half - 30)),
            ({"shop": "supermarket", "name": "示例超市 Shop"}, (5, 40)),
            ({"amenity": "school", "name": "示例小学 School"}, (-40, half - 4)),
        ]
        shift = 3000.0 if island else 0.0
        if island:
            _grid(osm, center, 3, spacing, "residential", shift_m=shift)
            pois = [(tags, (shift + (k - 1.5) * 40, 6.0)) for k, (tags, _) in enumerate(pois)]
        for tags, (dx, dy) in pois:
            osm.node(_offset(center, dx, dy), tags)
    return osm.xml()


def write_town(path: Path, **options: Any) -> Path:
    """Write :func:`town_xml` to ``path`` (``.osm``) and return the path."""
    path.write_text(town_xml(**options), encoding="utf-8")
    return path


def nominatim_result(center: tuple[float, float] = JIEGU, half_m: float = 400.0) -> list[Any]:
    """A Nominatim ``search`` answer for the synthetic demo town: a square around it."""
    (w, s), (e, n) = _offset(center, -half_m, -half_m), _offset(center, half_m, half_m)
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return [
        {
            "place_id": 1,
            "licence": "synthetic test data 示例数据",
            "osm_type": "relation",
            "osm_id": 1,
            "boundingbox": [f"{s:.7f}", f"{n:.7f}", f"{w:.7f}", f"{e:.7f}"],
            "lat": f"{center[1]:.7f}",
            "lon": f"{center[0]:.7f}",
            "display_name": f"{DEMO_TOWN} (synthetic 示例数据)",
            "class": "boundary",
            "type": "administrative",
            "importance": 0.5,
            "geojson": {"type": "Polygon", "coordinates": [ring]},
        }
    ]


def street_side_points(center: tuple[float, float] = JIEGU) -> list[tuple[float, float]]:
    """Six points 8 m north of the town's southern street (which runs 250 m south of the
    centre)."""
    return [_offset(center, dx, -250.0 + 8.0) for dx in (-200, -120, -40, 40, 120, 200)]


def street_side_points_csv(facilities: bool = False) -> str:
    """CSV text of the :func:`street_side_points` (residences, or facilities)."""
    lines = ["id,name,category,lon,lat,population"]
    for i, (lon, lat) in enumerate(street_side_points()):
        category = ("clinic", "幼儿园", "New Kind")[i % 3] if facilities else ""
        lines.append(f"h{i},示例 {i},{category},{lon:.7f},{lat:.7f},{10 * (i + 1)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def town_osm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default synthetic town as an ``.osm`` file (shared, do not modify)."""
    return write_town(tmp_path_factory.mktemp("town") / "town.osm")


# --- running the command line -----------------------------------------------------------


@dataclass
class CliResult:
    """Exit status and captured output of one ``yushu-circle`` call."""

    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        """The stderr lines that report an error."""
        return [line for line in self.err.splitlines() if "error" in line.lower()]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``yushu_circle.cli.main`` in-process and capture its output."""
    from yushu_circle.cli import main

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) → its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="session")
def _good_outputs(tmp_path_factory: pytest.TempPathFactory, town_osm: Path) -> Path:
    from yushu_circle.cli import main

    out = tmp_path_factory.mktemp("good") / "out"
    code = main(["--quiet", "run", "--osm-file", str(town_osm), "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture
def good_out(tmp_path: Path, _good_outputs: Path) -> Path:
    """A fresh copy of a good run's output folder on the synthetic town."""
    out = tmp_path / "out"
    shutil.copytree(_good_outputs, out)
    return out


# --- a local fake Overpass + Nominatim server -------------------------------------------


@dataclass
class Reply:
    """One scripted answer: HTTP status, body, and a delay before answering."""

    status: int = 200
    body: bytes | str | Any = b""
    delay_s: float = 0.0


@dataclass
class FakeOSMServer:
    """Serves recorded Overpass and Nominatim answers on 127.0.0.1.

    ``overpass_replies`` is a queue of scripted answers; when it is empty the recorded
    Overpass JSON of the synthetic town is served. Nominatim answers the demo town's
    name and nothing else (an empty list), like the real one does for unknown places.
    """

    port: int
    overpass_body: bytes
    nominatim_body: bytes
    overpass_replies: list[Reply] = field(default_factory=list)
    nominatim_replies: list[Reply] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def overpass_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def nominatim_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/nominatim/"

    def count(self, kind: str) -> int:
        """Number of requests received for ``overpass`` or ``nominatim``."""
        return sum(1 for k, _ in self.requests if k == kind)

    def answer(self, kind: str, query: dict[str, list[str]]) -> Reply:
        queue = self.overpass_replies if kind == "overpass" else self.nominatim_replies
        if queue:
            return queue.pop(0)
        if kind == "overpass":
            return Reply(200, self.overpass_body)
        if query.get("q", [""])[0] == DEMO_TOWN:
            return Reply(200, self.nominatim_body)
        return Reply(200, b"[]")


def _handler(server: FakeOSMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, kind: str, query: dict[str, list[str]]) -> None:
            server.requests.append((kind, self.path))
            reply = server.answer(kind, query)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            body = reply.body
            if not isinstance(body, bytes | str):
                body = json.dumps(body, ensure_ascii=False)
            data = body.encode("utf-8") if isinstance(body, str) else body
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            kind = "nominatim" if parsed.path.startswith("/nominatim") else "overpass"
            self._serve(kind, parse_qs(parsed.query))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            self.rfile.read(length)
            self._serve("overpass", {})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def osm_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOSMServer]:
    """A local Overpass + Nominatim server; osmnx's URLs and cache point at it and tmp_path.

    Retries back off for 0.01 s (``YUSHU_CIRCLE_OVERPASS_BACKOFF_S``) so failure cases are
    fast; osmnx's cache folder is ``tmp_path / "cache"``.
    """
    import osmnx as ox

    server = FakeOSMServer(
        port=0,
        overpass_body=(DATA / "overpass_demo_town.json").read_bytes(),
        nominatim_body=(DATA / "nominatim_demo_town.json").read_bytes(),
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    monkeypatch.setattr(ox.settings, "overpass_url", server.overpass_url)
    monkeypatch.setattr(ox.settings, "nominatim_url", server.nominatim_url)
    monkeypatch.setattr(ox.settings, "cache_folder", str(tmp_path / "cache"))
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "requests_timeout", 5)
    monkeypatch.setenv("YUSHU_CIRCLE_OVERPASS_BACKOFF_S", "0.01")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- recorded answers of areas studied settlement by settlement ----------------------------

# An Overpass QL bbox filter: (south,west,north,east).
_QL_BBOX = re.compile(r"\((-?\d+\.\d+),(-?\d+\.\d+),(-?\d+\.\d+),(-?\d+\.\d+)\)")


@dataclass
class RecordedOSM:
    """Recorded (synthetic) answers of county-sized areas, served like Overpass and Nominatim.

    ``areas`` maps a place query to its Nominatim answer and its settlement-search answer;
    ``towns`` are the synthetic towns an Overpass study query gets when their centre lies in
    its box. ``requests`` records every request: (kind, query text) with kind
    ``nominatim``, ``search`` (the settlement search) or ``overpass`` (a study query).
    """

    areas: dict[str, Any]
    towns: list[dict[str, Any]]
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, name: str) -> RecordedOSM:
        document = json.loads((DATA / name).read_text(encoding="utf-8"))
        return cls(document["areas"], document["towns"])

    def boxes(self, kind: str) -> list[tuple[float, float, float, float]]:
        """(west, south, east, north) of the first box of every request of ``kind``."""
        found = []
        for k, text in self.requests:
            match = _QL_BBOX.search(text)
            if k == kind and match is not None:
                south, west, north, east = (float(v) for v in match.groups())
                found.append((west, south, east, north))
        return found

    def answer(self, kind: str, text: str) -> Any:
        if kind == "nominatim":
            query = parse_qs(urlparse(text).query).get("q", [""])[0]
            area = self.areas.get(query)
            return [] if area is None else area["nominatim"]
        match = _QL_BBOX.search(text)
        assert match is not None, text[:200]
        south, west, north, east = (float(v) for v in match.groups())
        if kind == "search":
            for area in self.areas.values():
                ring = area["nominatim"][0]["geojson"]["coordinates"][0]
                lons, lats = [p[0] for p in ring], [p[1] for p in ring]
                if (
                    west <= (min(lons) + max(lons)) / 2 <= east
                    and south <= (min(lats) + max(lats)) / 2 <= north
                ):
                    return area["search"]
            return {"elements": []}
        elements = []
        for town in self.towns:
            lon, lat = town["center"]
            if west <= lon <= east and south <= lat <= north:
                elements += town["overpass"]["elements"]
        return {"generator": "recorded synthetic answers (示例数据)", "elements": elements}


@pytest.fixture
def recorded_osm(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RecordedOSM]:
    """A local Overpass + Nominatim serving the recorded file named by the test's
    ``recorded`` mark (``@pytest.mark.recorded("county_recorded.json")``)."""
    import osmnx as ox

    marker = request.node.get_closest_marker("recorded")
    recorded = RecordedOSM.load(marker.args[0] if marker else "county_recorded.json")

    class Handler(BaseHTTPRequestHandler):
        def _send(self, kind: str, text: str) -> None:
            with recorded.lock:
                recorded.requests.append((kind, text))
            data = json.dumps(recorded.answer(kind, text), ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if urlparse(self.path).path.startswith("/nominatim"):
                self._send("nominatim", self.path)
            else:
                self._post(unquote_plus(urlparse(self.path).query))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._post(unquote_plus(body.decode("utf-8")))

        def _post(self, text: str) -> None:
            self._send("search" if '["place"~' in text else "overpass", text)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
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


# --- fixtures a test module shares among its own tests (one of each per module) ----------


@pytest.fixture(scope="module")
def study() -> Any:
    """The demo study with its walk minutes computed."""
    from yushu_circle import Study

    demo = Study.demo()
    demo.access()
    return demo


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the module's browser saves downloads to."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(downloads: Path) -> Iterator[Any]:
    """Headless Chromium, offline (:func:`browser.chromium`), downloading to ``downloads``."""
    from browser import chromium

    with chromium(downloads) as browser:
        yield browser
