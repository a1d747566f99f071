"""Reading OSM XML files (``.osm``, ``.osm.bz2``, ``.osm.gz``) through the one libosmium
reader, and the checks every element list (XML or an Overpass answer) passes."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError, clip_text
from yushu_circle.osm.extract import Extract, elements_of
from yushu_circle.osm.libosmium import read_extract

XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml")


def read_xml(path: Path, area: Polygon | MultiPolygon | None = None) -> Extract:
    """The ways, tagged nodes and area relations of an OSM XML file (plain, bz2 or gzip).

    Read by libosmium in C++ and parsed in bulk, as a PBF file is
    (:func:`~yushu_circle.osm.libosmium.read_extract`); its ways may come before its nodes.

    Parameters
    ----------
    path : Path
        The file.
    area : shapely Polygon, optional
        Keep only what touches this area (EPSG:4326), see :meth:`Extract.clip`.

    Raises
    ------
    InputError
        When the file is not (valid) OSM XML, cannot be decompressed, holds a tag longer
        than libosmium reads, an id beyond 64 bits or a node without a valid position.
    """
    head = _open_bytes(path, 64)
    if b"<" not in head:
        raise InputError(
            f"{path} is not OSM XML (it does not start with an XML tag)",
            "pass an OSM XML export (.osm), a .osm.pbf or a .graphml file",
        )
    return read_extract(path, "xml", area)


def read_xml_elements(path: Path) -> list[dict[str, Any]]:
    """The elements of an OSM XML file in Overpass-JSON form (see :func:`read_xml`).

    Raises
    ------
    InputError
        As :func:`read_xml`.
    """
    return elements_of(read_xml(path))


def valid_elements(elements: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """Check every element has a whole-number id, every node a position in range, every way
    a node list and every relation a member list (XML files and Overpass answers alike)."""
    for element in elements:
        kind = element.get("type")
        if not _is_id(element.get("id")):
            raise InputError(
                f"{where}: a <{kind}> has no whole-number id of 64 bits "
                f"({clip_text(repr(element.get('id')), 40)})",
                "export the area again as OSM XML (.osm)",
            )
        if kind == "node":
            lon, lat = element.get("lon"), element.get("lat")
            if not (
                isinstance(lon, float | int)
                and isinstance(lat, float | int)
                and not isinstance(lon, bool)
                and -180 <= lon <= 180
                and -90 <= lat <= 90
            ):
                raise InputError(
                    f"{where}: node {element['id']} has no valid position "
                    f"(lon={lon!r}, lat={lat!r})",
                    "export the area again as OSM XML (.osm)",
                )
        elif kind == "way":
            refs = element.get("nodes", [])
            if not isinstance(refs, list) or not all(map(_is_id, refs)):
                raise InputError(
                    f"{where}: way {element['id']} has a node reference that is not a "
                    "whole number of 64 bits",
                    "export the area again as OSM XML (.osm)",
                )
        elif kind == "relation":
            members = element.get("members", [])
            if not isinstance(members, list) or not all(
                isinstance(m, dict) and _is_id(m.get("ref")) for m in members
            ):
                raise InputError(
                    f"{where}: relation {element['id']} has a member without a ref of 64 bits",
                    "export the area again as OSM XML (.osm)",
                )
    return elements


def _is_id(value: object) -> bool:
    """Whether a value is an OSM id: a whole number that fits 64 bits (as the arrays hold)."""
    return type(value) is int and -(2**63) <= value < 2**63


def _open_bytes(path: Path, count: int) -> bytes:
    name = path.name.lower()
    try:
        if name.endswith(".bz2"):
            with bz2.open(path, "rb") as handle:
                return handle.read(count)
        if name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                return handle.read(count)
        with path.open("rb") as handle:
            return handle.read(count)
    except (OSError, EOFError) as exc:
        raise InputError(
            f"{path} cannot be decompressed ({exc})",
            "the file may be truncated or not really compressed: download it again",
        ) from None
