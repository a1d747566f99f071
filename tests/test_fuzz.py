"""Bounded, seeded fuzzing of the OSM XML and CSV readers: success or a YushuError, nothing else."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import street_side_points_csv, town_xml

from yushu_circle.errors import YushuError
from yushu_circle.osm.sources import read_osm_file
from yushu_circle.study import Study
from yushu_circle.user_points import user_facilities, user_residences

SEED = 20240615
CASES = 200
BUDGET_S = 60.0  # stop early rather than slow the suite down on a slow machine

_JUNK = [
    b"<",
    b">",
    b"&",
    b"\x00",
    b"\xff\xfe",
    b'"',
    b"'",
    b"<tag k='x'/>",
    b"<nd ref='99999999'/>",
    b"<nd ref='abc'/>",
    b"<node id='x' lat='91' lon='200'/>",
    b"<node id='1'/>",
    b"<way id='5'><nd ref='2'/></way>",
    b"<member type='way' ref='2' role=''/>",
    b"<relation id='9'>",
    b"</way>",
    b"NaN",
    b"-0",
    b"1e999",
    "示例".encode(),
    "示例".encode("gbk"),
    b",",
    b"\n",
    b"\r\n",
    b";",
    b"\t",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Apply 1–4 random edits: flip, delete, duplicate, insert junk, truncate, swap numbers."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            break
        kind = rng.randrange(6)
        i = rng.randrange(len(out))
        if kind == 0:
            out[i] = rng.choice(b"<>&\"'=/ 0123456789.-eknvx\n\x80")
        elif kind == 1:
            del out[i : i + rng.randint(1, 200)]
        elif kind == 2:
            j = min(len(out), i + rng.randint(1, 200))
            out[j:j] = out[i:j]
        elif kind == 3:
            out[i:i] = rng.choice(_JUNK)
        elif kind == 4:
            del out[i:]
        else:
            digits = [k for k in range(len(out)) if chr(out[k]).isdigit()]
            if digits:
                k = rng.choice(digits)
                out[k : k + 1] = rng.choice([b"-", b".", b"e", b"9" * 12, b"", b"x"])
    return bytes(out)


def _fuzz(
    base: bytes, path: Path, attempt: Callable[[Path], object], rng: random.Random
) -> tuple[int, int]:
    """Run ``attempt`` on mutants of ``base``; return (successes, YushuErrors)."""
    ok = refused = 0
    start = time.monotonic()
    for case in range(CASES):
        if time.monotonic() - start > BUDGET_S:
            break
        data = mutate(base, rng)
        path.write_bytes(data)
        try:
            attempt(path)
        except YushuError as exc:
            assert "\n" not in exc.message
            refused += 1
        except Exception as exc:  # the point of the test: nothing else may escape
            keep = path.with_name(f"failing-{case}{''.join(path.suffixes)}")
            keep.write_bytes(data)
            pytest.fail(f"case {case}: {type(exc).__name__}: {exc} (input kept in {keep})")
        else:
            ok += 1
    return ok, refused


def _osm_pipeline(path: Path) -> None:
    study = Study.from_osm_file(path)
    study.access()
    study.summary()


def test_fuzz_osm_xml_reader_and_pipeline(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    base = town_xml().encode("utf-8")
    ok, refused = _fuzz(base, tmp_path / "fuzz.osm", _osm_pipeline, rng)
    assert ok + refused > 20
    assert refused > 0  # the mutations really do break files


def test_fuzz_osm_xml_reader_only(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    base = town_xml().encode("utf-8")
    ok, refused = _fuzz(base, tmp_path / "fuzz.osm", read_osm_file, rng)
    assert ok > 0 and refused > 0


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_fuzz_residences_csv(tmp_path: Path, encoding: str) -> None:
    rng = random.Random(SEED + 2)
    base = street_side_points_csv().encode(encoding)
    ok, refused = _fuzz(base, tmp_path / "homes.csv", user_residences, rng)
    assert ok > 0 and refused > 0


def test_fuzz_facilities_csv(tmp_path: Path) -> None:
    rng = random.Random(SEED + 3)
    base = street_side_points_csv(facilities=True).encode("utf-8")
    ok, refused = _fuzz(base, tmp_path / "poi.csv", lambda p: user_facilities(p, "gcj02"), rng)
    assert ok > 0 and refused > 0
