"""The page's JavaScript: the ES modules of ``render/js/`` bundled into one classic script.

The modules are plain ES modules, tested as such with ``node --test tests/js/``. A page gets
them as one inline ``<script>`` (a page with no network access cannot load modules by URL):
:func:`bundle` wraps each module in a function of its own (its names stay its own), turns
its ``import {a, b as c} from "./m.mjs"`` lines into reads of the modules already run, and
publishes chosen modules' exports as ``window`` globals. No build tool is involved; only
the import/export forms the modules use are accepted, anything else is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from yushu_circle.errors import DataError

JS_DIR = Path(__file__).with_name("js")
"""The page's ES modules."""

_IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"\./([\w.-]+\.mjs)";?[ \t]*$', re.M)
_EXPORT = re.compile(r"^export\s+(?:(?:async\s+)?function\*?|const|let|class)\s+([\w$]+)", re.M)
_EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\};?[ \t]*$", re.M)


def bundle(globals_: Mapping[str, Sequence[str]]) -> str:
    """The modules behind ``globals_`` as one classic script, each module run once.

    Parameters
    ----------
    globals_ : mapping of str to sequence of str
        Global name → entry modules (file names in ``render/js/``) whose exports it
        gathers, e.g. ``{"yushuEngine": ["engine.mjs", "payload.mjs"]}``.

    Returns
    -------
    str
        The script (deterministic: modules in dependency order, then by first mention).

    Raises
    ------
    DataError
        When a module imports or exports in a form the bundle does not understand, or
        its imports form a circle.
    """
    order: list[str] = []
    for entries in globals_.values():
        for entry in entries:
            _visit(entry, order, ())
    parts = ['(function () {\n"use strict";\nconst modules = {};']
    for name in order:
        parts.append(_wrapped(name))
    for name, entries in globals_.items():
        merged = ", ".join(f"modules[{json.dumps(e)}]" for e in entries)
        parts.append(f"window[{json.dumps(name)}] = Object.assign({{}}, {merged});")
    parts.append("})();\n")
    return "\n".join(parts)


def _visit(name: str, order: list[str], stack: tuple[str, ...]) -> None:
    if name in order:
        return
    if name in stack:
        raise DataError(f"render/js: import circle {' → '.join((*stack, name))}", "break it")
    for _, target in _IMPORT.findall(_source(name)):
        _visit(target, order, (*stack, name))
    order.append(name)


def _wrapped(name: str) -> str:
    """One module as ``modules[name] = (function () { …; return {exports}; })();``."""
    text = _source(name)
    exported = _EXPORT.findall(text)
    for names in _EXPORT_LIST.findall(text):
        exported += [n.strip() for n in names.split(",") if n.strip()]

    def imported(match: re.Match[str]) -> str:
        names = [n.strip() for n in match.group(1).split(",") if n.strip()]
        fields = ", ".join(n.replace(" as ", ": ") for n in names)
        return f"const {{ {fields} }} = modules[{json.dumps(match.group(2))}];"

    body = _EXPORT.sub(lambda m: m.group(0).removeprefix("export").lstrip(), text)
    body = _EXPORT_LIST.sub("", body)
    body = _IMPORT.sub(imported, body)
    leftover = re.search(r"^\s*(import|export)\b.*$", body, re.M)
    if leftover:
        raise DataError(
            f"render/js/{name}: cannot bundle {leftover.group(0).strip()!r}",
            'write `import { a, b } from "./m.mjs";` and `export function|const|class name`',
        )
    return (
        f"// --- {name}\nmodules[{json.dumps(name)}] = (function () {{\n{body}\n"
        f"return {{ {', '.join(exported)} }};\n}})();"
    )


@cache
def _source(name: str) -> str:
    path = JS_DIR / name
    if not path.is_file():
        raise DataError(f"render/js/{name} is not a module of the page", "check the import")
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise DataError(f"render/js/{name} contains '</script'", "split the string")
    return text
