"""Reading a local OSM file of any kind: XML, PBF or GraphML, chosen by its name."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import DataError, InputError
from yushu_circle.osm.area import CLIP_MARGIN_M, area_from, with_margin
from yushu_circle.osm.data import OSMData
from yushu_circle.osm.extract import ExtractElements
from yushu_circle.osm.xml import XML_SUFFIXES, read_xml

OSM_FILE_SUFFIXES = (*XML_SUFFIXES, ".osm.pbf", ".pbf", ".graphml")


def read_osm_file(
    path: str | Path,
    bbox: Sequence[float] | None = None,
    polygon: Polygon | MultiPolygon | None = None,
) -> OSMData:
    """Read a local OSM file: ``.osm``/``.osm.bz2``/``.osm.gz`` XML, ``.osm.pbf`` or GraphML.

    XML and PBF are read by one libosmium reader into the same
    :class:`~yushu_circle.osm.extract.Extract` for the same data (the same ways, absent
    nodes, tagged nodes and area relations); its elements are built only if asked for.

    Parameters
    ----------
    path : str or Path
        The file.
    bbox : sequence of float, optional
        (west, south, east, north) in degrees to clip the data to (plus ``CLIP_MARGIN_M``).
    polygon : shapely Polygon, optional
        Area (EPSG:4326) to clip the data to (plus ``CLIP_MARGIN_M``).

    Returns
    -------
    OSMData

    Raises
    ------
    InputError
        When the file is missing, empty, of an unknown kind or not readable OSM data.
    DataError
        When it holds no ways in the study area.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"OSM file {path} does not exist", "check the path passed to --osm-file")
    if path.is_dir():
        raise InputError(f"OSM file {path} is a folder", "pass an .osm, .osm.pbf or .graphml file")
    if path.stat().st_size == 0:
        raise InputError(f"OSM file {path} is empty", "export the area again")
    name = path.name.lower()
    area = area_from(bbox, polygon)
    reach = None if area is None else with_margin(area, CLIP_MARGIN_M)
    if name.endswith(".graphml"):
        from yushu_circle.osm.graphml import read_graphml

        return read_graphml(path)
    if name.endswith(".pbf"):
        from yushu_circle.osm.pbf import read_pbf

        extract = read_pbf(path, reach)
        label = f"OSM PBF file {path.name}"
    elif name.endswith(XML_SUFFIXES):
        extract = read_xml(path, reach)
        label = f"OSM XML file {path.name}"
    else:
        raise InputError(
            f"{path} is not a known OSM file type",
            f"use one of {', '.join(OSM_FILE_SUFFIXES)}",
        )
    if len(extract.way_ids) == 0:
        raise DataError(
            f"{path} holds no OSM ways (streets or buildings) in the study area",
            "check that the file covers the area, or widen --bbox/--polygon",
        )
    elements = ExtractElements(extract)
    return OSMData(elements, label, area=area, notes=list(extract.notes), extract=extract)
