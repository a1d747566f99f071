"""Write the analysts' notebooks (outputs stripped) from the cell sources below.

Run ``python notebooks/_make_notebooks.py`` after editing a cell here; commit the
regenerated ``.ipynb`` files. ``tests/test_notebooks.py`` checks they are in sync.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SYNTHETIC_NOTE = """\
if study.synthetic:
    display(Markdown(
        "> **⚠ 示例数据 · Synthetic demo data** — this town, its streets, names and numbers "
        "are made up (a synthetic town placed at Jiegu 结古, Yushu). Do not read them as "
        "facts about the real Yushu. 本示例为合成数据，不代表玉树市实际情况。"
    ))
print(study.data.label)"""

LOAD_STUDY = '''\
def load_study(source: str, speed_kmh: float) -> Study:
    """The demo, a local OSM file, or a place name fetched from Overpass (needs internet)."""
    options = StudyOptions(speed_kmh=speed_kmh)
    if source == "demo":
        return Study.demo(options=options)
    if Path(source).exists():
        return Study.from_osm_file(source, options=options)
    return Study.from_place(source, options=options)


study = load_study(SOURCE, SPEED_KMH)'''

QUICKSTART = [
    (
        "md",
        """\
# 快速上手 · Quickstart: the 15-minute living circle (15分钟生活圈)

Load an area, compute walk minutes from every residence to the nearest facility of every
category, look at the planner's map and the coverage table, and write the output files.

By default this runs on the embedded **synthetic demo town (示例数据)** at Jiegu (结古),
Yushu: it runs offline, and its streets, names and numbers are made up. To run on
another area, change the parameters cell or run
`papermill 01_quickstart.ipynb out.ipynb -p SOURCE path/to/area.osm.pbf -p OUT out/`.""",
    ),
    (
        "params",
        """\
SOURCE = "demo"  # "demo", an OSM file (.osm, .osm.bz2, .osm.pbf) or a place name (needs internet)
OUT = "yushu_circle_out/quickstart"  # folder for map.html, residences.parquet, summary.csv, …
SPEED_KMH = 4.0  # walking speed on the flat, km/h
ISOCHRONES = False  # True adds every residence's 5/10/15-min reach to the map (minutes of work)""",
    ),
    (
        "code",
        """\
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

import yushu_circle
from yushu_circle import Study, StudyOptions, write_study

pd.set_option("display.max_columns", 30)
print("yushu_circle", yushu_circle.__version__)""",
    ),
    ("md", "## 1. 载入 · Load the area"),
    ("code", LOAD_STUDY),
    ("code", SYNTHETIC_NOTE),
    (
        "code",
        """\
print(f"walk network: {study.network.node_count:,} nodes, {study.network.edge_count:,} edges")
print(f"residences: {len(study.residences):,}; facilities: {len(study.facilities):,}")
study.facilities["category"].value_counts().rename("facilities").to_frame().T""",
    ),
    (
        "md",
        """\
## 2. 步行时间 · Walk minutes

`Study.access()` returns one row per residence: `residence_id`, `population`, `snap_m`
(metres to the nearest street), `on_network`, `walk_min_<category>` (minutes to the nearest
facility of that category, NaN where unreachable) and `score` (share of the standard's
categories reached within their life-circle level). `help(Study.access)` has the details.""",
    ),
    (
        "code",
        """\
access = study.access()
access.head()""",
    ),
    (
        "md",
        """\
## 3. 覆盖率汇总 · Coverage summary

Per category: facility count, share of residences and of population within 5/10/15 minutes,
median and 90th-percentile walk minutes.""",
    ),
    (
        "code",
        """\
summary = study.summary()
summary""",
    ),
    (
        "md",
        """\
## 4. 输出与地图 · Outputs and the planner's map

`write_study` writes the output contract (`map.html`, `residences.parquet`,
`facilities.parquet`, `summary.csv`, `summary.json`, …) into `OUT`. With `ISOCHRONES = True`
`map.html` also holds each residence's 5/10/15-minute walking reach (click a residence),
which takes minutes to compute on the demo.""",
    ),
    (
        "code",
        """\
written = write_study(study, OUT, isochrones=ISOCHRONES)
for path in written:
    print(path)""",
    ),
    (
        "md",
        """\
`study.explore()` is the planner's map as a `folium.Map`, shown inline: the same map as
`map.html`, with every asset inside it, so it works offline. Click a residence for its walk
minutes (and isochrones, when computed); pick a category and "only residences beyond N min"
in the panel. Pass `isochrones=study.isochrones()` to carry the 5/10/15-minute areas.""",
    ),
    (
        "code",
        """\
study.explore()""",
    ),
    (
        "md",
        """\
It is a folium map: add your own layers to it, and they appear in its layer control.""",
    ),
    (
        "code",
        """\
import folium

fmap = study.explore(category="clinic")
worst_served = folium.FeatureGroup(name="最差的 10 个居住点 · 10 worst-served residences")
for row in study.access().nsmallest(10, "score").itertuples():
    folium.CircleMarker(
        [row.geometry.y, row.geometry.x], radius=12, color="#000000", weight=3, fill=False
    ).add_to(worst_served)
worst_served.add_to(fmap)
fmap""",
    ),
]

ACCESSIBILITY = [
    (
        "md",
        """\
# 可达性分析 · Accessibility: distributions, coverage curves, walkers, worst served

How long do residents walk to each kind of facility? Which share of residents
(population-weighted) is covered at each minute? How much worse is it for an elderly
walker, a child or a wheelchair user? Which residences are served worst?

Runs on the embedded **synthetic demo town (示例数据)** by default.""",
    ),
    (
        "params",
        """\
SOURCE = "demo"  # "demo", an OSM file or a place name (needs internet)
SPEED_KMH = 4.0  # adult walking speed on the flat, km/h
MAX_MINUTES = 30.0  # right end of the charts
PROFILES = ["adult", "elderly", "child", "wheelchair"]  # walker profiles to compare
PROFILE_CATEGORIES = ["kindergarten", "clinic", "market"]  # categories for the profile charts
DEM = "demo"  # elevation GeoTIFF for slope-aware times ("demo": the demo's own; None: flat)
WORST = 15  # how many worst-served residences to list""",
    ),
    (
        "code",
        """\
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from yushu_circle import Study, StudyOptions, profiles
from yushu_circle.access import coverage_summary
from yushu_circle.osm.sources import demo_dem_path
from yushu_circle.render import plots

pd.set_option("display.max_columns", 30)
%matplotlib inline""",
    ),
    ("code", LOAD_STUDY),
    ("code", SYNTHETIC_NOTE),
    (
        "code",
        """\
access = study.access()
catalog = study.catalog
keys = [c.key for c in catalog if f"walk_min_{c.key}" in access]
print(f"{len(access):,} residences, {access['population'].sum():,.0f} residents, "
      f"{len(keys)} categories")""",
    ),
    (
        "md",
        """\
## 1. 步行时间分布 · Walk-minute distributions per category

Bars are residents (population-weighted); the dashed line is the category's
life-circle level (5, 10 or 15 minutes); the last bin holds everyone at
`MAX_MINUTES` or more.""",
    ),
    (
        "code",
        """\
columns = 3
rows = int(np.ceil(len(keys) / columns))
fig, axes = plt.subplots(rows, columns, figsize=(15, 3.2 * rows), sharex=True, layout="constrained")
for ax, key in zip(axes.flat, keys):
    plots.walk_minutes_histogram(access, catalog[key], ax=ax, max_minutes=MAX_MINUTES)
    ax.set_xlabel("")
for ax in list(axes.flat)[len(keys):]:
    ax.set_visible(False)
fig.supxlabel("walk minutes to the nearest facility")
plt.show()""",
    ),
    (
        "md",
        """\
## 2. 累计覆盖曲线 · Cumulative coverage curves (population-weighted)

Share of residents who reach the nearest facility of a category within *t* minutes,
one panel per group; dotted lines mark 5, 10 and 15 minutes. A curve that levels off
below 1 means some residents cannot reach that category at all.""",
    ),
    (
        "code",
        """\
GROUP_NAMES = {"education": "教育", "health": "医疗卫生", "commerce": "商业服务", "sport": "体育",
               "green": "公园绿地", "elderly": "养老", "community": "社区服务", "transport": "交通"}
groups = {}
for category in catalog:
    if category.key in keys:
        groups.setdefault(category.group, []).append(category.key)
fig, axes = plt.subplots(
    int(np.ceil(len(groups) / 2)), 2, figsize=(14, 4 * int(np.ceil(len(groups) / 2))),
    layout="constrained", squeeze=False,
)
for ax, (group, members) in zip(axes.flat, groups.items()):
    plots.coverage_curves(access, members, ax=ax, catalog=catalog, max_minutes=MAX_MINUTES)
    ax.set_title(f"{GROUP_NAMES.get(group, '')} {group}".strip(), **plots.text_font())
for ax in list(axes.flat)[len(groups):]:
    ax.set_visible(False)
plt.show()""",
    ),
    (
        "code",
        """\
# The numbers behind the curves: share of residents within 5, 10, 15 minutes.
plots.coverage_curve_table(access, keys, minutes=[5, 10, 15]).T.style.format("{:.0%}")""",
    ),
    (
        "md",
        """\
## 3. 不同步行者 · Walker profiles compared

The same residences and facilities, walked by different people: `profiles.PROFILES`
gives each profile's flat speed and its source (an *assumption* is flagged as one);
wheelchair users cannot take steps. With a DEM (`DEM`), every profile's times also follow
Tobler's hiking function of the slope, uphill slower than downhill, so "adult + slope"
differs from the flat adult of the charts above.""",
    ),
    (
        "code",
        """\
pd.DataFrame(
    [(p.name, p.name_zh, p.speed_kmh or study.network.speed_kmh, p.avoid_steps, p.source)
     for p in map(profiles.get_profile, PROFILES)],
    columns=["profile", "名称", "speed_kmh", "avoids_steps", "source"],
)""",
    ),
    (
        "code",
        """\
if DEM == "demo":  # the DEM shipped with the synthetic demo town
    DEM = demo_dem_path() if study.synthetic else None
elevation = profiles.node_elevations(study.network, DEM) if DEM else None

accesses = {}
for name in PROFILES:
    profile = profiles.get_profile(name)
    network = profiles.profile_network(study.network, profile, elevation=elevation)
    label = profile.label + (" + slope 坡度" if elevation is not None else "")
    accesses[label] = study.access(network=network)

fig, axes = plt.subplots(1, len(PROFILE_CATEGORIES), figsize=(5 * len(PROFILE_CATEGORIES), 4),
                         layout="constrained", squeeze=False)
for ax, key in zip(axes.flat, PROFILE_CATEGORIES):
    plots.profile_curves(accesses, key, ax=ax, catalog=catalog, max_minutes=MAX_MINUTES)
plt.show()""",
    ),
    (
        "code",
        """\
# Share of residents reaching each category within its life-circle level, per profile.
counts = study.facilities["category"].value_counts().to_dict()
within_level = {}
for label, frame in accesses.items():
    table = coverage_summary(frame, catalog, counts)
    within_level[label] = [
        table.loc[key, f"share_pop_{catalog[key].level}min"] for key in keys
    ]
pd.DataFrame(within_level, index=keys).style.format("{:.0%}")""",
    ),
    (
        "md",
        """\
## 4. 服务最差的住宅 · The worst-served residences

Sorted by `score` (share of the standard's categories within their level), then by the
mean walk time over all categories. `missing` lists the categories not reached within
their level.""",
    ),
    (
        "code",
        """\
levels = {key: catalog[key].level for key in keys}
minutes = access[[f"walk_min_{key}" for key in keys]]
ranked = access.assign(
    mean_walk_min=minutes.mean(axis=1),
    missing=[
        ", ".join(k for k in keys if not row[f"walk_min_{k}"] <= levels[k])
        for _, row in access.iterrows()
    ],
)
worst = ranked.sort_values(["score", "mean_walk_min"], ascending=[True, False]).head(WORST)
worst[["residence_id", "population", "score", "mean_walk_min", "snap_m", "missing"]]""",
    ),
    (
        "code",
        """\
fig, ax = plt.subplots(figsize=(10, 7))
plots.residence_minutes(access, "score", ax=ax, edges=study.network.edges_frame())
worst.plot(ax=ax, facecolor="none", edgecolor="red", markersize=80, linewidth=1.5)
ax.set_title("score (red rings: the worst served)")
plt.show()""",
    ),
    (
        "md",
        """\
The same, interactive: the planner's map of the study (`study.explore()`), on the score
view; click a residence to see its walk minutes to every category.""",
    ),
    (
        "code",
        """\
study.explore()""",
    ),
]

PLANNING = [
    (
        "md",
        """\
# 规划分析 · Planning: compliance, gaps, siting a kindergarten, what-if

Which communities (社区) meet the life-circle standard (GB 50180-2018 by default), where
the unserved residents cluster, where new kindergartens would bring the most people
within 5 minutes, and what the town looks like before and after building them.

Runs on the embedded **synthetic demo town (示例数据)** by default. The standard's rows
carry whether they were read in the standard or recalled (`verified`): check the
unverified ones before citing a number.""",
    ),
    (
        "params",
        """\
SOURCE = "demo"  # "demo", an OSM file or a place name (needs internet)
SPEED_KMH = 4.0  # walking speed on the flat, km/h
STANDARD = "gb50180"  # "gb50180", "tdt1062" or a standards TOML file
AREAS = None  # 社区 boundaries file (polygons with a name column); None: named OSM areas
AREA_KIND = "admin"  # which OSM areas to tabulate: "admin", "residential" or "place"
SITE_CATEGORY = "kindergarten"  # the category to site new facilities for
K = 2  # how many new sites
METHOD = "greedy"  # "greedy" or "milp" (exact)
OUT = "yushu_circle_out/planning"  # folder for the what-if outputs
# Section 5 (a town with streets but no buildings): Yushu city's 2020 census population and
# its 0-14 and 65+ shares (tudigong, from the census: ../shared/data/yushu/PROVENANCE.md)
POPULATION_TOTAL = 141_308
AGE_SHARES = "0-14=0.277,65+=0.061"  # or a file of AGES,SHARE lines""",
    ),
    (
        "code",
        """\
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from yushu_circle import Study, StudyOptions, planning, write_study
from yushu_circle.render import plots

pd.set_option("display.max_columns", 30)
%matplotlib inline""",
    ),
    ("code", LOAD_STUDY),
    ("code", SYNTHETIC_NOTE),
    (
        "md",
        """\
## 1. 达标率 · Compliance per community

`planning.compliance` checks every residence against each required (▲) row of the
standard, then tabulates per area: the share of the population within each row's
threshold, and the `overall` 达标率 (share meeting *every* assessed required row).""",
    ),
    (
        "code",
        """\
result = planning.compliance(study, STANDARD, areas=AREAS)
table = result.table
if AREAS is None:
    table = table[table["area_kind"].isin([AREA_KIND, "study"])]
by_area = table.pivot_table(index="requirement", columns="area", values="share_pop", sort=False)
print(f"{len(result.assessed)} rows assessed, {len(result.unverified)} of them unverified "
      f"(from recollection); {len(result.skipped)} not assessed (no data)")
by_area.style.format("{:.0%}").background_gradient(cmap="RdYlGn", vmin=0, vmax=1)""",
    ),
    (
        "code",
        """\
areas = result.areas
if AREAS is None:
    areas = areas[areas["area_kind"] == AREA_KIND]
fig, ax = plt.subplots(figsize=(10, 6))
areas.plot(ax=ax, column="mean_share", cmap="RdYlGn", vmin=0, vmax=1, legend=True,
           edgecolor="black", linewidth=0.5)
study.network.edges_frame().plot(ax=ax, color="#999999", linewidth=0.4)
for row in areas.itertuples():
    point = row.geometry.representative_point()
    ax.annotate(row.area.split(" ")[0], (point.x, point.y), ha="center", **plots.text_font())
ax.set_title("mean share of required rows met, per area", **plots.text_font())
ax.set_axis_off()
plt.show()""",
    ),
    (
        "code",
        """\
# Does the data hold enough facilities? Thin categories likely understate coverage.
planning.completeness(study)[["name_zh", "name_en", "facilities", "expected_min", "thin",
                              "warning"]]""",
    ),
    (
        "md",
        """\
## 2. 服务缺口 · Gaps

Residents beyond each category's threshold (its life-circle level), and where they
cluster: nearby unserved residences are grouped into one polygon.""",
    ),
    (
        "code",
        """\
gaps = planning.gaps(study)
gaps.table.sort_values("share_pop_unserved", ascending=False)""",
    ),
    (
        "code",
        """\
access = study.access()
edges = study.network.edges_frame()
fig, ax = plt.subplots(figsize=(10, 7))
plots.residence_minutes(access, f"walk_min_{SITE_CATEGORY}", ax=ax, edges=edges)
clusters = gaps.clusters[gaps.clusters["category"] == SITE_CATEGORY]
clusters.plot(ax=ax, facecolor="none", edgecolor="red", linewidth=1.5)
ax.set_title(f"{SITE_CATEGORY}: walk minutes; red outline = beyond "
             f"{study.catalog[SITE_CATEGORY].level} min")
plt.show()""",
    ),
    (
        "md",
        """\
## 3. 新设施选址 · Siting new facilities

`planning.site_facilities` picks `K` sites (network nodes by default, or your candidate
lots) that bring the most residents within the category's threshold: greedily (fast,
at least 63 % of the optimum) or exactly (`METHOD = "milp"`). It maximizes the number of
residents brought in range, so a small, cut-off community can stay unserved: check the
gap map above, and pass your own candidate lots (`candidates=`) where equity matters.""",
    ),
    (
        "code",
        """\
siting = planning.site_facilities(study, SITE_CATEGORY, k=K, method=METHOD)
print(f"{SITE_CATEGORY}: {siting.share_before:.1%} of residents within "
      f"{siting.threshold_min:g} min today, {siting.share_after:.1%} with {K} new site(s) "
      f"({siting.candidates:,} candidates, {METHOD})")
siting.sites""",
    ),
    (
        "md",
        """\
## 4. 情景对比 · What-if: before and after

Add the chosen sites to the study (`Study.with_facilities`; nothing else is recomputed),
compare walk minutes residence by residence (`planning.compare`), and map the change.""",
    ),
    (
        "code",
        """\
after = study.with_facilities(added=siting.as_facilities())
diff = planning.compare(study, after)
diff.summary""",
    ),
    (
        "code",
        """\
column = f"walk_min_{SITE_CATEGORY}"
vmax = float(access[column].quantile(0.95))
fig, axes = plt.subplots(1, 3, figsize=(18, 6), layout="constrained")
plots.residence_minutes(access, column, ax=axes[0], edges=edges, vmax=vmax)
axes[0].set_title("before 现状", **plots.text_font())
plots.residence_minutes(after.access(), column, ax=axes[1], edges=edges, vmax=vmax)
siting.sites.plot(ax=axes[1], color="blue", marker="*", markersize=250)
axes[1].set_title("after 新增选址后 (blue stars: new sites)", **plots.text_font())
saved = diff.residences.assign(saved_min=-diff.residences[f"delta_min_{SITE_CATEGORY}"])
plots.residence_minutes(saved, "saved_min", ax=axes[2], edges=edges)
axes[2].set_title("minutes saved 节省的步行分钟", **plots.text_font())
plt.show()""",
    ),
    (
        "code",
        """\
# The scenario's outputs (map.html, parquet, summary) for the planners; the note names the change.
written = write_study(after, OUT, isochrones=False)
print("\\n".join(map(str, written)))
print(after.notes[-1])""",
    ),
    (
        "md",
        """\
The scenario on the planner's map, opened on the sited category: the new sites are among
its facilities (click one), and the residences show their walk minutes after the change.""",
    ),
    (
        "code",
        """\
after.explore(category=SITE_CATEGORY)""",
    ),
    (
        "md",
        """\
## 5. 只有街道的城镇 · A town with streets but no buildings (一老一小)

Real OSM of Jiegu maps its streets but almost none of its buildings (4 within 1 km of the
结古街道 seat, against 242 street segments). There every residence is a **sample point
along a residential street**, and the tool says so. A known total — the census — is spread
over them by street length, and the census age shares give each residence its children and
its elderly, so the items meant for them (kindergarten, primary school, elderly day care,
nursing home: the catalog's `serves`) are scored against **their** people.

This section runs on a small **synthetic sparse town (示例数据)** shaped like Jiegu's OSM:
5 residential streets, 4 huts, one kindergarten, one primary school, one clinic, two shops,
no elderly care. The census figures are Yushu city's; the town is made up.""",
    ),
    (
        "code",
        """\
from yushu_circle.options import parse_age_shares
from yushu_circle.osm.sparse import sparse_town

sparse = Study(sparse_town(), population_total=POPULATION_TOTAL,
               age_shares=parse_age_shares(AGE_SHARES))
display(Markdown("> **⚠ 示例数据 · Synthetic sparse town** — made up, shaped like Jiegu's "
                 "OSM (streets, few buildings). 本节城镇为合成数据。"))
print(sparse.residence_source)""",
    ),
    (
        "code",
        """\
# Whom each item serves, how many of them there are, and how many live within its level.
groups = sparse.summary()[["name_zh", "level_min", "facilities", "serves", "group_people",
                           "group_within_level", "share_group_within_level"]]
groups[groups["serves"] != "all"].round(1)""",
    ),
    (
        "code",
        """\
# 一老一小 in the compliance table: the kindergarten counted in children, elderly care in elders.
rows = planning.compliance(sparse, STANDARD).table
rows = rows[(rows["area"] == "全部 all") & (rows["row_kind"] == "item") & (rows["serves"] != "all")]
rows[["requirement", "serves", "population", "share_pop", "group_people", "group_within",
      "share_group"]].round(3)""",
    ),
]


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook from (kind, source) pairs; ``params`` cells are tagged ``parameters``."""
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, (kind, source) in enumerate(cells):
        if kind == "md":
            cell = new_markdown_cell(source)
        else:
            cell = new_code_cell(source)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
        cell["id"] = f"cell-{index:02d}"
        notebook.cells.append(cell)
    return notebook


NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_accessibility.ipynb": ACCESSIBILITY,
    "03_planning.ipynb": PLANNING,
}


def render(name: str) -> str:
    """The stored text of one notebook."""
    return nbformat.writes(build(NOTEBOOKS[name])) + "\n"


def main() -> int:
    """Write every notebook next to this script; ``--check`` only reports stale ones."""
    check = "--check" in sys.argv[1:]
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
            if not check:
                path.write_text(text, encoding="utf-8")
    if check and stale:
        print("stale notebooks (run python notebooks/_make_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
