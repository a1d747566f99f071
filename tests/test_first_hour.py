"""A new user's first hour: the Quick start as written, the kernel cache, the first run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _source_copy(target: Path) -> Path:
    """The tracked files of the checkout (plus uncommitted edits), copied to ``target``."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read_bytes())
    return target


def _clean_env(cache_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"YUSHU_CACHE_DIR", "NUMBA_CACHE_DIR"}}
    env["XDG_CACHE_HOME"] = str(cache_home)  # the default per-user cache folder, made fresh
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.mark.slow
def test_install_run_then_editable_install_still_runs(tmp_path: Path) -> None:
    # The Quick start in a user's order: `pip install . && yushu-circle run`, then
    # `pip install -e .` over it and run again. numba used to write its cache into
    # site-packages/yushu_circle/__pycache__, which pip does not remove; the leftover
    # folder then shadowed the editable install (ImportError, exit 70).
    source = _source_copy(tmp_path / "src")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    bin_dir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    # The dependencies come from the environment running the tests (in CI a venv of its own,
    # not the system's), after the new venv's own packages: nothing downloads.
    inner = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(inner, "test_outer_env.pth").write_text("\n".join(sorted(outer)) + "\n")
    env = _clean_env(tmp_path / "cache")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    elsewhere = tmp_path / "work"  # not the source folder: imports must come from the install
    elsewhere.mkdir()

    def sh(*argv: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(argv, cwd=elsewhere, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
        return done

    sh(str(bin_dir / "pip"), "install", "-q", "--no-deps", str(source))
    sh(str(bin_dir / "yushu-circle"), "--quiet", "run", "--no-isochrones", "--out", "out1")
    installed = Path(
        sh(
            str(bin_dir / "python"), "-c", "import yushu_circle; print(yushu_circle.__file__)"
        ).stdout.strip()
    ).parent
    assert installed.is_relative_to(env_dir)
    leftovers = [p for p in installed.rglob("*") if p.suffix in {".nbi", ".nbc"}]
    assert leftovers == []  # nothing pip cannot uninstall
    assert list((tmp_path / "cache" / "yushu_circle" / "numba").rglob("*.nbi"))

    sh(str(bin_dir / "pip"), "install", "-q", "--no-deps", "-e", str(source))
    sh(str(bin_dir / "yushu-circle"), "--quiet", "run", "--no-isochrones", "--out", "out2")
    now = sh(str(bin_dir / "python"), "-c", "import yushu_circle; print(yushu_circle.__file__)")
    assert Path(now.stdout.strip()).parent == source / "yushu_circle"
    assert (elsewhere / "out2" / "summary.json").is_file()


def test_cache_folder_follows_the_environment(tmp_path: Path) -> None:
    code = (
        "import yushu_circle._core as c, numba; print(c.cache_dir()); print(numba.config.CACHE_DIR)"
    )
    env = _clean_env(tmp_path / "xdg")
    env["YUSHU_CACHE_DIR"] = str(tmp_path / "mine")
    lines = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert lines == [str(tmp_path / "mine" / "numba")] * 2
    del env["YUSHU_CACHE_DIR"]
    lines = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert lines == [str(tmp_path / "xdg" / "yushu_circle" / "numba")] * 2
    assert not Path(lines[0]).is_relative_to(ROOT / "yushu_circle")


def _quickstart() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "tools" / "quickstart.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_commands_come_from_both_readme_blocks() -> None:
    tool: object = _quickstart()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = tool.quickstart_commands(readme)  # type: ignore[attr-defined]
    assert commands == [
        "pip install . && yushu-circle run",
        'pip install -e ".[dev]" && python -m pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "tools/quickstart.py README.md" in ci
    # The suite runs once, through the README's command; the one other pytest call reruns
    # only the real-data test files, in a copy of the checkout with no ../shared beside it.
    calls = [line for line in ci.splitlines() if "python -m pytest" in line]
    assert len(calls) == 1 and '"${real_data[@]}"' in calls[0], calls


def test_quickstart_tool_refuses_drift(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    drifted = readme.replace("pip install . && yushu-circle run", "pip install .", 1)
    path = tmp_path / "README.md"
    path.write_text(drifted, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "quickstart.py"), str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "differ" in done.stderr and "快速开始" in done.stderr


def test_each_walk_kernel_compiles_for_one_signature() -> None:
    # Every type specialisation is another compile on a first run: the callers pass one
    # set of array types (int32 CSR, int64 ids, float64 minutes). A fresh process, so that
    # what other tests compiled in this one does not count.
    script = """
import json, numba
import yushu_circle as yc
from yushu_circle._core import kernels
yc.Study.demo().access()
print(json.dumps({
    f.__name__: len(f.signatures)
    for f in vars(kernels).values()
    if isinstance(f, numba.core.registry.CPUDispatcher) and f.signatures
}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    used = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"nearest_source_minutes", "origin_minutes", "edge_point_sources"} <= set(used)
    assert all(count == 1 for count in used.values()), used


_NO_ISOCHRONE_COMPILE = """
import sys
from pathlib import Path
import yushu_circle._core as core
compiled = []
core.on_first_compile(compiled.append)
import yushu_circle as yc
study = yc.Study.demo()
study.access()
before = list(compiled)
study.isochrones(residences=study.access()["residence_id"].tolist()[:40])
print(",".join(m for m in compiled if m not in before))
"""


@pytest.mark.slow
def test_the_warmup_child_compiles_what_a_study_s_isochrones_use(tmp_path: Path) -> None:
    # The first run compiles the isochrone kernels in `python -m yushu_circle.warmup` (a tiny
    # grid) alongside its own work; that only helps when the grid's kernels are the ones, with
    # the same type signatures, a real study's isochrones call: then nothing compiles again.
    env = _clean_env(tmp_path / "cache")
    done = subprocess.run(
        [sys.executable, "-m", "yushu_circle.warmup"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    after = subprocess.run(
        [sys.executable, "-c", _NO_ISOCHRONE_COMPILE], env=env, capture_output=True, text=True
    )
    assert after.returncode == 0, after.stderr[-2000:]
    assert after.stdout.strip().splitlines()[-1:] in ([], [""]), after.stdout


@pytest.mark.slow
def test_a_first_run_compiles_the_isochrone_kernels_alongside_once(tmp_path: Path) -> None:
    env = _clean_env(tmp_path / "cache")
    argv = [sys.executable, "-m", "yushu_circle.cli", "run", "--out"]
    first = subprocess.run([*argv, str(tmp_path / "a")], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "compiling isochrone kernels once, alongside (一次性编译，并行)" in first.stderr
    assert "✓ isochrone kernels (compiled alongside)" in first.stderr
    # The parent waited for the child's kernels, so it compiled none of them itself.
    assert "compiling isochrone kernels once (一次性编译)" not in first.stderr
    markers = list((tmp_path / "cache" / "yushu_circle" / "numba").glob("isochrone-kernels-*"))
    assert len(markers) == 1
    second = subprocess.run([*argv, str(tmp_path / "b")], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "alongside" not in second.stderr and "compiling" not in second.stderr
    for name in ("summary.json", "isochrones.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


_COUNTED_RUN = """
import json, sys
from pathlib import Path
import yushu_circle._core  # first, as the command line does: it points numba's cache
from numba.core import event
from yushu_circle import warmup
from yushu_circle.cli import main

warmup._FORK = sys.argv[2] == "fork"

compiled = []


class _Count(event.Listener):
    def on_start(self, ev):
        function = ev.data["dispatcher"].py_func
        if function.__module__.startswith("yushu_circle"):
            compiled.append(f"{function.__module__}.{function.__qualname__}")

    def on_end(self, ev):
        pass


event.register("numba:compile", _Count())
code = main(sys.argv[3:])
Path(sys.argv[1]).write_text(json.dumps(compiled), encoding="utf-8")
sys.exit(code)
"""


@pytest.mark.slow
@pytest.mark.parametrize("child", ["fork", "spawn"])
def test_a_first_run_beside_a_checkout_compiles_the_isochrone_kernels_once(
    tmp_path: Path, child: str
) -> None:
    # The Quick start: `pip install . && yushu-circle run` in the clone's root. The warm-up
    # child ran as `python -m yushu_circle.warmup`, whose path starts with the working
    # folder: it compiled the checkout's kernels (numba keys its cache by the source file's
    # path) and the run, on the installed package, compiled them all over again (issue 29).
    # Here a copy of the sources in the working folder stands for the checkout; the run has
    # no terminal (stdin, stdout and stderr are pipes) and an empty cache. The child is
    # forked on Linux and a new interpreter elsewhere: both are run here.
    clone = _source_copy(tmp_path / "clone")
    env = _clean_env(tmp_path / "cache")
    counted = tmp_path / "compiled.json"
    done = subprocess.run(
        # -P: as the `yushu-circle` script, the working folder is not on the run's path.
        [
            sys.executable,
            "-P",
            "-c",
            _COUNTED_RUN,
            str(counted),
            child,
            "run",
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "compiling isochrone kernels once, alongside" in done.stderr
    compiled = json.loads(counted.read_text(encoding="utf-8"))
    assert any(name.startswith("yushu_circle._core.kernels.") for name in compiled)
    # The run compiles the search part itself, once (and the growth helper it shares with
    # the outlines, should the child not have saved it yet); the outline part is the child's.
    isochrone = [n for n in compiled if n.startswith("yushu_circle._core.isochrone.")]
    assert isochrone.count("yushu_circle._core.isochrone.reach_pieces") == 1, isochrone
    again = [n for n in isochrone if n.rsplit(".", 1)[1] not in {"reach_pieces", "_grow"}]
    assert again == [], f"the run compiled the child's isochrone kernels again: {again}"
    assert "compiling isochrone kernels once (一次性编译)" not in done.stderr
    # The child finished: later runs start none.
    assert len(list((tmp_path / "cache").rglob("isochrone-kernels-*.done"))) == 1
    # One package's kernels in the cache: the installed one's (a folder per source folder).
    folders = {p.parent.name for p in (tmp_path / "cache").rglob("*.nbi")}
    assert len(folders) == 1, folders
