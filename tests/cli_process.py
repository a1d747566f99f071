"""Test helper: the real ``yushu-circle`` command in its own process, as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import CliResult


def command() -> list[str]:
    """The installed ``yushu-circle`` entry point (else ``python -m yushu_circle.cli``)."""
    exe = shutil.which("yushu-circle", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "yushu_circle.cli"]


def yushu(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> CliResult:
    """Run ``yushu-circle ARGS`` in a new process and return its status and output."""
    done = subprocess.run(
        [*command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    return CliResult(done.returncode, done.stdout, done.stderr)
