"""yushu_circle: 15-minute living circle (15分钟生活圈) walk-access analysis on OSM streets."""

from __future__ import annotations

__version__ = "0.1.0"

from yushu_circle.catalog import Catalog, Category
from yushu_circle.errors import YushuError
from yushu_circle.inputs import StudyOptions
from yushu_circle.io import write_study
from yushu_circle.network import WalkNetwork
from yushu_circle.study import Study

__all__ = [
    "Catalog",
    "Category",
    "Study",
    "StudyOptions",
    "WalkNetwork",
    "YushuError",
    "__version__",
    "write_study",
]
