"""The engine's payload in format 2 (results/engine.py, results/packing.py): every array back
exactly, in Python and in node's decoder (render/js/payload.mjs), a format-1 file rewritten
by the map command, and a city past the drawing caps drawn from it (render/city_layers.py).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from yushu_circle import Study, write_study
from yushu_circle.errors import DataError
from yushu_circle.results.engine import (
    FORMAT,
    OLD_FORMAT,
    pack_payload,
    payload_format,
    payload_json,
    read_payload,
    upgraded,
)
from yushu_circle.results.packing import Packer, unpack

REPO = Path(__file__).resolve().parents[1]
GROUPS = ("nodes", "edges", "residences", "facilities")


@pytest.fixture(scope="module")
def engine(study: Study) -> str:
    text = study.results().engine
    assert text is not None
    return text


def _old_text(arrays: dict[str, Any]) -> str:
    """The same arrays in format 1, as the previous version wrote ``map_network.json``:
    each array in base64 of its own (int32 and float32, little-endian)."""
    doc = {k: v for k, v in arrays.items() if k not in GROUPS}
    doc["format"] = OLD_FORMAT
    for group in GROUPS:
        part = {}
        for key, value in arrays[group].items():
            if isinstance(value, np.ndarray):
                dtype = "<f4" if value.dtype.kind == "f" else "<i4"
                raw = np.ascontiguousarray(value, dtype=dtype)
                part[key] = {
                    "dtype": "float32" if dtype == "<f4" else "int32",
                    "count": int(raw.size),
                    "b64": base64.b64encode(raw.tobytes()).decode(),
                }
            else:
                part[key] = value
        doc[group] = part
    return payload_json(doc)


def test_every_array_comes_back_exactly_as_the_study_has_it(study: Study, engine: str) -> None:
    payload = read_payload(engine)
    network = study.network
    edges = payload["edges"]
    assert payload["format"] == FORMAT == payload_format(engine)
    assert np.array_equal(edges["u"], network.edge_u) and np.array_equal(edges["v"], network.edge_v)
    assert np.array_equal(edges["time_uv"], network.time_uv.astype(np.float32))
    assert np.array_equal(edges["time_vu"], network.time_vu.astype(np.float32))
    snap = study.residence_snap
    res = payload["residences"]
    assert res["id"] == [str(i) for i in study.residences["residence_id"]]
    assert np.array_equal(res["edge"], np.where(snap.on_network, snap.edge, -1))
    assert np.array_equal(res["frac"], snap.frac.astype(np.float32))
    lon = np.round(study.residences.geometry.x.to_numpy() * 1e7).astype(np.int32)
    assert np.array_equal(res["lon"], lon)
    assert payload["facilities"]["id"] == json.loads(engine)["facilities"]["id"]


def test_each_code_round_trips_at_the_edges_of_its_type() -> None:
    rng = np.random.default_rng(3)
    extremes = np.array([0, -1, 1, 2**31 - 1, -(2**31), 5, -7], dtype=np.int32)
    packer = Packer()
    packer.add("a.delta", extremes, "int32", "delta")
    packer.add("a.minus", extremes[::-1].copy(), "int32", "minus:a.delta")
    floats = rng.normal(size=7).astype(np.float32)
    floats[2] = np.inf
    packer.add("a.time", floats, "float32")
    packer.add("a.xor", floats * 2, "float32", "xor:a.time")
    packer.add("a.ids", np.array([0, 7, 2**53 - 1, 12], dtype=float), "float64", "delta")
    packer.add("a.none", np.zeros(0, np.int32), "int32", "delta")
    packer.add("a.bytes", np.arange(256, dtype=np.uint8), "uint8")
    back = unpack(json.loads(json.dumps(packer.packed())))
    assert np.array_equal(back["a.delta"], extremes) and back["a.delta"].dtype == np.int32
    assert np.array_equal(back["a.minus"], extremes[::-1])
    assert np.array_equal(back["a.time"], floats) and np.array_equal(back["a.xor"], floats * 2)
    assert back["a.ids"].tolist() == [0, 7, 2**53 - 1, 12]
    assert back["a.none"].size == 0 and back["a.bytes"].tolist() == list(range(256))


def test_ids_without_a_number_at_the_end_travel_as_text(engine: str) -> None:
    arrays = read_payload(engine)
    for ids in (["a01", "b", "东-3"], ["x-1", "x-007"], ["1234567890123456"]):
        arrays["residences"]["id"] = ids + arrays["residences"]["id"][len(ids) :]
        text = payload_json(pack_payload(arrays))
        assert "id_json" in text
        assert read_payload(text)["residences"]["id"] == arrays["residences"]["id"]
    arrays["residences"]["id"] = [f"p{i}" for i in range(len(arrays["residences"]["id"]))]
    assert read_payload(payload_json(pack_payload(arrays)))["residences"]["id"][-1].startswith("p")


def test_a_damaged_or_foreign_payload_is_refused(engine: str) -> None:
    doc = json.loads(engine)
    doc["packed"]["bytes"] += 1
    with pytest.raises(DataError, match="bytes"):
        read_payload(doc)
    doc = json.loads(engine)
    doc["packed"]["data"]["b64"] = base64.b64encode(b"not zlib").decode()
    with pytest.raises(DataError, match="do not inflate"):
        read_payload(doc)
    with pytest.raises(DataError, match="rebuild it with this version"):
        read_payload({"format": "yushu-network/9"})


def test_a_format_1_file_is_rewritten_byte_identical_to_format_2(engine: str) -> None:
    old = _old_text(read_payload(engine))
    assert payload_format(old) == OLD_FORMAT
    assert upgraded(old) == engine
    assert upgraded(engine) is engine


def test_the_map_command_rewrites_an_older_network_file_and_says_so(
    study: Study, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from yushu_circle.cli import main

    out = tmp_path / "out"
    write_study(study, out, isochrones=False)
    page = (out / "map.html").read_bytes()
    network = (out / "map_network.json").read_text(encoding="utf-8")
    (out / "map_network.json").write_text(_old_text(read_payload(network)), encoding="utf-8")
    assert main(["map", str(out)]) == 0
    said = capsys.readouterr().out
    assert "yushu-network/1" in said and f"rewritten as {FORMAT}" in said and "旧格式" in said
    assert (out / "map_network.json").read_text(encoding="utf-8") == network
    assert (out / "map.html").read_bytes() == page
    assert main(["map", str(out)]) == 0
    assert "rewritten" not in capsys.readouterr().out


def test_node_reads_every_array_python_packed(engine: str, tmp_path: Path) -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        if os.environ.get("YUSHU_REQUIRE_NODE") == "1":
            pytest.fail("node is not installed (Debian package nodejs)")
        pytest.skip("node is not installed (Debian package nodejs)")
    path = tmp_path / "engine.json"
    path.write_text(engine, encoding="utf-8")
    script = tmp_path / "read.mjs"
    module = (REPO / "yushu_circle/render/js/payload.mjs").as_uri()
    script.write_text(
        f'import {{ readFileSync }} from "node:fs";\nimport {{ loadPayload }} from "{module}";\n'
        "const p = await loadPayload(JSON.parse(readFileSync(process.argv[2], 'utf8')));\n"
        "const out = {};\n"
        "for (const g of ['nodes', 'edges', 'residences', 'facilities'])\n"
        "  for (const [k, v] of Object.entries(p[g])) out[`${g}.${k}`] = ArrayBuffer.isView(v) ?"
        " Array.from(v, (x) => (Number.isFinite(x) ? x : String(x))) : v;\n"
        "console.log(JSON.stringify(out));\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [node, str(script), str(path)], capture_output=True, text=True, timeout=120, check=True
    )
    js = json.loads(done.stdout)
    python = read_payload(engine)
    checked = 0
    for group in GROUPS:
        for key, value in python[group].items():
            got = js[f"{group}.{key}"]
            if isinstance(value, np.ndarray):
                want = [x if np.isfinite(x) else str(x).replace("inf", "Infinity") for x in value]
                assert [float(x) if not isinstance(x, str) else x for x in got] == [
                    float(x) if not isinstance(x, str) else x for x in want
                ], f"{group}.{key}"
                checked += 1
            else:
                assert got == value, f"{group}.{key}"
    assert checked >= 20


def test_a_city_past_the_caps_is_drawn_from_the_engine(
    study: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yushu_circle.render import payload as map_payload
    from yushu_circle.render.city_layers import NO_SCORE
    from yushu_circle.render.view import MapView

    results = study.results()
    monkeypatch.setattr(map_payload, "MAX_MAP_RESIDENCES", 500)
    drawn = map_payload.build_payload(results, MapView(), minutes_in_page=True)
    assert drawn.network is not None and drawn.network["residences"] == len(results.access)
    assert drawn.res["id"] == [] and drawn.edges["coords"] == []
    assert not any("even sample" in note for note in drawn.notes)
    score = unpack(drawn.network["packed"])["score"]
    want = results.access["score"].to_numpy()
    assert np.array_equal(score, np.where(np.isfinite(want), np.round(want * 1000), NO_SCORE))
    assert drawn.view is not None and len(drawn.view["places"]) >= 1
    # Residences in another order than the engine's: the page draws the sample instead.
    other = dataclasses.replace(results, access=results.access.iloc[::-1])
    fallback = map_payload.build_payload(other, MapView(), minutes_in_page=True)
    assert fallback.network is None and len(fallback.res["id"]) == 500
    # Without the engine (the precomputed view), the sample as before.
    assert map_payload.build_payload(results, MapView()).network is None
