"""The page's JavaScript: ES modules only, one bundle function, every module node-tested."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from yushu_circle.errors import DataError
from yushu_circle.render import bundle as bundle_module
from yushu_circle.render.bundle import JS_DIR, bundle
from yushu_circle.render.elements import page_script
from yushu_circle.render.network_payload import engine_script

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted(p.name for p in JS_DIR.glob("*.mjs"))


def test_the_page_javascript_is_es_modules_only() -> None:
    assets = REPO / "yushu_circle" / "render" / "assets"
    assert sorted(p.name for p in assets.glob("*.js")) == []
    for name in MODULES:
        text = (JS_DIR / name).read_text(encoding="utf-8")
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
        assert "YushuMap" not in code and "(function ()" not in code, name  # no shared global
        assert text.startswith("// "), f"{name} opens with no line saying what it owns"


def test_every_module_is_imported_by_a_node_test() -> None:
    imported: set[str] = set()
    for path in (REPO / "tests" / "js").glob("*.mjs"):
        text = path.read_text(encoding="utf-8")
        imported |= set(re.findall(r"render/js/([\w.-]+\.mjs)", text))
    assert sorted(set(MODULES) - imported) == []


def test_the_map_page_script_holds_each_module_once_and_only_what_it_needs() -> None:
    live = page_script(live=True)
    plain = page_script(live=False)
    for name in MODULES:
        assert live.count(f"// --- {name}\n") <= 1, name
    assert "// --- engine.mjs" in live and "// --- engine.mjs" not in plain
    assert "yushuEngine" not in plain and 'window["yushuEngine"]' in live
    assert page_script(live=True) == live  # deterministic


def test_the_bundle_runs_and_keeps_each_module_s_names_its_own() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian package nodejs)")
    script = (
        "globalThis.window = globalThis;\n"
        + engine_script()
        + page_script(live=True)
        + "\nconsole.log(JSON.stringify([typeof yushuEngine.createEngine,"
        " typeof yushuEngine.decodePayload, typeof YushuMap.addLive, typeof YushuMap.start,"
        " typeof YushuMap.create]));\n"
    )
    done = subprocess.run(
        [node, "--input-type=commonjs", "-"], input=script, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '["function","function","function","function","function"]'


def _with_modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(bundle_module, "JS_DIR", tmp_path)
    bundle_module._source.cache_clear()


def test_the_bundle_wires_imports_and_renames(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _with_modules(
        monkeypatch,
        tmp_path,
        {
            "a.mjs": "// a\nconst hidden = 1;\nexport const ONE = hidden;\nexport { hidden };\n",
            "b.mjs": '// b\nimport {\n  ONE as uno,\n  hidden,\n} from "./a.mjs";\n'
            "const hidden2 = 2;\nexport function two() { return uno + hidden + hidden2 - 1; }\n",
        },
    )
    try:
        text = bundle({"G": ["b.mjs"]})
        assert text.index("// --- a.mjs") < text.index("// --- b.mjs")
        assert 'const { ONE: uno, hidden } = modules["a.mjs"];' in text
        assert 'window["G"] = Object.assign({}, modules["b.mjs"]);' in text
    finally:
        bundle_module._source.cache_clear()


@pytest.mark.parametrize(
    "source",
    [
        'import x from "./a.mjs";\n',
        'import * as a from "./a.mjs";\n',
        "export default function () {}\n",
        'import { x } from "leaflet";\n',
    ],
)
def test_the_bundle_refuses_forms_it_does_not_understand(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str
) -> None:
    _with_modules(monkeypatch, tmp_path, {"a.mjs": "export const x = 1;\n", "m.mjs": source})
    try:
        with pytest.raises(DataError, match="cannot bundle"):
            bundle({"G": ["m.mjs"]})
    finally:
        bundle_module._source.cache_clear()


def test_the_bundle_refuses_an_import_circle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _with_modules(
        monkeypatch,
        tmp_path,
        {
            "a.mjs": 'import { b } from "./b.mjs";\nexport const a = 1;\n',
            "b.mjs": 'import { a } from "./a.mjs";\nexport const b = 2;\n',
        },
    )
    try:
        with pytest.raises(DataError, match="import circle"):
            bundle({"G": ["a.mjs"]})
    finally:
        bundle_module._source.cache_clear()


def test_the_colour_ramps_are_defined_once_in_the_palette() -> None:
    from yushu_circle.render.palette import REACH_COLORS, RED_TO_GREEN

    ramp = {c.lower() for c in RED_TO_GREEN}
    reach = {c.lower() for c in REACH_COLORS.values()}
    package = REPO / "yushu_circle"
    found = []
    for path in [*package.rglob("*.py"), *package.rglob("*.mjs"), *package.rglob("*.js")]:
        if path.name == "palette.py":
            continue
        text = path.read_text(encoding="utf-8").lower()
        # The red-to-green ramp nowhere else; the reach colours nowhere in the page's code.
        wanted = ramp | (reach if path.suffix == ".mjs" else set())
        found += [f"{path.relative_to(REPO)}: {c}" for c in sorted(wanted) if c in text]
    assert found == []
