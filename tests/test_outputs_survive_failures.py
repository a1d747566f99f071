"""A run that fails while writing leaves the output folder as it was: a failing, crashing or
background writer, a full disk, an unwritable folder, a bug (exit 70); and a rerun is
byte-identical.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import snapshot
from helpers import Cli, assert_one_line_error, fails_cleanly

from yushu_circle import io as outputs
from yushu_circle.errors import OutputError


def _failing_writer(path: Path) -> None:
    path.write_bytes(b"half a file")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_failing_writer_leaves_the_folder_unchanged(good_out: Path) -> None:
    before = snapshot(good_out)
    writers = {
        "summary.csv": lambda p: p.write_text("new", encoding="utf-8"),
        "map.html": _failing_writer,
    }
    with pytest.raises(OutputError) as info:
        outputs.write_atomically(good_out, writers)
    assert "No space left on device" in info.value.message
    assert "left intact" in info.value.message
    assert snapshot(good_out) == before


def test_crashing_writer_leaves_the_folder_unchanged(good_out: Path) -> None:
    def crash(path: Path) -> None:
        path.write_bytes(b"x")
        raise RuntimeError("boom")

    before = snapshot(good_out)
    with pytest.raises(RuntimeError):
        outputs.write_atomically(good_out, {"summary.csv": crash})
    assert snapshot(good_out) == before


def test_a_background_writer_failing_leaves_the_folder_unchanged(good_out: Path) -> None:
    before = snapshot(good_out)
    with pytest.raises(OutputError) as info, outputs.staged_writes(good_out) as stage:
        stage.start("network.parquet", _failing_writer)
        stage.write("summary.csv", lambda p: p.write_text("new", encoding="utf-8"))
    assert "No space left on device" in info.value.message
    assert snapshot(good_out) == before


def test_a_failure_while_a_file_is_written_in_the_background_does_not_wait_for_it(
    good_out: Path,
) -> None:
    before = snapshot(good_out)
    release = threading.Event()

    def stuck(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        release.wait(30)

    started = time.monotonic()
    try:
        with (
            pytest.raises(RuntimeError, match="made elsewhere"),
            outputs.staged_writes(good_out) as stage,
        ):
            stage.start("residences.parquet", stuck)
            stage.start("network.parquet", stuck)
            raise RuntimeError("made elsewhere")
        assert time.monotonic() - started < 10
        assert snapshot(good_out) == before
    finally:
        release.set()


def test_background_and_foreground_files_all_land_in_order(tmp_path: Path) -> None:
    with outputs.staged_writes(tmp_path / "out") as stage:
        stage.start("b.txt", lambda p: p.write_text("b", encoding="utf-8"))
        stage.write("a.txt", lambda p: p.write_text("a", encoding="utf-8"))
        stage.start("c.txt", lambda p: p.write_text("c", encoding="utf-8"))
    assert [p.name for p in stage.written] == ["b.txt", "a.txt", "c.txt"]
    assert [p.read_text(encoding="utf-8") for p in stage.written] == ["b", "a", "c"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_disk_full_during_run_is_reported(
    cli: Cli, good_out: Path, town_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "text_writer", lambda text: _failing_writer)
    fails_cleanly(
        cli, good_out, "--osm-file", town_osm, fragments=(str(good_out), "No space left on device")
    )


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs mount rights; skipped where the sandbox has none)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + made.stderr.decode(errors="replace").strip())
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_really_full_disk_keeps_earlier_outputs(
    cli: Cli, good_out: Path, town_osm: Path, small_tmpfs: Path
) -> None:
    out = small_tmpfs / "out"
    shutil.copytree(good_out, out)
    filler = small_tmpfs / "filler"
    try:
        with filler.open("wb", buffering=0) as handle:
            while True:
                handle.write(b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    before = snapshot(out)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out)
    assert_one_line_error(result, str(out), "No space left on device")
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("/sys/yushu_circle_out", id="sysfs-cannot-create"),
        pytest.param("/sys/kernel", id="sysfs-cannot-write"),
        pytest.param("file/sub", id="under-a-file"),
    ],
)
def test_unwritable_output_folder(cli: Cli, town_osm: Path, tmp_path: Path, where: str) -> None:
    # Tests run as root, where chmod does not stop writes: these places fail even for root.
    if where.startswith("/sys") and not Path("/sys/kernel").is_dir():
        pytest.skip("no sysfs")
    if where == "file/sub":
        (tmp_path / "file").write_text("x")
        out = tmp_path / where
    else:
        out = Path(where)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out)
    assert_one_line_error(result, str(out), "cannot be written", "--out")


def test_rerun_is_byte_identical(cli: Cli, good_out: Path, town_osm: Path) -> None:
    before = snapshot(good_out)
    assert cli("--quiet", "run", "--osm-file", town_osm, "--out", good_out).code == 0
    after = snapshot(good_out)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []


def test_unexpected_bug_is_one_line_and_keeps_outputs(
    cli: Cli, good_out: Path, town_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yushu_circle import study

    def broken(self: object) -> None:
        raise RuntimeError("injected bug")

    monkeypatch.setattr(study.Study, "summary", broken)
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", good_out)
    assert result.code == 70
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("yushu-circle: internal error: RuntimeError: injected bug — fix:")
    assert "--debug" in lines[0]
    assert snapshot(good_out) == before
    with pytest.raises(RuntimeError, match="injected bug"):
        cli("--quiet", "--debug", "run", "--osm-file", town_osm, "--out", good_out)
