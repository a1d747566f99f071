"""Results as values: what a study or a plan computed, handed on to the maps, the report and io.

The seam between computing and showing. :meth:`yushu_circle.study.Study.results` builds a
:class:`StudyResults` once, :func:`yushu_circle.planning.plan.plan_results` a
:class:`PlanResults`; :mod:`yushu_circle.io` writes them into an output folder and reads
them back (:func:`yushu_circle.io.read_results`, :func:`yushu_circle.io.read_plan`), and
:mod:`yushu_circle.render` draws them. Nothing here computes a walk search.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from yushu_circle.results.files import PlanFile, StudyFile, coverage_png

__all__ = [
    "AreaItem",
    "PlanFile",
    "PlanLayers",
    "PlanResults",
    "StudyFile",
    "StudyResults",
    "coverage_png",
]


@dataclass(frozen=True)
class StudyResults:
    """What a study computed: the contents of its output folder and of its map.

    Built by :meth:`yushu_circle.study.Study.results` or read back from a folder by
    :func:`yushu_circle.io.read_results`.

    Attributes
    ----------
    access : GeoDataFrame
        One row per residence (``residences.parquet``): ``residence_id``, ``population``,
        ``snap_m``, ``walk_min_<category>``, ``score``, point geometry (EPSG:4326).
    facilities : GeoDataFrame
        ``facility_id``, ``category``, ``name``, ``source``, point geometry
        (``facilities.parquet``).
    summary : DataFrame
        Coverage per category, indexed by category key (``summary.csv``).
    meta : dict
        What the run used and found (``summary.json``'s ``meta``): ``data``, ``synthetic``,
        ``catalog``, ``notes``, and for a map optionally ``map_subtitle``.
    edges : GeoDataFrame, optional
        The walk network's edges with ``walk_min_<category>`` per edge (``network.parquet``;
        any CRS that is set: the study's own projected one, EPSG:4326 when read back).
    isochrones : GeoDataFrame, optional
        ``residence_id``, ``minutes``, polygon geometry (``isochrones.parquet``).
    engine : str, optional
        The in-page engine's network and snaps as JSON text (``map_network.json``; format
        ``yushu-network/2``, its arrays packed: see :mod:`yushu_circle.results.engine`).
    basemap : GeoDataFrame, optional
        Water and building footprints drawn under the streets (``basemap.parquet``).
    """

    access: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    summary: pd.DataFrame
    meta: dict[str, Any]
    edges: gpd.GeoDataFrame | None = None
    isochrones: gpd.GeoDataFrame | None = None
    engine: str | None = None
    basemap: gpd.GeoDataFrame | None = None

    @property
    def notes(self) -> list[str]:
        """The run's notes (bilingual where written for planners)."""
        return [str(note) for note in self.meta.get("notes", [])]

    @property
    def synthetic(self) -> bool:
        """True when the results are of the embedded synthetic demo data."""
        return bool(self.meta.get("synthetic"))

    def with_notes(self, *notes: str) -> StudyResults:
        """The same results with ``notes`` added after the run's own."""
        meta = {**self.meta, "notes": [*self.meta.get("notes", []), *notes]}
        return dataclasses.replace(self, meta=meta)


@dataclass(frozen=True)
class AreaItem:
    """One assessed item of the standard, as the plan map names its area layer.

    Attributes
    ----------
    label : str
        The requirement's label (``kindergarten_5min``); its area column is ``item_<label>``.
    category : str
    level : int
        Minutes of its level.
    name_zh : str
    verified : bool
        False for a standard row not yet checked against the text.
    """

    label: str
    category: str
    level: int
    name_zh: str
    verified: bool


@dataclass(frozen=True)
class PlanLayers:
    """What the plan map draws over the walker's minutes, decided by the plan.

    Attributes
    ----------
    category : str or None
        The category the map opens on (None: the score view).
    column : str
        The ``areas`` column the map opens on (``item_<label>``, ``level_<m>min`` or
        ``rate_pop``).
    items : tuple of AreaItem
        The assessed items.
    levels : tuple of (int, str)
        Each level's minutes and its ``areas`` column.
    sited : str, optional
        The category new facilities were sited for (None without siting).
    sited_label : str
        Its bilingual label.
    siting_method : str
        ``greedy`` or ``milp``.
    whatif_categories : tuple of str
        Categories a what-if changed.
    supply_points : GeoDataFrame, optional
        The facilities with capacity and catchment population (2SFCA), points.
    """

    category: str | None
    column: str
    items: tuple[AreaItem, ...] = ()
    levels: tuple[tuple[int, str], ...] = ()
    sited: str | None = None
    sited_label: str = ""
    siting_method: str = ""
    whatif_categories: tuple[str, ...] = ()
    supply_points: gpd.GeoDataFrame | None = None


@dataclass(frozen=True)
class PlanResults:
    """What a plan computed: the contents of a plan's output folder and of its map.

    Built by :func:`yushu_circle.planning.plan.plan_results`; read back from a folder by
    :func:`yushu_circle.io.read_plan` (then ``walker`` and ``layers`` are None and ``text``
    is empty, the CSV tables keep the four decimals they were written with). Each table
    is indexed as its CSV file's first column.

    Attributes
    ----------
    summary : dict
        The plan in brief (``plan_summary.json``).
    compliance : DataFrame
        Per area × item, level and overall (``compliance.csv``, indexed by area).
    areas : GeoDataFrame
        One polygon per area with 达标率 and per-level and per-item shares
        (``compliance_areas.parquet``).
    profiles, completeness, gaps, supply, supply_facilities : DataFrame, optional
        ``profiles.csv``, ``completeness.csv``, ``gaps.csv``, ``supply.csv``,
        ``supply_facilities.csv``.
    clusters, supply_residences : GeoDataFrame, optional
        ``gaps.parquet`` (unserved clusters), ``supply_residences.parquet``.
    sites : GeoDataFrame, optional
        Proposed sites (``siting.parquet``), when the plan sited facilities.
    whatif : DataFrame, optional
        Before and after per changed category (``whatif.csv``), with a what-if.
    whatif_residences : GeoDataFrame, optional
        Minutes before and after per residence (``whatif.parquet``).
    streets : GeoDataFrame, optional
        The study's streets and water, drawn under the report's maps (``streets.parquet``:
        ``kind``, ``highway``, ``name``; :func:`yushu_circle.results.basemap.streets_frame`).
    walker : StudyResults, optional
        The plan's walker's minutes on the study (its profile, slope), as the plan map
        shows them.
    layers : PlanLayers, optional
        The plan map's layers.
    text : str
        The bilingual text report the command line prints.
    """

    summary: dict[str, Any]
    compliance: pd.DataFrame
    areas: gpd.GeoDataFrame
    profiles: pd.DataFrame | None = None
    completeness: pd.DataFrame | None = None
    gaps: pd.DataFrame | None = None
    clusters: gpd.GeoDataFrame | None = None
    supply: pd.DataFrame | None = None
    supply_facilities: pd.DataFrame | None = None
    supply_residences: gpd.GeoDataFrame | None = None
    sites: gpd.GeoDataFrame | None = None
    whatif: pd.DataFrame | None = None
    whatif_residences: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None
    walker: StudyResults | None = None
    layers: PlanLayers | None = None
    text: str = ""
