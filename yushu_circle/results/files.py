"""The output folders' files, named once: what ``run`` and ``plan`` write and ``io`` reads back."""

from __future__ import annotations

import enum
import re


class StudyFile(enum.StrEnum):
    """The files of a study's output folder (``yushu-circle run --out DIR``)."""

    RESIDENCES = "residences.parquet"
    RESIDENCES_GPKG = "residences.gpkg"
    FACILITIES = "facilities.parquet"
    FACILITIES_GPKG = "facilities.gpkg"
    NETWORK = "network.parquet"
    ISOCHRONES = "isochrones.parquet"
    SUMMARY_CSV = "summary.csv"
    SUMMARY_JSON = "summary.json"
    BASEMAP = "basemap.parquet"
    ENGINE = "map_network.json"
    MAP = "map.html"
    PNG_FOLDER = "png"


class PlanFile(enum.StrEnum):
    """The files of a plan's output folder (``yushu-circle plan`` and ``report``)."""

    COMPLIANCE = "compliance.csv"
    COMPLIANCE_AREAS = "compliance_areas.parquet"
    PROFILES = "profiles.csv"
    COMPLETENESS = "completeness.csv"
    GAPS_CSV = "gaps.csv"
    GAPS = "gaps.parquet"
    SUPPLY = "supply.csv"
    SUPPLY_FACILITIES = "supply_facilities.csv"
    SUPPLY_RESIDENCES = "supply_residences.parquet"
    SITING_CSV = "siting.csv"
    SITING = "siting.parquet"
    WHATIF_CSV = "whatif.csv"
    WHATIF = "whatif.parquet"
    STREETS = "streets.parquet"
    REPORT_DOCX = "report.docx"
    MAP = "plan_map.html"
    SUMMARY = "plan_summary.json"
    REPORT_HTML = "report.html"
    REPORT_PDF = "report.pdf"


COVERAGE_PNG_GLOB = "coverage_*.png"
"""Every file :func:`coverage_png` names: what ``map --png`` owns in ``png/``."""


def coverage_png(category: str) -> str:
    """The file name of a category's static map in ``png/``: ``coverage_<category>.png``.

    Characters other than letters, digits, ``_`` and ``-`` become ``_``, so a category from
    a user's file cannot name a path. A planner's own category keeps its name (村史馆 →
    ``coverage_村史馆.png``): an ASCII-only name made every Chinese category
    ``coverage_category.png``, one drawn over the other.
    """
    safe = re.sub(r"[^\w-]+", "_", category).strip("_") or "category"
    return f"coverage_{safe}.png"
