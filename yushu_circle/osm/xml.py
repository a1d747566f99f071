"""Reading OSM XML files (``.osm``, ``.osm.bz2``, ``.osm.gz``) into elements, with clear errors."""

from __future__ import annotations

import bz2
import gzip
import xml.sax
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from yushu_circle.errors import InputError

XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml")


def read_xml_elements(path: Path) -> list[dict[str, Any]]:
    """The elements of an OSM XML file, each checked for an id and a valid position.

    Raises
    ------
    InputError
        When the file is not (valid) OSM XML or cannot be decompressed.
    """
    head = _open_bytes(path, 64)
    if b"<" not in head:
        raise InputError(
            f"{path} is not OSM XML (it does not start with an XML tag)",
            "pass an OSM XML export (.osm), a .osm.pbf or a .graphml file",
        )
    # osmnx (with sklearn, scipy.stats and matplotlib: ~1.8 s) only when XML is read, so
    # a study of a .osm.pbf does not pay for it.
    from yushu_circle.osm import _osmnx

    try:
        document = _osmnx.overpass_json_from_xml(path)
    except xml.sax.SAXParseException as exc:
        raise InputError(
            f"{path} is not valid OSM XML (line {exc.getLineNumber()}: {exc.getMessage()})",
            "the file may be truncated or corrupt: export or download it again",
        ) from None
    except ElementTree.ParseError as exc:
        line, _ = exc.position
        raise InputError(
            f"{path} is not valid OSM XML (line {line}: {exc})",
            "the file may be truncated or corrupt: export or download it again",
        ) from None
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"{path} cannot be read as OSM XML ({exc})",
            "the file may be truncated or corrupt: export or download it again",
        ) from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"{path} is XML but not OSM XML: a <tag>, <nd> or <member> is out of place "
            f"or lacks an attribute ({type(exc).__name__}: {exc})",
            "export the area again as OSM XML (.osm)",
        ) from None
    elements = document.get("elements", [])
    if not isinstance(elements, list):
        raise InputError(f"{path} holds no OSM elements", "export the area again")
    return valid_elements(elements, str(path))


def valid_elements(elements: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """Check every element has a whole-number id, every node a position in range, every way
    a node list and every relation a member list (XML files and Overpass answers alike)."""
    for element in elements:
        kind = element.get("type")
        if not isinstance(element.get("id"), int) or isinstance(element.get("id"), bool):
            raise InputError(
                f"{where}: a <{kind}> has no whole-number id ({element.get('id')!r})",
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
            if not isinstance(refs, list) or not all(
                isinstance(r, int) and not isinstance(r, bool) for r in refs
            ):
                raise InputError(
                    f"{where}: way {element['id']} has a node reference that is not a number",
                    "export the area again as OSM XML (.osm)",
                )
        elif kind == "relation":
            members = element.get("members", [])
            if not isinstance(members, list) or not all(
                isinstance(m, dict) and isinstance(m.get("ref"), int) for m in members
            ):
                raise InputError(
                    f"{where}: relation {element['id']} has a member without a numeric ref",
                    "export the area again as OSM XML (.osm)",
                )
    return elements


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
