"""yushu_circle: 15-minute living circle (15分钟生活圈) walk-access analysis on OSM streets.

Importing the package is cheap: ``Study``, ``Catalog``, ``WalkNetwork`` … and the
subpackages (``yc.planning``, ``yc.render``, ``yc.plots``, ``yc.isochrones`` …) load on
first use, so ``yushu-circle --help`` does not wait for osmnx, geopandas or numba.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from yushu_circle.errors import YushuError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from yushu_circle.catalog import Catalog, Category
    from yushu_circle.io import read_results, write_results
    from yushu_circle.network import WalkNetwork
    from yushu_circle.options import StudyOptions
    from yushu_circle.outputs import write_plan, write_study
    from yushu_circle.results import StudyResults
    from yushu_circle.source import Source
    from yushu_circle.study import Study

_ATTRIBUTES = {
    "Catalog": "yushu_circle.catalog",
    "Category": "yushu_circle.catalog",
    "Source": "yushu_circle.source",
    "Study": "yushu_circle.study",
    "StudyOptions": "yushu_circle.options",
    "StudyResults": "yushu_circle.results",
    "WalkNetwork": "yushu_circle.network",
    "read_results": "yushu_circle.io",
    "write_plan": "yushu_circle.outputs",
    "write_results": "yushu_circle.io",
    "write_study": "yushu_circle.outputs",
}
_MODULES = {
    "access": "yushu_circle.access",
    "check": "yushu_circle.check",
    "batch": "yushu_circle.batch",
    "catalog": "yushu_circle.catalog",
    "columns": "yushu_circle.columns",
    "io": "yushu_circle.io",
    "isochrones": "yushu_circle.isochrones",
    "maps": "yushu_circle.render.maps",
    "network": "yushu_circle.network",
    "options": "yushu_circle.options",
    "osm": "yushu_circle.osm",
    "places": "yushu_circle.places",
    "planning": "yushu_circle.planning",
    "plots": "yushu_circle.render.plots",
    "profiles": "yushu_circle.profiles",
    "render": "yushu_circle.render",
    "results": "yushu_circle.results",
    "source": "yushu_circle.source",
    "standards": "yushu_circle.standards",
    "study": "yushu_circle.study",
}

__all__ = [
    "Catalog",
    "Category",
    "Source",
    "Study",
    "StudyOptions",
    "StudyResults",
    "WalkNetwork",
    "YushuError",
    "__version__",
    "read_results",
    "write_plan",
    "write_results",
    "write_study",
]


def __getattr__(name: str) -> Any:
    """Load a public class or a subpackage on first use (``yc.Study``, ``yc.planning``)."""
    if name in _ATTRIBUTES:
        value = getattr(importlib.import_module(_ATTRIBUTES[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'yushu_circle' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ATTRIBUTES, *_MODULES})
