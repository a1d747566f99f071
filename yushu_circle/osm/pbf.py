"""Reading ``.osm.pbf`` extracts: the one libosmium reader (:mod:`.libosmium`) for PBF."""

from __future__ import annotations

from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.osm.extract import Extract
from yushu_circle.osm.features import features_frame
from yushu_circle.osm.libosmium import read_extract
from yushu_circle.osm.streets import street_edges

PBFExtract = Extract
"""The former name of :class:`Extract` (every reader now produces one)."""

__all__ = ["PBFExtract", "features_frame", "read_pbf", "street_edges"]


def read_pbf(path: Path, area: Polygon | MultiPolygon | None = None) -> Extract:
    """Read the ways, tagged nodes and area relations of a PBF file.

    See :func:`~yushu_circle.osm.libosmium.read_extract` (a PBF file is read as a stream:
    a way finds the nodes written before it, as libosmium's location handler does).

    Parameters
    ----------
    path : Path
        The ``.osm.pbf`` file.
    area : shapely Polygon, optional
        Keep only what touches this area (EPSG:4326), see :meth:`Extract.clip`.

    Raises
    ------
    InputError
        When the file cannot be read as PBF.
    """
    return read_extract(path, "pbf", area)
