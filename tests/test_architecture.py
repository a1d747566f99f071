"""The house rules, checked on the source: rooms, one-way imports, sizes, no reaching inside.

Every module opens with a docstring saying what it owns; no module is over ~600 lines; the
imports between our modules (module-level, inside functions and for types alike) form no
cycle, and those that run only go down the flow of DESIGN.md; nothing writes into another
object's ``__dict__``; only ``osm/_osmnx.py`` touches osmnx's private API; every declared
dependency is used.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "yushu_circle"
MAX_LINES = 650  # "about 600": a little slack for docstrings, none for a second module in one

# The flow, lowest first: a module may import only from its own layer or the ones before it.
LAYERS: list[set[str]] = [
    {"errors", "_resources", "_config", "columns", "geoparquet", "options"},
    {"_core"},
    {"osm"},
    {"edge_search"},
    {"network"},
    {"tagrules"},
    {
        "catalog",
        "standards",
        "assumptions",
        "places",
        "user_points",
        "residential",
        "population",
        "profiles",
    },
    {"inputs", "source"},
    {"access"},
    {"outline_union"},
    {"isochrones", "check"},
    {"warmup"},
    {"results"},
    {"planning"},
    {"render"},
    {"io"},
    {"study"},
    {"outputs"},
    {"batch_areas"},
    {"batch"},
    {"commands"},
    {"cli", "__main__", "__init__"},
]


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found["yushu_circle." + ".".join(parts) if parts != ("__init__",) else "yushu_circle"] = (
            path
        )
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(room: str) -> int:
    for index, rooms in enumerate(LAYERS):
        if room in rooms:
            return index
    raise AssertionError(f"module room {room!r} has no place in LAYERS: add it to the flow")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _type_checking_lines(path: Path) -> set[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for inner in ast.walk(node):
                if hasattr(inner, "lineno"):
                    lines.add(inner.lineno)
    return lines


def _graph(types: bool = False, package: Path = PACKAGE) -> nx.DiGraph:
    """Our modules, an edge for each import of one by another, at module level or inside a
    function; with ``types`` also those under ``if TYPE_CHECKING:`` (needed only for types)."""
    modules = _modules(package)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        skip = set() if types else _type_checking_lines(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                holder = ast.Module(body=[node], type_ignores=[])
                for target in _resolve(_imports_of(holder, path, module, modules), modules):
                    if target != module:
                        graph.add_edge(module, target)
    return graph


def _imports_of(
    tree: ast.Module, path: Path, module: str, modules: dict[str, Path] | None = None
) -> set[str]:
    tmp = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in tree.body:
        if isinstance(node, ast.Import):
            tmp |= {a.name for a in node.names if a.name.startswith("yushu_circle")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                head = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(head) + (f".{node.module}" if node.module else "")
            if base.startswith("yushu_circle"):
                named = {f"{base}.{a.name}" for a in node.names}
                # "from package import module" depends on that module, not on the
                # package's __init__ (which may well re-export the importing module).
                if modules is None or not named <= set(modules):
                    tmp.add(base)
                tmp |= named
    return tmp


def _resolve(names: set[str], modules: dict[str, Path]) -> set[str]:
    # "from yushu_circle.access import walk_access" names a module and a function: keep the
    # modules, and for the bare package keep only the submodules actually named.
    return {n for n in names if n in modules and n != "yushu_circle"} | (
        {"yushu_circle"} if "yushu_circle" in names and len(names) == 1 else set()
    )


def test_every_module_says_what_it_owns_and_is_small() -> None:
    problems = []
    for module, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if not ast.get_docstring(ast.parse(text)):
            problems.append(f"{module}: no module docstring")
        lines = text.count("\n")
        if lines > MAX_LINES:
            problems.append(f"{module}: {lines} lines (over {MAX_LINES})")
    assert not problems, "\n".join(problems)


# A circle is a circle whichever way it is hidden: an import moved into a function (so that
# it runs late) or under TYPE_CHECKING (so that it never runs) still makes each module need
# the other. osm/servers.py once imported the osmnx adapter inside two functions while the
# adapter imported Servers for its types, and the runtime-only graph did not see it;
# planning/findings.py read the Plan that planning/plan.py builds from it.


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.simple_cycles(graph))


def _room_graph(graph: nx.DiGraph) -> nx.DiGraph:
    rooms = nx.DiGraph()
    for a, b in graph.edges:
        if _room(a) != _room(b):
            rooms.add_edge(_room(a), _room(b))
    return rooms


def test_imports_form_no_cycle_between_rooms() -> None:
    cycles = _cycles(_room_graph(_graph(types=True)))
    assert not cycles, f"import cycles between rooms: {cycles}"


def test_imports_form_no_cycle_inside_a_room() -> None:
    # Module by module, a package's __init__ included: a room's modules import one another
    # one way too (a module re-exported by its package's __init__ must not import it back).
    runtime = _cycles(_graph())
    assert not runtime, f"import cycles between modules: {runtime}"
    cycles = _cycles(_graph(types=True))
    assert not cycles, f"import cycles between modules (counting imports for types): {cycles}"


def _graph_of(sources: dict[str, str], tmp_path: Path) -> nx.DiGraph:
    """The import graph :func:`_graph` builds, for a made-up package of ``sources``."""
    for name, text in sources.items():
        path = tmp_path / "yushu_circle" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return _graph(types=True, package=tmp_path / "yushu_circle")


def test_a_cycle_through_a_function_level_and_a_type_only_import_is_seen(
    tmp_path: Path,
) -> None:
    # The shape servers.py and the osmnx adapter had: the check must fail on it.
    graph = _graph_of(
        {
            "__init__": '"""p"""\n',
            "servers": '"""s"""\ndef resolved():\n    from yushu_circle import adapter\n',
            "adapter": (
                '"""a"""\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n'
                "    from yushu_circle.servers import Servers\n"
            ),
        },
        tmp_path,
    )
    assert _cycles(graph) == [["yushu_circle.adapter", "yushu_circle.servers"]]


def test_the_map_and_the_report_take_results_never_what_computes_them() -> None:
    # render/ draws results values (StudyResults, PlanResults) and computes no search: it
    # imports nothing of the study, the walk searches or planning, not even for a type.
    banned = {"study", "access", "_core", "planning", "isochrones", "outputs"}
    modules = _modules()
    found = []
    for module, path in modules.items():
        if _room(module) != "render":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                holder = ast.Module(body=[node], type_ignores=[])
                for target in _imports_of(holder, path, module):
                    if _room(target) in banned:
                        found.append(f"{module}:{node.lineno} imports {target}")
    assert not found, "\n".join(found)


MAX_PARAMETERS = 6


def test_map_and_folder_functions_take_at_most_six_parameters() -> None:
    # Results values and a small typed view travel, not long lists of loose arguments.
    too_long = []
    for module, path in _modules().items():
        if _room(module) not in {"render", "io"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = node.args
            names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
            names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
            count = len([n for n in names if n not in ("self", "cls")])
            if count > MAX_PARAMETERS:
                too_long.append(f"{module}.{node.name}: {count} parameters")
    assert not too_long, "\n".join(too_long)


def test_imports_go_down_the_flow() -> None:
    upward = []
    for a, b in _graph().edges:
        room_a, room_b = _room(a), _room(b)
        if room_a == room_b or room_a == "__init__":
            continue
        if _layer(room_b) > _layer(room_a):
            upward.append(f"{a} imports {b}")
    assert not upward, "imports going up the flow:\n" + "\n".join(sorted(upward))


def test_nothing_writes_into_another_objects_dict() -> None:
    # An object restoring its own state (``self.__dict__`` in ``__setstate__``) is not this.
    pattern = re.compile(
        r"(?<!self)\.__dict__\s*\[[^\]]*\]\s*=|(?<!self)\.__dict__\.(pop|update|setdefault)\("
    )
    hits = [
        f"{path.relative_to(REPO)}:{n}"
        for path in PACKAGE.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits, hits


def test_only_the_adapter_touches_osmnx_internals() -> None:
    pattern = re.compile(r"\box\.(\w+\.)*_\w+|from osmnx\.\w*\s+import\s+_|osmnx\._")
    adapter = PACKAGE / "osm" / "_osmnx.py"
    hits = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if path != adapter
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits, "\n".join(hits)


TESTS = REPO / "tests"


def test_no_test_file_imports_another() -> None:
    # Helpers shared by test files live in tests/helpers.py, conftest.py or a helpers module
    # beside the tests (tests/planning/street_town.py): importing a test file runs its
    # module-level code and ties two test files together.
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            found += [
                f"{path.relative_to(REPO)}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0].startswith("test_")
            ]
    assert not found, "\n".join(found)


def test_test_modules_have_unique_names() -> None:
    # Test folders have no __init__.py, so pytest imports each test file by its bare name:
    # two files of one name in different room folders would clash (and a second
    # conftest.py would replace tests/conftest.py as the module ``conftest``).
    names: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        names.setdefault(path.stem, []).append(str(path.relative_to(REPO)))
    clashes = {name: paths for name, paths in names.items() if len(paths) > 1}
    assert not clashes, clashes


# Distribution names whose import name differs from the name on PyPI.
_IMPORT_NAMES = {
    "pyogrio": ["pyogrio", "geopandas"],  # geopandas' default I/O engine, used through it
    "pyarrow": ["pyarrow", "parquet"],  # GeoParquet via geopandas/pandas
    "dask[distributed]": ["dask", "distributed"],
    "pyproj": ["pyproj"],
    "osmium": ["osmium"],
    "google-re2": ["re2"],
    "python-docx": ["docx"],
}


@pytest.mark.parametrize(
    "requirement", tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
)
def test_every_dependency_is_used(requirement: str) -> None:
    name = re.split(r"[<>=!~; ]", requirement, maxsplit=1)[0].strip()
    candidates = _IMPORT_NAMES.get(name, [name.replace("-", "_").split("[")[0]])
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    used = any(
        re.search(rf"^\s*(import|from)\s+{re.escape(c)}\b", source, re.M)
        or (c == "parquet" and "to_parquet" in source)
        for c in candidates
    )
    assert used, f"dependency {name!r} is never imported by the package"


def test_every_subpackage_is_installed() -> None:
    # A package missing from [tool.setuptools] packages works from the checkout (editable)
    # and is absent from a `pip install .`.
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        "yushu_circle." + ".".join(p.parent.relative_to(PACKAGE).parts)
        for p in PACKAGE.rglob("__init__.py")
        if p.parent != PACKAGE
    }
    assert found - listed == set(), f"not installed by pip install .: {sorted(found - listed)}"
