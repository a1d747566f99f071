"""A new user's first run: cold (fresh kernel cache) vs warm ``yushu-circle run``, and imports.

Prints, in one run on this machine:

- the wall time of ``yushu-circle run`` on the demo with a fresh, empty kernel cache
  (``YUSHU_CACHE_DIR`` in a new temporary folder) and again with that cache warm, and
  their ratio (target ≤ 2), with ``--busy N`` busy-loop processes running alongside both
  runs (started before the first run and stopped after the second: a busy machine);
- ``yushu-circle --help`` and ``python -c "import yushu_circle"`` (best of 5; targets
  0.5 s and 1 s);
- the top entries of ``python -X importtime -c "import yushu_circle"``;
- the cold run's progress output (stderr), saved to ``benchmarks/results/first_run.txt``.

Usage: ``python benchmarks/first_run.py [--no-isochrones] [--busy 1] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _command() -> list[str]:
    exe = shutil.which("yushu-circle")
    return [exe] if exe else [sys.executable, "-m", "yushu_circle.cli"]


_CPU: list[float] = []  # CPU seconds of each _timed run, its children (the warm-up) included


def _timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    start, before = time.perf_counter(), os.times()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    seconds, after = time.perf_counter() - start, os.times()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    _CPU.append(
        after.children_user - before.children_user + after.children_system - before.children_system
    )
    return seconds, done.stderr


def _best(argv: list[str], env: dict[str, str], cwd: Path, repeat: int = 5) -> float:
    return min(_timed(argv, env, cwd)[0] for _ in range(repeat))


def _import_top(env: dict[str, str], cwd: Path, count: int = 12) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import yushu_circle"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative_us, name = line.split("|", 2)
        rows.append((int(cumulative_us), name.rstrip()))
    rows.sort(reverse=True)
    return [f"{us / 1000:8.1f} ms  {name}" for us, name in rows[:count]]


def _steps(progress: str) -> dict[str, float]:
    """Step label → seconds, from the "✓ label (1.2 s)" lines of a run's progress output."""
    steps = {}
    for line in progress.splitlines():
        if line.startswith("✓ ") and line.endswith(" s)"):
            label, _, seconds = line[2:-3].rpartition(" (")
            steps[label] = float(seconds)
    return steps


def _busy_loops(count: int) -> list[subprocess.Popen[bytes]]:
    """``count`` processes that spin one core each until stopped (another user's job)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def _cold_and_warm(
    run: list[str], env: dict[str, str], work: Path, busy: int
) -> tuple[float, str, float, str, tuple[float, float], tuple[float, float]]:
    """A first run on an empty kernel cache, then a second, with ``busy`` loops alongside."""
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**env, "YUSHU_CACHE_DIR": str(cache)}  # fresh: nothing compiled yet
    loops = _busy_loops(busy)
    try:
        time.sleep(1.0 if busy else 0.0)  # let the loops take their cores
        before = os.getloadavg()[0]
        cold, progress = _timed(run, env, work)
        warm, warm_progress = _timed(run, env, work)
        after = os.getloadavg()[0]
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    return cold, progress, warm, warm_progress, (before, after), (_CPU[-2], _CPU[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-isochrones", action="store_true", help="skip the isochrone step")
    parser.add_argument("--busy", type=int, default=0, help="busy-loop processes alongside")
    parser.add_argument("--repeat", type=int, default=1, help="first/second pairs to run")
    args = parser.parse_args()
    extra = ["--no-isochrones"] if args.no_isochrones else []
    with tempfile.TemporaryDirectory(prefix="yushu-first-run-") as scratch:
        work = Path(scratch)
        env = {k: v for k, v in os.environ.items() if k not in {"NUMBA_CACHE_DIR", "NUMBA_OPT"}}
        run = [*_command(), "run", *extra, "--out", str(work / "out")]
        pairs = [_cold_and_warm(run, env, work, args.busy) for _ in range(args.repeat)]
        env["YUSHU_CACHE_DIR"] = str(work / "cache")
        help_s = _best([*_command(), "--help"], env, work)
        import_s = _best([sys.executable, "-c", "import yushu_circle"], env, work)
        top = _import_top(env, work)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"command: {' '.join(['yushu-circle', 'run', *extra])} (demo)")
    print(f"busy-loop processes alongside both runs: {args.busy}")
    for cold, progress, warm, warm_progress, (before, after), (cpu_cold, cpu_warm) in pairs:
        print(f"load average {before:.1f} before the first run, {after:.1f} after the second")
        print(
            f"first run (fresh kernel cache): {cold:6.1f} s  ({cpu_cold:.1f} CPU-s, all processes)"
        )
        print(f"second run (warm cache):        {warm:6.1f} s  ({cpu_warm:.1f} CPU-s)")
        print(
            f"ratio first / second:           {cold / warm:6.2f}  (target ≤ 2; CPU "
            f"{cpu_cold / cpu_warm:.2f})"
        )
        cold_steps, warm_steps = _steps(progress), _steps(warm_progress)
        for label, seconds in cold_steps.items():
            warm_s = warm_steps.get(label, 0.0)
            print(f"  {label:48s} {seconds:6.1f} s cold  {warm_s:6.1f} s warm")
    progress = pairs[-1][1]
    print(f"yushu-circle --help:            {help_s:6.2f} s  (target ≤ 0.5 s; best of 5)")
    print(f"import yushu_circle:            {import_s:6.2f} s  (target ≤ 1 s; best of 5)")
    print("python -X importtime -c 'import yushu_circle', top cumulative entries:")
    print("\n".join(top))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    lines = progress.replace("\r", "\n").splitlines()
    kept = [line for line in lines if "%|" not in line or "100%|" in line]
    (results / "first_run.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"first run's progress output: {results / 'first_run.txt'}")


if __name__ == "__main__":
    main()
