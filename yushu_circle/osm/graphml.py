"""Reading a ready walk graph from an OSMnx GraphML file."""

from __future__ import annotations

from pathlib import Path

import osmnx as ox

from yushu_circle.errors import DataError, InputError
from yushu_circle.osm.data import OSMData


def read_graphml(path: Path) -> OSMData:
    """An :class:`OSMData` holding the street graph of a GraphML file (no features).

    Raises
    ------
    InputError
        When the file is not a readable OSMnx GraphML file, or a node id is beyond 64 bits.
    DataError
        When the graph has no nodes.
    """
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:
        raise InputError(
            f"{path} is not a readable OSMnx GraphML file ({type(exc).__name__}: {exc})",
            "save it with osmnx.save_graphml or pass an OSM XML/PBF file",
        ) from None
    if graph.number_of_nodes() == 0:
        raise DataError(f"GraphML file {path} has no nodes", "save a non-empty graph")
    if any(isinstance(node, int) and abs(node) >= 2**63 for node in graph.nodes):
        raise InputError(
            f"GraphML file {path} holds a node id beyond 64 bits (OSM ids are 64-bit integers)",
            "save the graph again with osmnx.save_graphml from OSM data",
        )
    notes = ["GraphML holds only the street network: pass --facilities and --residences files"]
    return OSMData([], f"GraphML file {path.name}", graph=graph, notes=notes)
