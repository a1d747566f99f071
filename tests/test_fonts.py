"""One CJK font for every figure: found on a machine with Noto CJK only, said missing once.

Each case runs the real command in a child process on a machine state made for it: a
fontconfig configuration listing only some font folders (what ``fc-list`` and the PDF
renderer see), and matplotlib's font list, built afresh, cut down to those folders and its
own fonts — so WenQuanYi, installed on this machine, is really absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SMALL_STANDARD

from yushu_circle.render.fonts import CJK_FONT_ENV

NOTO = sorted(Path("/usr/share/fonts").rglob("NotoSansCJK*-Regular.tt[cf]"))
WQY = sorted(Path("/usr/share/fonts").rglob("wqy-microhei.tt[cf]"))
DEJAVU = sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"))
MISSING = "no Chinese (CJK) font found"
pytestmark = [
    pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils"),
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="needs fontconfig"),
]
_MAIN = "import sys; from yushu_circle.cli import main; sys.exit(main(sys.argv[1:]))"
# Run first in the child: matplotlib knows only its own fonts and the machine's folders.
_ONLY = """
import os
from pathlib import Path
import matplotlib
from matplotlib import font_manager as fm
roots = [Path(matplotlib.get_data_path())] + [
    Path(d) for d in os.environ["TEST_FONT_DIRS"].split(os.pathsep) if d
]
def allowed(path):
    return any(root in Path(path).parents for root in roots)
fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if allowed(f.fname)]
fm.fontManager._findfont_cached.cache_clear()
_system = fm.findSystemFonts
fm.findSystemFonts = lambda *a, **k: [p for p in _system(*a, **k) if allowed(p)]
"""


def _machine(tmp_path: Path, fonts: list[Path], name: str) -> dict[str, str]:
    """Environment of a machine whose only fonts are in the folders of ``fonts``."""
    home = tmp_path / name
    home.mkdir()
    folders = sorted({str(f.parent) for f in fonts})
    conf = home / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        + "".join(f"  <dir>{d}</dir>\n" for d in folders)
        + f"  <cachedir>{home / 'fc-cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != CJK_FONT_ENV}
    env.update(
        FONTCONFIG_FILE=str(conf),
        MPLCONFIGDIR=str(home / "mpl"),
        MPLBACKEND="Agg",
        TEST_FONT_DIRS=os.pathsep.join(folders),
    )
    listed = subprocess.run(
        ["fc-list", "--format=%{file}\\n"], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert listed and {str(Path(f).parent) for f in listed} <= set(folders)
    return env


def _yushu(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    # --debug: Python's warnings (a missing glyph is one) reach stderr, as they would not in
    # a normal run
    return subprocess.run(
        [sys.executable, "-c", _ONLY + _MAIN, "--debug", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _pdffonts(pdf: Path) -> list[str]:
    lines = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    return [line.split()[0] for line in lines]


def _no_font_complaints(stderr: str) -> None:
    assert "findfont" not in stderr  # matplotlib asked for a family it does not have
    assert "missing from font" not in stderr  # a glyph drawn as a box
    assert MISSING not in stderr


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from yushu_circle.cli import main

    # A one-item standard: the report keeps every kind of figure (its item map, the gap map,
    # the sites) in a few pages, so three machine states cost one full report's time.
    folder = tmp_path_factory.mktemp("fonts")
    standard = folder / "kindergarten_only.toml"
    standard.write_text(SMALL_STANDARD, encoding="utf-8")
    out = folder / "plan"
    args = ["--quiet", "plan", "--standard", str(standard), "--site", "kindergarten", "--k", "2"]
    assert main([*args, "--out", str(out)]) == 0
    return out


@pytest.mark.skipif(not NOTO, reason="needs fonts-noto-cjk")
def test_a_figure_finds_noto_cjk_where_wenquanyi_is_absent(tmp_path: Path) -> None:
    env = _machine(tmp_path, NOTO + DEJAVU, "noto")
    script = (
        "import sys, warnings\n"
        "warnings.simplefilter('always')\n"
        "import matplotlib.pyplot as plt\n"
        "from matplotlib import font_manager\n"
        "from yushu_circle.render import fonts\n"
        "assert not any('wqy' in f.fname for f in font_manager.fontManager.ttflist)\n"
        "font = fonts.cjk_font()\n"
        "print(font.family, font.path)\n"
        "with fonts.figure_fonts():\n"
        "    fig, ax = plt.subplots()\n"
        "    ax.set_title(fonts.legible('幼儿园 kindergarten 5 分钟覆盖率 share within 5 min'))\n"
        "    ax.annotate('示例社区A 45.3%', (0.5, 0.5))\n"
        "    fig.savefig(sys.argv[1] + '.pdf')\n"
        "    fig.savefig(sys.argv[1] + '.png')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", _ONLY + script, str(tmp_path / "figure")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    family, path = done.stdout.split("\n")[0].rsplit(" ", 1)
    assert family == "Noto Sans CJK SC" and Path(path) in NOTO
    _no_font_complaints(done.stderr)
    embedded = _pdffonts(tmp_path / "figure.pdf")
    assert any("NotoSansCJK" in f for f in embedded), embedded
    assert not any("WenQuanYi" in f for f in embedded)
    assert (tmp_path / "figure.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(not NOTO, reason="needs fonts-noto-cjk")
def test_report_and_pngs_use_noto_cjk_where_wenquanyi_is_absent(
    tmp_path: Path, plan_dir: Path, good_out: Path
) -> None:
    env = _machine(tmp_path, NOTO + DEJAVU, "noto")
    folder = tmp_path / "plan"
    shutil.copytree(plan_dir, folder)
    done = _yushu(env, "report", folder)
    assert done.returncode == 0, done.stderr
    _no_font_complaints(done.stderr)
    embedded = _pdffonts(folder / "report.pdf")
    assert any(re.search(r"Noto-?Sans-?CJK", f) for f in embedded), embedded
    assert not any("WenQuanYi" in f for f in embedded)
    text = subprocess.run(
        ["pdftotext", str(folder / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    # a figure's title: the maps' words are text in the PDF, drawn with the CJK font
    assert re.search(r"分钟覆盖率 · share within \d+ min", text)
    assert "示例社区A" in text and "比例尺 scale" in text  # the maps' own words
    done = _yushu(env, "map", good_out, "--png", "--category", "clinic")
    assert done.returncode == 0, done.stderr
    _no_font_complaints(done.stderr)
    assert (good_out / "png" / "coverage_clinic.png").read_bytes().startswith(b"\x89PNG")


def test_without_a_cjk_font_the_command_says_so_once_and_still_writes(
    tmp_path: Path, plan_dir: Path, good_out: Path
) -> None:
    env = _machine(tmp_path, DEJAVU, "latin") if DEJAVU else None
    if env is None:
        pytest.skip("needs DejaVu Sans in /usr/share/fonts for a font-less fontconfig")
    folder = tmp_path / "plan"
    shutil.copytree(plan_dir, folder)
    done = _yushu(env, "report", folder)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if MISSING in line]
    assert len(said) == 1, done.stderr
    assert "apt install fonts-noto-cjk" in said[0] and CJK_FONT_ENV in said[0]
    assert "findfont" not in done.stderr and "missing from font" not in done.stderr
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(folder / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    # a figure's title, its English half only: no boxes where Chinese was
    assert re.search(r"Kindergarten ⚠ 5 · share within 5 min \(study [\d.]+%\)", text)
    done = _yushu(env, "map", good_out, "--png", "--category", "clinic")
    assert done.returncode == 0, done.stderr
    assert sum(MISSING in line for line in done.stderr.splitlines()) == 1
    assert "missing from font" not in done.stderr
    assert (good_out / "png" / "coverage_clinic.png").is_file()


@pytest.mark.skipif(not WQY, reason="needs fonts-wqy-microhei")
def test_a_font_file_named_by_the_environment_is_used(tmp_path: Path, plan_dir: Path) -> None:
    env = _machine(tmp_path, DEJAVU or WQY, "given")
    env[CJK_FONT_ENV] = str(WQY[0])
    folder = tmp_path / "plan"
    shutil.copytree(plan_dir, folder)
    done = _yushu(env, "report", folder)
    assert done.returncode == 0, done.stderr
    _no_font_complaints(done.stderr)
    embedded = _pdffonts(folder / "report.pdf")
    assert any("WenQuanYi" in f for f in embedded), embedded


def test_a_missing_font_file_in_the_environment_is_a_clear_error(
    tmp_path: Path, plan_dir: Path
) -> None:
    env = dict(os.environ, **{CJK_FONT_ENV: str(tmp_path / "nowhere.ttf")})
    folder = tmp_path / "plan"
    shutil.copytree(plan_dir, folder)
    done = subprocess.run(
        [sys.executable, "-c", _MAIN, "report", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2
    assert CJK_FONT_ENV in done.stderr and "nowhere.ttf" in done.stderr
    assert not (folder / "report.pdf").exists()
