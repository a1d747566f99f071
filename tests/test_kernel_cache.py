"""The compiled-kernel cache stays in its folder and never ends a run (issue 31, classes 2
and 4): an unusable folder means no cache, never one inside the installed package; a
damaged cache file is rebuilt; an unwritable home is one line, naming YUSHU_CACHE_DIR."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import yushu_circle

PACKAGE = Path(yushu_circle.__file__).resolve().parent
NOTICE = "for this run only (不缓存)"

pytestmark = pytest.mark.slow  # each run compiles the walk kernels (5-20 s)


def _env(**changes: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"YUSHU_CACHE_DIR", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME"}
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # so that any new file in the package is numba's
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("yushu-circle")
    command = [exe] if exe else [sys.executable, "-m", "yushu_circle.cli"]
    return subprocess.run(
        [*command, "run", "--no-isochrones", "--out", str(out)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _package_files() -> set[Path]:
    return {p for p in PACKAGE.rglob("*") if p.is_file()}


def _notices(stderr: str) -> list[str]:
    """The compile notices of a run's progress output (bars share their lines)."""
    lines = stderr.replace("\r", "\n").splitlines()
    return [line.strip() for line in lines if "kernels" in line and "compiling" in line]


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """An existing folder nobody may write in, root included (a read-only tmpfs)."""
    mount = tmp_path / "read_only"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(mount)])
    if made.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.parametrize("kind", ["a file", "a read-only folder"])
def test_an_unusable_cache_folder_never_puts_kernels_in_the_package(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    # numba used to fall back to yushu_circle/_core/__pycache__ (19 files), which pip
    # does not remove: no cache is better than a cache in the installed package.
    if kind == "a file":
        cache = tmp_path / "cache.txt"
        cache.write_text("not a folder", encoding="utf-8")
    else:
        cache = request.getfixturevalue("read_only_folder")
    before = _package_files()
    done = _run(tmp_path / "out", _env(YUSHU_CACHE_DIR=str(cache)))
    assert done.returncode == 0, done.stderr[-2000:]
    assert _package_files() == before
    assert (tmp_path / "out" / "summary.json").is_file()
    notices = _notices(done.stderr)
    assert notices and all(NOTICE in n for n in notices)
    told = [n for n in notices if "YUSHU_CACHE_DIR" in n]
    assert len(told) == 1 and str(cache) in told[0] and "cannot be written" in told[0]
    assert "Traceback" not in done.stderr


def _damage(files: list[Path], how: str) -> None:
    assert files
    for path in files:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3] if how == "truncated" else b"\x80\x05garbage")


@pytest.mark.parametrize("what", ["index", "data"])
@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_a_damaged_kernel_cache_file_is_rebuilt_not_fatal(
    tmp_path: Path, what: str, how: str
) -> None:
    # A truncated or garbage cache file used to end the run with "internal error:
    # UnpicklingError" (exit 70).
    env = _env(YUSHU_CACHE_DIR=str(tmp_path / "cache"))
    first = _run(tmp_path / "a", env)
    assert first.returncode == 0, first.stderr[-2000:]
    suffix = ".nbi" if what == "index" else ".nbc"
    _damage(sorted((tmp_path / "cache").rglob(f"*{suffix}")), how)
    again = _run(tmp_path / "b", env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Traceback" not in again.stderr and "internal error" not in again.stderr
    assert any("compiling walk kernels once" in n for n in _notices(again.stderr))
    for name in ("summary.json", "residences.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    rebuilt = _run(tmp_path / "c", env)  # the rebuilt cache is read back: nothing compiles
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert _notices(rebuilt.stderr) == []


def test_an_unwritable_home_without_yushu_cache_dir_runs_uncached_in_one_line(
    tmp_path: Path,
) -> None:
    # numba said "no locator available" (exit 70) where neither the home's cache folder nor
    # the package could be written; as root it wrote into the package instead.
    home = tmp_path / "home"
    home.write_text("a file where the home folder should be", encoding="utf-8")
    before = _package_files()
    done = _run(tmp_path / "out", _env(HOME=str(home), YUSHU_CACHE_DIR=None))
    assert done.returncode == 0, done.stderr[-2000:]
    assert _package_files() == before
    told = [n for n in _notices(done.stderr) if "YUSHU_CACHE_DIR" in n]
    assert len(told) == 1
    assert f"{home}/.cache/yushu_circle/numba cannot be written" in told[0]
    assert "set YUSHU_CACHE_DIR to a writable folder to keep them" in told[0]
