"""Plotting helpers: coverage numbers against brute force, and what the charts draw."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yushu_circle import Catalog
from yushu_circle.access import coverage_summary
from yushu_circle.errors import InputError
from yushu_circle.render import fonts, plots


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _access(minutes: dict[str, list[float]], population: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame({f"walk_min_{k}": v for k, v in minutes.items()})
    frame.insert(0, "population", population)
    return frame


def _brute_share(minutes: list[float], population: list[float], t: float) -> float:
    total = sum(population)
    inside = sum(p for m, p in zip(minutes, population, strict=True) if m == m and m <= t)
    return inside / total if total else 0.0


minute_values = st.one_of(st.floats(0, 40, allow_nan=False), st.just(float("nan")))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(minute_values, st.floats(0, 50, allow_nan=False)), max_size=30),
    grid=st.lists(st.floats(0, 45, allow_nan=False), min_size=1, max_size=6, unique=True),
)
def test_coverage_table_matches_a_brute_force_count(
    rows: list[tuple[float, float]], grid: list[float]
) -> None:
    minutes = [m for m, _ in rows]
    population = [p for _, p in rows]
    table = plots.coverage_curve_table(_access({"clinic": minutes}, population), minutes=grid)
    for t in grid:
        assert table.loc[t, "clinic"] == pytest.approx(_brute_share(minutes, population, t))


def test_coverage_table_counts_residences_without_weights() -> None:
    access = _access({"bank": [1.0, 4.0, np.nan, 9.0]}, [100.0, 1.0, 1.0, 1.0])
    table = plots.coverage_curve_table(access, minutes=[5.0], weight=None)
    assert table.loc[5.0, "bank"] == pytest.approx(2 / 4)


def test_coverage_table_at_the_levels_agrees_with_the_summary_table() -> None:
    rng = np.random.default_rng(7)
    catalog = Catalog.default()
    keys = catalog.keys[:4]
    minutes = {k: np.where(rng.random(50) < 0.1, np.nan, rng.uniform(0, 25, 50)) for k in keys}
    access = _access({k: list(v) for k, v in minutes.items()}, list(rng.integers(1, 40, 50)))
    summary = coverage_summary(access, catalog, {}, (5, 10, 15))
    table = plots.coverage_curve_table(access, keys, minutes=[5, 10, 15])
    for key in keys:
        for t in (5, 10, 15):
            assert table.loc[t, key] == pytest.approx(summary.loc[key, f"share_pop_{t}min"])


def test_histogram_bars_hold_the_reachable_population_and_clip_the_tail() -> None:
    access = _access({"kindergarten": [1.5, 2.5, 40.0, np.nan]}, [1.0, 2.0, 4.0, 8.0])
    ax = plots.walk_minutes_histogram(access, "kindergarten", max_minutes=10, bin_minutes=1)
    heights = [patch.get_height() for patch in ax.patches]
    assert len(heights) == 10
    assert heights[1] == 1.0 and heights[2] == 2.0
    assert heights[9] == 4.0  # 40 minutes falls in the last bin ("that or more")
    assert sum(heights) == 7.0  # the 8 unreachable residents are not drawn …
    assert "8 unreachable" in ax.get_legend().get_texts()[0].get_text()  # … but counted


def test_coverage_curve_ends_at_the_reachable_share() -> None:
    access = _access({"clinic": [2.0, 6.0, np.nan]}, [1.0, 1.0, 2.0])
    ax = plots.coverage_curves(access, ["clinic"], max_minutes=30)
    (line,) = ax.get_lines()[:1]
    x, y = line.get_xdata(), line.get_ydata()
    assert x[-1] == 30 and y[-1] == pytest.approx(0.5)
    assert y[np.searchsorted(x, 2.0)] == pytest.approx(0.25)


def test_profile_curves_draw_one_curve_per_profile() -> None:
    fast = _access({"market": [3.0, 8.0]}, [1.0, 1.0])
    slow = _access({"market": [6.0, 16.0]}, [1.0, 1.0])
    ax = plots.profile_curves({"adult": fast, "elderly": slow}, "market")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["adult", "elderly"]


def test_labels_fall_back_to_english_without_a_chinese_font(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    access = _access({"kindergarten": [1.0, 7.0]}, [1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn
        ax = plots.coverage_curves(access)
        ax.figure.canvas.draw()
    assert ax.get_legend().get_texts()[0].get_text() == "Kindergarten"


def test_residence_map_marks_unreachable_residences() -> None:
    access = gpd.GeoDataFrame(
        {"walk_min_clinic": [1.0, 5.0, np.nan], "population": [1.0, 1.0, 1.0]},
        geometry=gpd.points_from_xy([0, 1, 2], [0, 1, 2]),
        crs="EPSG:4326",
    )
    ax = plots.residence_minutes(access, "walk_min_clinic")
    offsets = [c.get_offsets() for c in ax.collections]
    assert sorted(len(o) for o in offsets) == [1, 2]  # 2 coloured, 1 cross


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: plots.coverage_curves(a, ["school"]), "'school'"),
        (lambda a: plots.coverage_curve_table(a, weight="people"), "'people'"),
        (lambda a: plots.walk_minutes_histogram(a, "clinic", bin_minutes=0), "bin_minutes=0"),
        (lambda a: plots.residence_minutes(a, "score"), "'score'"),
        (lambda a: plots.profile_curves({}, "clinic"), "no access tables"),
    ],
)
def test_bad_arguments_name_the_value(call: object, message: str) -> None:
    access = _access({"clinic": [1.0]}, [1.0])
    with pytest.raises(InputError, match=message):
        call(access)  # type: ignore[operator]


def test_negative_weights_are_refused() -> None:
    with pytest.raises(InputError, match="negative"):
        plots.coverage_curve_table(_access({"clinic": [1.0]}, [-1.0]))


# --- the PNG coverage maps (``yushu-circle map --png``) ----------------------------------


def test_png_maps_are_banded_titled_in_both_languages_and_fill_the_image(tmp_path: Path) -> None:
    import matplotlib.image

    from yushu_circle.render import png
    from yushu_circle.results import StudyResults

    rng = np.random.default_rng(7)
    count = 400
    minutes = rng.uniform(0, 40, count)
    residences = gpd.GeoDataFrame(
        {"residence_id": np.arange(count), "walk_min_clinic": minutes},
        geometry=gpd.points_from_xy(
            97.0 + rng.uniform(0, 0.02, count), 33.0 + rng.uniform(0, 0.01, count)
        ),
        crs="EPSG:4326",
    )
    facilities = gpd.GeoDataFrame(
        {"category": ["clinic"], "name": ["诊所"]},
        geometry=gpd.points_from_xy([97.01], [33.005]),
        crs="EPSG:4326",
    )
    meta = {"catalog": [{"key": "clinic", "name_zh": "诊所", "name_en": "Clinic", "level": 15}]}
    writers = png.png_writers(StudyResults(residences, facilities, pd.DataFrame(), meta))
    assert list(writers) == ["coverage_clinic.png"]
    path = tmp_path / "coverage_clinic.png"
    writers["coverage_clinic.png"](path)
    share = float((minutes <= 15).mean())
    title = png.title({"zh": "诊所", "en": "Clinic", "level": 15}, share)
    assert f"{share:.0%} of residences within 15 min" in title and "15 分钟内可达" in title
    image = matplotlib.image.imread(path)[..., :3]
    colours = {tuple(np.round(c * 255).astype(int)) for c in image.reshape(-1, 3)}
    for hex_colour in plots.MINUTE_COLORS:  # the five bands, exactly as on the HTML map
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, hex_colour
    # No blank band: the longest run of empty rows (or columns) is a thin margin.
    for axis in (1, 0):
        blank = image.min(axis=(axis, 2)) > 0.98
        longest = max(len(run) for run in "".join("1" if b else "0" for b in blank).split("0"))
        assert longest < 0.05 * len(blank), (axis, longest, len(blank))
