"""Build the API reference (pdoc, numpydoc docstrings); fail on any warning or API gap.

Usage::

    python tools/build_docs.py --out build/docs

Exits 1 when pdoc warns (an annotation it cannot resolve, a module it cannot import, …)
or when a public function, class or method of ``yushu_circle`` lacks a docstring or type
hints; each problem is printed on its own line.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import sys
import warnings
from pathlib import Path
from typing import Any

PACKAGE = "yushu_circle"


def public_modules() -> list[str]:
    """The package and its public submodules (names without a leading underscore)."""
    package = importlib.import_module(PACKAGE)
    names = [
        f"{PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]
    return [PACKAGE, *sorted(names)]


def api_gaps(module_names: list[str]) -> list[str]:
    """Public functions, classes and methods without a docstring or type hints."""
    gaps: list[str] = []
    for name in module_names:
        module = importlib.import_module(name)
        if not inspect.getdoc(module):
            gaps.append(f"{name}: module has no docstring")
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != name:
                continue
            where = f"{name}.{attr}"
            if inspect.isclass(obj):
                gaps += _class_gaps(obj, where)
            elif inspect.isfunction(obj):
                gaps += _function_gaps(obj, where)
    return gaps


def _class_gaps(cls: type, where: str) -> list[str]:
    gaps = [] if _own_doc(cls) else [f"{where}: class has no docstring"]
    for attr, member in vars(cls).items():
        if attr.startswith("_"):
            continue
        target: Any = member
        if isinstance(member, (classmethod, staticmethod)):
            target = member.__func__
        elif isinstance(member, property):
            target = member.fget
        elif hasattr(member, "func") and type(member).__name__ == "cached_property":
            target = member.func
        if inspect.isfunction(target):
            gaps += _function_gaps(target, f"{where}.{attr}")
    return gaps


def _function_gaps(func: Any, where: str) -> list[str]:
    gaps = []
    if not _own_doc(func):
        gaps.append(f"{where}: no docstring")
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return gaps
    params = list(signature.parameters.values())
    if params and params[0].name in {"self", "cls"}:
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if missing:
        gaps.append(f"{where}: no type hint for {', '.join(missing)}")
    if signature.return_annotation is inspect.Signature.empty:
        gaps.append(f"{where}: no return type hint")
    return gaps


def _own_doc(obj: Any) -> bool:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return bool(doc and doc.strip())


def build(out: Path, module_names: list[str]) -> list[str]:
    """Render the HTML reference into ``out``; return pdoc's warnings."""
    import pdoc
    import pdoc.render

    from yushu_circle import __version__

    pdoc.render.configure(
        docformat="numpy",
        footer_text=f"{PACKAGE} {__version__} — 15分钟生活圈 walk access",
        search=True,
        show_source=True,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*module_names, output_directory=out)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def main(argv: list[str] | None = None) -> int:
    """Build the reference; print every problem; 0 only when there is none."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/docs"), help="output folder")
    args = parser.parse_args(argv)
    modules = public_modules()
    problems = [f"API: {gap}" for gap in api_gaps(modules)]
    problems += [f"pdoc: {warning}" for warning in build(args.out, modules)]
    pages = sorted(args.out.rglob("*.html"))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"docs: {len(problems)} problem(s); fix them (see above)", file=sys.stderr)
        return 1
    print(f"docs: {len(pages)} pages for {len(modules)} modules in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
