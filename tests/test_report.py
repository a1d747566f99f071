"""The bureau's report: report.pdf, report.docx and report.html of the README's planning example.

The document's structure is read back as a reader gets it — the PDF's text layer
(``pdftotext``, page by page), its fonts (``pdffonts``) and the Word file (python-docx) — and
checked against the plan's own CSV tables, not against the JSON the report was drawn from.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import SMALL_STANDARD

from yushu_circle import __version__

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
DATE = "2025-06-30"
WALKER = "步行者 Walker: 老年人 · elderly · 坡度 slope, 3.24 km/h"
_MAIN = "import sys; from yushu_circle.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's planning example (elderly walker, slope, three kindergartens), reported."""
    from yushu_circle._resources import data_path
    from yushu_circle.cli import main

    out = tmp_path_factory.mktemp("report") / "plan_demo"
    dem = data_path("demo", "jiegu_synthetic_dem.tif")
    argv = ["--quiet", "plan", "--standard", "gb50180", "--profile", "elderly", "--dem", str(dem)]
    assert main([*argv, "--site", "kindergarten", "--k", "3", "--out", str(out)]) == 0
    assert main(["report", str(out), "--date", DATE]) == 0
    return out


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # a form feed ends every page


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _failing_items(out: Path) -> pd.DataFrame:
    table = pd.read_csv(out / "compliance.csv", encoding="utf-8-sig")
    study = table[(table["area_kind"] == "study") & (table["row_kind"] == "item")]
    return study[(study["mark"] == "▲") & (study["share_pop"] < 1.0)]


def test_cover_contents_and_page_numbers(plan_dir: Path) -> None:
    pages = _pages(plan_dir / "report.pdf")
    total = len(pages)
    cover = _flat(pages[0])
    for field in ("15分钟生活圈规划评估报告", "区域 Area", "Jiegu, Yushu", "日期 Date", DATE):
        assert field in cover, field
    assert f"工具版本 Tool version yushu_circle {__version__}" in cover
    assert "数据来源 Source" in cover and "data/assumptions/capacity.toml" in cover
    assert "合成示例数据 SYNTHETIC demo data" in cover
    assert "page 1 of" not in cover  # the cover carries no number
    for number, page in enumerate(pages[1:], start=2):
        assert f"page {number} of {total}" in page, number
        assert f"第 {number} 页，共 {total} 页" in page
    # the contents: every entry's page is the page its heading opens
    entries = re.findall(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", pages[1], flags=re.MULTILINE)
    titles = [title for title, _ in entries]
    assert titles[0] == "1 主要结论 · Summary of findings"
    for wanted in ("2 区域与数据", "3 达标率", "4 地图", "5 选址与情景", "6 供需", "7 注意事项"):
        assert any(t.startswith(wanted) for t in titles), wanted
    assert any(t.startswith("附录 A") for t in titles) and any(
        t.startswith("附录 B") for t in titles
    )
    for title, page in entries:
        lines = [line.strip() for line in pages[int(page) - 1].splitlines()]
        assert title in lines, (title, page)


def test_summary_of_findings_is_written_from_the_numbers(plan_dir: Path) -> None:
    pages = _pages(plan_dir / "report.pdf")
    summary = next(p for p in pages[2:] if "主要结论 · Summary of findings" in p)
    text = _flat(summary)
    table = pd.read_csv(plan_dir / "compliance.csv", encoding="utf-8-sig")
    study = table[table["area_kind"] == "study"]
    population = float(study["population"].iloc[0])
    tolerance = 1e-4 * population + 1  # the CSV keeps four decimals of each share
    for row in study[study["row_kind"] == "level"].itertuples():
        minutes = int(row.level_min)
        found = re.search(rf"{minutes}-minute level: \S+ 达标 .*?; ([\d,]+) 人缺至少一项", text)
        assert found, minutes
        unserved = float(found.group(1).replace(",", ""))
        assert abs(unserved - population * (1 - row.share_pop)) <= tolerance
    worst = _failing_items(plan_dir).sort_values("share_pop", kind="stable").head(5)
    for row in worst.itertuples():
        found = re.search(rf"{re.escape(row.name_zh)} .*?: ([\d.]+)% 可达", text)
        assert found, row.name_zh
        assert abs(float(found.group(1)) - 100 * row.share_pop) <= 0.051
    # the three communities with the lowest mean share of ▲ items met, lowest first
    import geopandas as gpd

    areas = gpd.read_parquet(plan_dir / "compliance_areas.parquet")
    areas = areas[areas["area_kind"] != "study"].sort_values("mean_share", kind="stable")
    behind = text[text.index("Communities furthest behind") :]
    places = [behind.index(f"{name}: 平均满足") for name in areas["area"].head(3)]
    assert places == sorted(places)
    for row in areas.head(3).itertuples():
        assert f"{row.area}: 平均满足 {100 * row.mean_share:.1f}% 的▲项" in behind
    sites = pd.read_csv(plan_dir / "siting.csv")
    added = sites["added_population"].sum()
    assert f"（+{added:,.0f}）" in text and f"bring {added:,.0f} more people" in text
    assert "unverified" in text


def test_siting_table_gives_every_site_to_five_decimals(plan_dir: Path) -> None:
    pages = _pages(plan_dir / "report.pdf")
    page = next(p for p in pages[2:] if "选址表 · Table of sites" in p)
    sites = pd.read_csv(plan_dir / "siting.csv", dtype={"lon": str, "lat": str})
    assert len(sites) == 3
    for row in sites.itertuples():
        line = next((x for x in page.splitlines() if re.match(rf"\s*{row.rank}\s", x)), "").split()
        assert line[1] == f"{float(row.lon):.5f}" and line[2] == f"{float(row.lat):.5f}", line
        assert line[4] == f"{row.added_population:,.0f}"
        assert line[6] == f"{100 * row.share_pop_after:.1f}%"
    assert "Proposed sites: Kindergarten" in _flat(page)


def test_one_map_per_failing_required_item_the_sited_one_first(plan_dir: Path) -> None:
    text = _flat("".join(_pages(plan_dir / "report.pdf")))
    failing = _failing_items(plan_dir)
    assert len(failing) > 10
    titles = re.findall(r"：(\d+) 分钟覆盖率 · share within (\d+) min \(全区 study", text)
    assert len(titles) == len(failing)
    for row in failing.itertuples():
        level = f"{row.level_min:g}"
        assert re.search(
            rf"{re.escape(row.name_zh)} [^：]*：{level} 分钟覆盖率 · share within {level} min",
            text,
        ), row.name_zh
    first = text.index("分钟覆盖率 · share within")
    assert text.rfind("幼儿园 Kindergarten", 0, first) > text.rfind("Failing ▲ items", 0, first)
    html = (plan_dir / "report.html").read_text(encoding="utf-8")
    figures = html.count('<div class="figure">')
    assert figures == len(failing) + 3  # and the communities, the gaps, the sites
    assert html.count(WALKER) >= figures  # the walker named under every map
    assert "缺口：幼儿园 · Gaps: Kindergarten" in text and "未覆盖人口" in text
    assert (
        "比例尺 scale" in text
        and re.search(r"北 ?N", text)
        and "社区边界 community boundary" in text
    )
    maps = _flat(next(p for p in _pages(plan_dir / "report.pdf") if "分钟覆盖率 · share" in p))
    assert "示例社区A" in maps and "示例大道" in maps  # community and street names, as words


def test_every_font_is_embedded_and_one_draws_chinese(plan_dir: Path) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip("needs poppler-utils")
    lines = subprocess.run(
        ["pdffonts", str(plan_dir / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert lines
    assert all(re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", x) for x in lines)
    names = [line.split()[0] for line in lines]
    assert any(re.search(r"CJK|WenQuanYi|SourceHan|YaHei|SimHei|PingFang", n) for n in names)


def test_the_word_document_has_the_same_sections_tables_and_figures(plan_dir: Path) -> None:
    import docx

    document = docx.Document(str(plan_dir / "report.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    contents = re.findall(
        r"^\s*(\S.*?)\s*\.{4,}\s*\d+\s*$", _pages(plan_dir / "report.pdf")[1], flags=re.M
    )
    assert headings[0] == "目录 · Contents" and headings[1:] == contents
    html = (plan_dir / "report.html").read_text(encoding="utf-8")
    assert len(document.inline_shapes) == html.count('<div class="figure">')
    created = document.core_properties.created
    assert created is not None and created.date() == datetime.date.fromisoformat(DATE)
    # the per-item table: ⚠ exactly where the standard's row is unverified
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "▲/△")
    rows = pd.read_csv(plan_dir / "compliance.csv", encoding="utf-8-sig")
    items = rows[(rows["area_kind"] == "study") & (rows["row_kind"] == "item")]
    assert len(table.rows) == len(items) + 1
    for cells, row in zip(table.rows[1:], items.itertuples(), strict=True):
        assert row.name_zh in cells.cells[2].text
        assert ("⚠" in cells.cells[-1].text) == (not row.verified), row.requirement


@pytest.mark.slow
def test_the_same_plan_gives_the_same_bytes_under_any_hash_seed(tmp_path: Path) -> None:
    from yushu_circle.cli import main

    # A one-item standard: every part of the document (cover, tables, the item, gap and
    # sites maps, Word and HTML) in a few pages, written twice.
    standard = tmp_path / "kindergarten_only.toml"
    standard.write_text(SMALL_STANDARD, encoding="utf-8")
    plan = tmp_path / "plan"
    argv = ["--quiet", "plan", "--standard", str(standard), "--site", "kindergarten", "--k", "2"]
    assert main([*argv, "--out", str(plan)]) == 0
    day = datetime.datetime(2024, 3, 5, 12, 0)
    made = {}
    for seed in ("1", "2"):
        folder = tmp_path / f"seed{seed}"
        shutil.copytree(plan, folder)
        summary = folder / "plan_summary.json"
        os.utime(summary, (day.timestamp(), day.timestamp()))  # the plan's day, not today
        done = subprocess.run(
            [sys.executable, "-c", _MAIN, "report", str(folder)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        made[seed] = {n: (folder / n).read_bytes() for n in ("report.pdf", "report.docx")}
        made[seed]["html"] = (folder / "report.html").read_bytes()
    assert made["1"] == made["2"]
    cover = _flat(_pages(tmp_path / "seed1" / "report.pdf")[0])
    assert "2024-03-05 (规划计算日 the day the plan was written)" in cover


def test_a_bad_date_is_one_clear_line(cli, plan_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(plan_dir, folder)
    before = (folder / "report.pdf").read_bytes()
    result = cli("report", folder, "--date", "2025-13-01")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "--date '2025-13-01'" in lines[0] and "YYYY-MM-DD" in lines[0]
    assert (folder / "report.pdf").read_bytes() == before


def test_the_sparse_town_report_shows_children_and_the_elderly(tmp_path: Path) -> None:
    from yushu_circle import Study
    from yushu_circle.io import write_report
    from yushu_circle.options import AgeShares
    from yushu_circle.osm import sparse
    from yushu_circle.outputs import write_plan
    from yushu_circle.planning.plan import PlanOptions

    study = Study(
        sparse.sparse_town(),
        population_total=141_308,  # Yushu's 2020 census total and age shares, as in the README
        age_shares=AgeShares(children=0.277, elderly=0.061),
    )
    out = tmp_path / "sparse"
    write_plan(study, out, PlanOptions(site="kindergarten", k=1))
    write_report(out, datetime.date.fromisoformat(DATE))
    text = _flat("".join(_pages(out / "report.pdf")))
    assert "一老一小 · Children and the elderly" in text and "SYNTHETIC" in text
    table = pd.read_csv(out / "compliance.csv", encoding="utf-8-sig")
    groups = table[
        (table["area_kind"] == "study")
        & (table["row_kind"] == "item")
        & table["serves"].isin(["children", "elderly"])
    ]
    assert set(groups["serves"]) == {"children", "elderly"}
    assert {"kindergarten", "primary_school", "nursing_home"} <= set(groups["category"])
    for row in groups.itertuples():
        who = "儿童 children" if row.serves == "children" else "老年人 elderly"
        stated = f"{who}: {row.group_within:,.0f} / {row.group_people:,.0f} 人可达"
        assert stated in text, stated
    assert "一老一小 Group" in text  # the per-item table's column
    assert "sample points along residential streets" in text  # the caveat


def test_report_of_a_folder_that_is_no_plan_says_so(cli, tmp_path: Path) -> None:
    result = cli("report", tmp_path)
    assert result.code == 2
    assert "plan_summary.json" in result.err and "yushu-circle plan" in result.err
    assert not (tmp_path / "report.pdf").exists()


def test_a_city_of_streets_is_drawn_as_one_image_under_vector_words() -> None:
    import geopandas as gpd
    import shapely

    from yushu_circle.render.report_cartography import RASTER_STREETS, map_frame
    from yushu_circle.render.report_maps import MapWords, Marks, share_map
    from yushu_circle.results import PlanResults

    # a made-up grid of short streets, more than the vector limit, over two communities
    side = int((RASTER_STREETS + 2000) ** 0.5) + 1
    step = 0.0002
    lines = [
        shapely.LineString(
            [(97.0 + i * step, 33.0 + j * step), (97.0 + (i + 1) * step, 33.0 + j * step)]
        )
        for i in range(side)
        for j in range(side)
    ]
    streets = gpd.GeoDataFrame(
        {"kind": ["street"] * len(lines), "highway": "residential", "name": ""},
        geometry=lines,
        crs="EPSG:4326",
    )
    edge = 97.0 + side * step
    top = 33.0 + side * step
    areas = gpd.GeoDataFrame(
        {
            "area": ["全部 all", "示例西区 West (synthetic)", "示例东区 East (synthetic)"],
            "area_kind": ["study", "place", "place"],
            "share": [0.5, 0.2, 0.8],
        },
        geometry=[
            shapely.box(97.0, 33.0, edge, top),
            shapely.box(97.0, 33.0, (97.0 + edge) / 2, top),
            shapely.box((97.0 + edge) / 2, 33.0, edge, top),
        ],
        crs="EPSG:4326",
    )
    plan = PlanResults(
        summary={"synthetic": True}, compliance=areas[["area"]], areas=areas, streets=streets
    )
    words = MapWords("title 标题", "caption", "share (%)")
    view = map_frame(plan, "步行者 Walker: test")
    assert view.streets is not None and len(view.streets) > RASTER_STREETS
    drawn = share_map(view, "share", words, Marks())
    few = dataclasses.replace(view, streets=view.streets.head(100))
    svg = drawn.svg.decode("utf-8")
    # the streets, one picture more than the same map with streets few enough to stay lines
    assert svg.count("<image") == share_map(few, "share", words, Marks()).svg.count(b"<image") + 1
    assert "示例西区" in svg and "比例尺 scale" in svg  # the words stay text
    assert len(drawn.svg) < 3_000_000
