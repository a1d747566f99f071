"""Only what the tool made is swept (issue 31, class 3): a staging folder carries a marker the
tool wrote (who, where, which process, when); a folder the user named ``.staging-thesis`` in
``--out``, or ``.staging-keep`` beside a ``check --geojson`` file, is theirs and is kept.

Before, any ``.staging-*`` folder older than an hour was removed with its files.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from cli_process import yushu
from conftest import JIEGU, _offset

from yushu_circle.io.staging import (
    STAGING_MARKER,
    STALE_STAGING_S,
    is_stale_staging,
    make_staging,
    staged_writes,
)

TWO_HOURS = 2 * STALE_STAGING_S


def _users_folder(parent: Path, name: str) -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "chapter1.docx").write_bytes(b"the user's thesis")
    old = time.time() - TWO_HOURS
    os.utime(folder / "chapter1.docx", (old, old))
    os.utime(folder, (old, old))
    return folder


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def _tool_folder(parent: Path, pid: int, age_s: float) -> Path:
    folder = make_staging(parent)
    (folder / "map.html").write_text("<p>half", encoding="utf-8")
    marker = json.loads((folder / STAGING_MARKER).read_text(encoding="utf-8"))
    marker.update(pid=pid, created=time.time() - age_s)
    (folder / STAGING_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return folder


def test_a_users_staging_named_folder_in_out_is_kept(good_out: Path, town_osm: Path) -> None:
    thesis = _users_folder(good_out, ".staging-thesis")
    result = yushu("--quiet", "run", "--osm-file", town_osm, "--no-isochrones", "--out", good_out)
    assert result.code == 0, result.err
    assert (thesis / "chapter1.docx").read_bytes() == b"the user's thesis"


def test_a_users_folder_beside_a_check_geojson_file_is_kept(town_osm: Path, tmp_path: Path) -> None:
    keep = _users_folder(tmp_path, ".staging-keep")
    lon, lat = _offset(JIEGU, 40, -242)
    result = yushu(
        "--quiet", "check", "--osm-file", town_osm, "--at", f"{lon:.6f},{lat:.6f}",
        "--geojson", tmp_path / "routes.geojson",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert (keep / "chapter1.docx").read_bytes() == b"the user's thesis"
    assert (tmp_path / "routes.geojson").is_file()


def test_the_tools_own_stale_staging_is_swept(tmp_path: Path) -> None:
    left = _tool_folder(tmp_path, _dead_pid(), TWO_HOURS)  # a killed run's
    assert is_stale_staging(left)
    with staged_writes(tmp_path) as stage:
        stage.write("new.txt", lambda path: path.write_text("new\n"))
    assert not left.exists()
    assert (tmp_path / "new.txt").read_text() == "new\n"


def test_a_staging_of_a_run_still_going_or_too_young_is_kept(tmp_path: Path) -> None:
    running = _tool_folder(tmp_path, os.getpid(), TWO_HOURS)  # a long run, still alive
    young = _tool_folder(tmp_path, _dead_pid(), 60)  # gone, but only a minute ago
    elsewhere = _tool_folder(tmp_path, os.getpid(), TWO_HOURS)
    marker = json.loads((elsewhere / STAGING_MARKER).read_text(encoding="utf-8"))
    marker["host"] = socket.gethostname() + "-another-host"  # a shared disk's other machine
    (elsewhere / STAGING_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    with staged_writes(tmp_path) as stage:
        stage.write("new.txt", lambda path: path.write_text("new\n"))
    assert running.is_dir() and young.is_dir()
    assert not elsewhere.exists()  # its process cannot be asked: its age decides


def test_a_marker_that_is_not_the_tools_proves_nothing(tmp_path: Path) -> None:
    texts = ("", "not json", json.dumps({"tool": "something-else", "created": 0}), "[1]")
    for number, text in enumerate(texts):
        folder = _users_folder(tmp_path, f".staging-user{number}")
        (folder / STAGING_MARKER).write_text(text, encoding="utf-8")
        assert not is_stale_staging(folder), text
