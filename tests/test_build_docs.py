"""The API-reference build fails on pdoc warnings and on undocumented public names."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "build_docs.py"

MODULE = '''"""A module."""

from functools import cached_property


def good(x: int) -> int:
    """Documented and typed."""
    return x


def bad_annotation(x: "NoSuchType") -> int:
    """Documented, but pdoc cannot resolve the hint."""
    return 1


def undocumented(x: int) -> int:
    return x


def untyped(x, y: int):
    """Documented."""


class Thing:
    """A class."""

    def method(self, x: int) -> int:
        return x

    @cached_property
    def cached(self) -> int:
        return 1

    def _private(self, x):
        return x


class Bare:
    pass
'''


@pytest.fixture
def tool() -> Any:
    spec = importlib.util.spec_from_file_location("build_docs", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "docs_sample_mod.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "docs_sample_mod"
    sys.modules.pop("docs_sample_mod", None)


def test_gaps_name_every_undocumented_or_untyped_public_name(tool: Any, sample: str) -> None:
    gaps = set(tool.api_gaps([sample]))
    assert gaps == {
        f"{sample}.undocumented: no docstring",
        f"{sample}.untyped: no type hint for x",
        f"{sample}.untyped: no return type hint",
        f"{sample}.Thing.method: no docstring",
        f"{sample}.Thing.cached: no docstring",
        f"{sample}.Bare: class has no docstring",
    }


def test_pdoc_warnings_are_collected(tool: Any, sample: str, tmp_path: Path) -> None:
    warnings = tool.build(tmp_path / "out", [sample])
    assert any("NoSuchType" in w for w in warnings)
    assert (tmp_path / "out" / f"{sample}.html").is_file()
