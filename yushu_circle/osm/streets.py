"""Street edges from an extract's walkable ways (split at junctions, dead ends, data gaps); UTM."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely

from yushu_circle.errors import DataError
from yushu_circle.osm.extract import Extract, extract_from_elements
from yushu_circle.osm.gcpause import paused_gc


def street_runs(extract: Extract) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The walkable ways cut into runs of present nodes (a clipped way keeps its parts).

    Returns
    -------
    (refs, coords, offsets, way)
        Node ids and (lon, lat) rows of every run, concatenated; ``offsets`` (one more
        than runs); ``way``: the index of each run's way in the extract.
    """
    offsets = extract.way_offsets
    walkable = extract.walkable
    lengths = np.diff(offsets)
    mask = np.repeat(walkable, lengths)
    refs = extract.way_refs[mask]
    lon = extract.way_lon[mask]
    lat = extract.way_lat[mask]
    way_of = np.repeat(np.flatnonzero(walkable), lengths[walkable])
    present = np.isfinite(lon)
    first = np.zeros(len(refs), dtype=bool)
    if len(refs):
        first[0] = True
        first[1:] = way_of[1:] != way_of[:-1]
    # A run starts at a way's first node and after every gap of absent nodes.
    after_gap = np.zeros(len(refs), dtype=bool)
    after_gap[1:] = ~present[:-1]
    run_id = np.cumsum(first | after_gap) - 1
    keep = present
    run_id, refs, lon, lat, way_of = (a[keep] for a in (run_id, refs, lon, lat, way_of))
    run_id, counts = _renumbered(run_id)
    long_enough = counts[run_id] >= 2
    run_id, refs, lon, lat, way_of = (a[long_enough] for a in (run_id, refs, lon, lat, way_of))
    run_id, counts = _renumbered(run_id)
    run_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=run_offsets[1:])
    run_way = way_of[run_offsets[:-1]] if len(counts) else np.empty(0, dtype=np.int64)
    return refs, np.column_stack([lon, lat]), run_offsets, run_way


def _renumbered(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ordered, return_inverse=True, return_counts=True)[1:]`` of a
    non-decreasing array, in one linear pass (no sort)."""
    if not len(ordered):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    new = np.empty(len(ordered), dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    return inverse, np.diff(np.append(starts, len(ordered)))


@paused_gc()
def street_edges(extract: Extract) -> dict[str, Any]:
    """Split the walkable ways into street edges between junctions and dead ends.

    A run of present nodes (see :func:`street_runs`) is cut at every node that another run
    (or the same run again) also uses, and at its ends; the pieces are the edges. An edge
    never spans two OSM ways, so it carries exactly one way's tags (no merged tag lists to
    choose from). Lengths are left to :meth:`yushu_circle.network.WalkNetwork.from_arrays`,
    which measures every edge and access leg in one metric CRS.

    Parameters
    ----------
    extract : Extract

    Returns
    -------
    dict
        ``node_ids``, ``lon``, ``lat`` (per node), ``edge_u``, ``edge_v`` (node indices),
        ``edge_lon``, ``edge_lat``, ``edge_offsets`` (flat edge geometry),
        ``edge_highway`` and ``edge_name`` (its way's ``name``, ``""`` when none) —
        arguments of :meth:`WalkNetwork.from_arrays`.

    Raises
    ------
    DataError
        When there is no walkable street.
    """
    refs, coords, offsets, run_way = street_runs(extract)
    if len(refs) == 0 and extract.street_way_count:
        raise DataError(
            "the study area's walkable ways reference no nodes in the data",
            "export the area with its nodes (e.g. Overpass '(._;>;);out;')",
        )
    if len(refs) == 0:
        raise DataError(
            "the study area has no walkable streets (no OSM way with a walkable highway=* tag)",
            "check that the area covers the town, or use a wider --bbox",
        )
    node_ids, first, node_of = np.unique(refs, return_index=True, return_inverse=True)
    uses = np.bincount(node_of, minlength=len(node_ids))
    is_first = np.zeros(len(refs), dtype=bool)
    is_first[offsets[:-1]] = True
    is_last = np.zeros(len(refs), dtype=bool)
    is_last[offsets[1:] - 1] = True
    cut = (uses[node_of] > 1) | is_first | is_last
    # Segments run from position p to p + 1 inside a run; each belongs to the edge that
    # began at the last cut at or before p.
    seg = np.flatnonzero(~is_last)
    cut_before = np.cumsum(cut) - 1
    edge_of_seg, _ = _renumbered(cut_before[seg])
    edge_count = int(edge_of_seg.max()) + 1 if len(seg) else 0
    starts = np.flatnonzero(np.r_[True, edge_of_seg[1:] != edge_of_seg[:-1]])
    ends = np.r_[starts[1:], len(seg)] - 1
    start_pos = seg[starts]
    end_pos = seg[ends] + 1
    point_pos = np.concatenate([seg, end_pos])
    point_edge = np.concatenate([edge_of_seg, np.arange(edge_count)])
    order = np.lexsort((point_pos, point_edge))
    point_pos = point_pos[order]
    edge_offsets = np.zeros(edge_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(point_edge, minlength=edge_count), out=edge_offsets[1:])
    run_of = np.repeat(np.arange(len(run_way)), np.diff(offsets))
    highway = np.asarray([t.get("highway", "") for t in extract.way_tags], dtype=object)
    name = np.asarray([t.get("name", "") for t in extract.way_tags], dtype=object)
    way_of_edge = run_way[run_of[start_pos]]
    return {
        "node_ids": node_ids,
        "lon": coords[first, 0],
        "lat": coords[first, 1],
        "edge_u": node_of[start_pos],
        "edge_v": node_of[end_pos],
        "edge_lon": coords[point_pos, 0],
        "edge_lat": coords[point_pos, 1],
        "edge_offsets": edge_offsets,
        "edge_highway": highway[way_of_edge] if len(highway) else np.empty(0, object),
        "edge_name": name[way_of_edge] if len(name) else np.empty(0, object),
    }


def walk_graph_from_elements(elements: Iterable[Mapping[str, Any]]) -> nx.MultiDiGraph:
    """The walk graph (EPSG:4326, both directions) of Overpass-JSON style OSM elements.

    Built by the same rules as every study (:mod:`yushu_circle.osm.walkfilter`, edges cut
    at junctions, dead ends and absent nodes; :func:`yushu_circle.osm.streets.street_edges`),
    for analysts who want a networkx graph, e.g. to save as GraphML.

    Parameters
    ----------
    elements : iterable of dict
        Overpass-JSON style elements.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes with ``x``/``y`` (degrees), edges with ``geometry`` (EPSG:4326), ``highway``,
        ``name`` (when the way has one) and ``length`` (metres, in the UTM zone of the data:
        the metric of every study).

    Raises
    ------
    DataError
        When the elements hold no walkable street.
    """
    edges = street_edges(extract_from_elements(elements))
    lon, lat, offsets = edges["edge_lon"], edges["edge_lat"], edges["edge_offsets"]
    crs = utm_crs(float(np.mean(edges["lon"])), float(np.mean(edges["lat"])))
    px, py = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    counts = np.diff(offsets)
    line_of = np.repeat(np.arange(len(counts)), counts)
    lengths = shapely.length(shapely.linestrings(np.column_stack([px, py]), indices=line_of))
    lines = shapely.linestrings(np.column_stack([lon, lat]), indices=line_of)
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    ids = edges["node_ids"].tolist()
    used = np.unique(np.concatenate([edges["edge_u"], edges["edge_v"]]))
    for i in used.tolist():
        graph.add_node(ids[i], x=float(edges["lon"][i]), y=float(edges["lat"][i]))
    for e, (iu, iv) in enumerate(
        zip(edges["edge_u"].tolist(), edges["edge_v"].tolist(), strict=True)
    ):
        u, v = ids[iu], ids[iv]
        common = {"length": float(lengths[e]), "highway": str(edges["edge_highway"][e])}
        if edges["edge_name"][e]:
            common["name"] = str(edges["edge_name"][e])
        graph.add_edge(u, v, geometry=lines[e], **common)
        if u != v:
            graph.add_edge(v, u, geometry=lines[e].reverse(), **common)
    return graph


def utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """The WGS-84 UTM zone CRS containing a point.

    Parameters
    ----------
    lon, lat : float
        Degrees.
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def one_highway(value: Any) -> str:
    """One ``highway`` value for an edge that may carry several (an osmnx-merged edge).

    ``steps`` if any piece is steps (the value walker profiles act on: the wheelchair
    profile closes the whole edge), else the alphabetically first — never the first of a
    list built through a set, whose order depends on ``PYTHONHASHSEED``. Edges read from
    OSM by this package never span two ways, so they carry a single value.
    """
    if isinstance(value, list | tuple | set | frozenset):
        values = sorted({str(v) for v in value})
        if "steps" in values:
            return "steps"
        return values[0] if values else ""
    return str(value) if value is not None else ""


def one_name(value: Any) -> str:
    """The street name of an edge that may carry several (an osmnx-merged edge).

    All of them, sorted and joined by `` / `` (never in the order of a list built
    through a set, which depends on ``PYTHONHASHSEED``); ``""`` when it has none.
    """
    if isinstance(value, list | tuple | set | frozenset):
        return " / ".join(sorted({str(v) for v in value if v}))
    return str(value) if value else ""
