"""Stopped mid-write by SIGINT, SIGTERM or SIGHUP: one line, the staging removed, earlier
outputs intact, no process left (issue 31, class 8) — in run, plan, map, report, check and
batch, through the real command line.

The signal goes to the command's whole process group, as a terminal sends Ctrl-C (SIGINT) or
its hang-up (SIGHUP): Dask's worker processes get it too. The command is held mid-write by a
``sitecustomize`` put on its ``PYTHONPATH`` (every process of the command imports it, Dask's
workers included): the named output file is half written in the staging folder, a marker file
appears, and the write sleeps.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_process import command
from conftest import JIEGU, _offset, snapshot
from validate import validate_output_folder

pytestmark = pytest.mark.slow

STALL = """
import os, pathlib, time

_name = os.environ.get("YUSHU_TEST_STALL")
if _name:
    _write_text = pathlib.Path.write_text

    def write_text(self, data, *args, **kwargs):
        if self.name == _name and any(p.startswith(".staging-") for p in self.parts):
            _write_text(self, data[: len(data) // 2], *args, **kwargs)
            pathlib.Path(os.environ["YUSHU_TEST_STALL_MARKER"]).touch()
            time.sleep(120)
        return _write_text(self, data, *args, **kwargs)

    pathlib.Path.write_text = write_text
"""
SIGNALS = [
    (signal.SIGINT, 130, "interrupted"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
    (signal.SIGHUP, 129, "stopped by SIGHUP"),
]
SIGNAL_IDS = ["SIGINT", "SIGTERM", "SIGHUP"]


def _group_alive(group: int) -> list[str]:
    """The processes of a process group still running (zombies waiting to be reaped aside)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == group and fields[0] != "Z":
            alive.append(text[: text.rindex(")") + 1])
    return alive


def stop_mid_write(
    tmp_path: Path, stall: str, signum: int, *args: str | Path
) -> tuple[int, list[str]]:
    """Run ``yushu-circle --quiet ARGS``, held mid-write of the file ``stall``; send ``signum``
    to its process group once there. Returns the exit status and the stderr lines, after
    checking no process of the group is left."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(STALL, encoding="utf-8")
    marker = tmp_path / "stalled"
    scratch = tmp_path / "tmpdir"
    scratch.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        "YUSHU_TEST_STALL": stall,
        "YUSHU_TEST_STALL_MARKER": str(marker),
        "TMPDIR": str(scratch),
    }
    process = subprocess.Popen(
        [*command(), "--quiet", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )
    try:
        for _ in range(2400):  # up to 4 minutes on a loaded machine
            if marker.exists() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), f"never reached the write of {stall}: {process.poll()}"
        os.killpg(process.pid, signum)
        _, err = process.communicate(timeout=90)
        for _ in range(300):
            if not _group_alive(process.pid):
                break
            time.sleep(0.1)
        assert _group_alive(process.pid) == []
    finally:
        if process.poll() is None or _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert not list(scratch.iterdir()), "temporary files left in TMPDIR"
    return process.returncode, err.strip().splitlines()


@pytest.fixture(scope="module")
def _plan_outputs(tmp_path_factory: pytest.TempPathFactory, town_osm: Path) -> Path:
    from yushu_circle.cli import main

    out = tmp_path_factory.mktemp("plan") / "out"
    assert main(["--quiet", "plan", "--osm-file", str(town_osm), "--out", str(out)]) == 0
    assert main(["--quiet", "report", str(out)]) == 0
    return out


@pytest.fixture
def plan_out(tmp_path: Path, _plan_outputs: Path) -> Path:
    out = tmp_path / "plan_out"
    shutil.copytree(_plan_outputs, out)
    return out


Case = Callable[[Path, Path, Path, Path], tuple[str, list[str | Path], Path]]
"""(town, run outputs, plan outputs, tmp) → (the file held, the arguments, the folder watched)."""
CASES: dict[str, Case] = {
    "run": lambda town, out, plan, tmp: (
        "map.html",
        ["run", "--osm-file", town, "--out", out],
        out,
    ),
    "plan": lambda town, out, plan, tmp: (
        "plan_map.html",
        ["plan", "--osm-file", town, "--out", plan],
        plan,
    ),
    "map": lambda town, out, plan, tmp: ("map.html", ["map", out], out),
    "report": lambda town, out, plan, tmp: ("report.html", ["report", plan], plan),
    "check": lambda town, out, plan, tmp: (
        "routes.geojson",
        ["check", "--osm-file", town, "--at", "{at}", "--geojson", out / "routes.geojson"],
        out,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize(("signum", "code", "words"), SIGNALS, ids=SIGNAL_IDS)
def test_stopped_mid_write_is_one_line_and_leaves_the_folder_as_it_was(
    name: str,
    signum: int,
    code: int,
    words: str,
    town_osm: Path,
    good_out: Path,
    plan_out: Path,
    tmp_path: Path,
) -> None:
    (good_out / "routes.geojson").write_text('{"earlier": "routes"}\n', encoding="utf-8")
    stall, args, watched = CASES[name](town_osm, good_out, plan_out, tmp_path)
    at = "{:.6f},{:.6f}".format(*_offset(JIEGU, 40, -242))
    args = [at if a == "{at}" else a for a in args]
    before = snapshot(watched)
    status, lines = stop_mid_write(tmp_path, stall, signum, *args)
    assert status == code, lines
    assert lines == [f"yushu-circle: {words}; earlier outputs are intact"]
    assert snapshot(watched) == before  # no staging folder, no file changed


def _areas(tmp_path: Path, town: Path, count: int = 3) -> Path:
    areas = tmp_path / "areas.csv"
    rows = "".join(f"a{i},{town}\n" for i in range(count))
    areas.write_text("area_id,osm_file\n" + rows, encoding="utf-8")
    return areas


@pytest.mark.parametrize(("signum", "code", "words"), SIGNALS, ids=SIGNAL_IDS)
def test_batch_stopped_from_the_terminal_is_one_line_and_leaves_nothing(
    signum: int, code: int, words: str, town_osm: Path, tmp_path: Path
) -> None:
    # Ctrl-C to a terminal batch used to print two Dask worker tracebacks and 34 lines.
    out = tmp_path / "batch_out"
    areas = _areas(tmp_path, town_osm)
    status, lines = stop_mid_write(
        tmp_path, "map.html", signum, "batch", areas, "--out", out, "--workers", "2"
    )
    assert status == code, lines
    assert lines == [f"yushu-circle: {words}; earlier outputs are intact"]
    assert not out.exists()  # the batch made it; nothing finished, so nothing is left


def test_batch_stopped_keeps_every_earlier_area_output(town_osm: Path, tmp_path: Path) -> None:
    from yushu_circle.cli import main

    out = tmp_path / "batch_out"
    areas = _areas(tmp_path, town_osm, count=2)
    assert main(["--quiet", "batch", str(areas), "--out", str(out), "--workers", "1"]) == 0
    before = snapshot(out)
    status, lines = stop_mid_write(
        tmp_path, "map.html", signal.SIGINT, "batch", areas, "--out", out, "--force"
    )
    assert status == 130, lines
    assert lines == ["yushu-circle: interrupted; earlier outputs are intact"]
    after = snapshot(out)
    # A forced area's done-marker goes when it starts (it runs again next time); every
    # output file stays as it was, and no staging folder is left.
    assert {k: v for k, v in after.items() if not k.endswith("_DONE")} == {
        k: v for k, v in before.items() if not k.endswith("_DONE")
    }
    for area in ("a0", "a1"):
        validate_output_folder(out / area)
