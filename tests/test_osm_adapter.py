"""The osm/ package: one version-checked osmnx adapter; nothing imports upward."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from yushu_circle.osm import _osmnx

PACKAGE = Path(__file__).resolve().parents[1] / "yushu_circle"


def test_no_private_osmnx_access_outside_the_adapter() -> None:
    private = re.compile(r"\box\.[A-Za-z_]*\._")
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "_osmnx.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []
    assert private.search((PACKAGE / "osm" / "_osmnx.py").read_text(encoding="utf-8"))


def test_osm_package_imports_nothing_above_it() -> None:
    # The bottom layer only (tests/test_architecture.py's LAYERS[0]): _config gives the
    # user cache folder osmnx's answers go to.
    allowed = {
        "yushu_circle.osm",
        "yushu_circle.errors",
        "yushu_circle._resources",
        "yushu_circle._config",
    }
    for path in (PACKAGE / "osm").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("yushu_")
            ):
                assert any(node.module == a or node.module.startswith(a + ".") for a in allowed), (
                    path.name,
                    node.module,
                )


@pytest.mark.parametrize("version", ["2.0.0", "2.1.1", "2.1.99"])
def test_supported_osmnx_versions_pass(version: str) -> None:
    _osmnx.check_version(version)


@pytest.mark.parametrize("version", ["1.9.4", "2.2.0", "3.0", "dev"])
def test_unsupported_osmnx_version_is_one_clear_line(version: str) -> None:
    with pytest.raises(ImportError) as info:
        _osmnx.check_version(version)
    message = str(info.value)
    assert f"found osmnx {version}" in message
    assert "pip install 'osmnx>=2.0,<2.2'" in message
    assert "\n" not in message


def test_pyproject_bounds_match_the_adapter() -> None:
    text = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"osmnx>=2.0,<2.2"' in text


def test_adapter_parses_xml_and_builds_overpass_settings(tmp_path: Path) -> None:
    path = tmp_path / "one.osm"
    path.write_text(
        '<osm version="0.6"><node id="1" lat="33.0" lon="97.0"><tag k="amenity" v="clinic"/>'
        '</node><way id="2"><nd ref="1"/><nd ref="3"/><tag k="highway" v="footway"/></way>'
        '<relation id="4"><member type="way" ref="2" role="outer"/>'
        '<tag k="type" v="multipolygon"/></relation></osm>',
        encoding="utf-8",
    )
    elements = _osmnx.overpass_json_from_xml(path)["elements"]
    kinds = {(e["type"], e["id"]) for e in elements}
    assert kinds == {("node", 1), ("way", 2), ("relation", 4)}
    way = next(e for e in elements if e["type"] == "way")
    assert way["nodes"] == [1, 3]
    settings = _osmnx.overpass_settings()
    assert settings.startswith("[out:json]") and "timeout" in settings


def test_adapter_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "cache_folder", str(tmp_path))
    key = "http://127.0.0.1:9/api/interpreter?data=test"
    assert _osmnx.cached_answer(key) is None
    _osmnx.save_answer(key, {"elements": [{"type": "node", "id": 1, "lat": 0.0, "lon": 0.0}]})
    assert _osmnx.cached_answer(key) == {
        "elements": [{"type": "node", "id": 1, "lat": 0.0, "lon": 0.0}]
    }
    assert issubclass(_osmnx.GeocoderHTTPError, Exception)
    assert issubclass(_osmnx.InsufficientResponse, Exception)
