"""Reading ``.osm.pbf`` extracts with pyosmium into the one ``Extract`` form."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError
from yushu_circle.osm.extract import Extract, Relation, absent_note, area_relation
from yushu_circle.osm.features import features_frame
from yushu_circle.osm.streets import street_edges

PBFExtract = Extract
"""The former name of :class:`Extract` (every reader now produces one)."""

__all__ = ["PBFExtract", "features_frame", "read_pbf", "street_edges"]

_KINDS = {"n": "node", "w": "way", "r": "relation"}


def read_pbf(path: Path, area: Polygon | MultiPolygon | None = None) -> Extract:
    """Read the ways, tagged nodes and area relations of a PBF file.

    Two passes: the first reads only relations, to learn which untagged ways are members
    of a multipolygon; the second reads nodes (untagged ones are dropped in C++) and ways
    with their node locations. A way whose nodes are partly absent (an extract clipped at
    its edge) keeps NaN coordinates for them, exactly as the XML reader does.

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
    try:
        relations = _relations(path)
        members = {ref for r in relations for kind, ref, _ in r.members if kind == "way"}
        with tempfile.TemporaryDirectory(prefix="yushu_pbf_") as folder:
            extract = _ways_and_points(path, members, Path(folder) / "ways.opl", relations)
    except RuntimeError as exc:
        raise InputError(
            f"{path} is not a readable OSM PBF file ({exc})",
            "the file may be truncated or corrupt: download the extract again",
        ) from None
    return extract if area is None else extract.clip(area)


def _relations(path: Path) -> list[Relation]:
    result = []
    obj: Any
    for obj in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        tags = _tags(obj)
        if area_relation(tags):
            members = tuple((_KINDS[m.type], int(m.ref), str(m.role)) for m in obj.members)
            result.append(Relation(int(obj.id), tags, members))
    return sorted(result, key=lambda r: r.id)


def _ways_and_points(
    path: Path, members: set[int], opl: Path, relations: list[Relation]
) -> Extract:
    """The second pass, straight into the flat arrays of an :class:`Extract`.

    Per-node work stays in C++: each kept way's node ids are written by libosmium's OPL
    writer to ``opl`` and parsed back in one numpy call, and its coordinates come as WKB
    decoded in bulk; only a way with absent nodes is walked node by node in Python.
    """
    untagged_nodes = osmium.filter.EmptyTagFilter()
    untagged_nodes.enable_for(osmium.osm.NODE)
    processor: Any = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(untagged_nodes)
    )
    writer = osmium.SimpleWriter(osmium.io.File(str(opl), "opl,add_metadata=false"))
    create = osmium.geom.WKBFactory().create_linestring
    every_node = osmium.geom.ALL
    way_ids: list[int] = []
    way_tags: list[dict[str, str]] = []
    wkbs: list[str] = []
    complete: list[bool] = []
    partial: list[tuple[int, np.ndarray, np.ndarray]] = []
    point_ids: list[int] = []
    point_lon: list[float] = []
    point_lat: list[float] = []
    point_tags: list[dict[str, str]] = []
    # One str object per distinct tag key: a city's million tag dicts repeat a few keys
    # ("building") over and over (sharing values too saved less than it cost).
    strings: dict[str, str] = {}
    try:
        for obj in processor:
            if obj.is_way():
                tags = _tags(obj, strings)
                if not tags and obj.id not in members:
                    continue
                writer.add_way(obj)
                try:
                    # Fast path: every location known, geometry built in C++.
                    wkbs.append(create(obj, every_node))
                    complete.append(True)
                except (osmium.InvalidLocationError, RuntimeError):
                    complete.append(False)
                    partial.append((len(way_ids), *_locations(obj)))
                way_ids.append(int(obj.id))
                way_tags.append(tags)
            else:
                location = obj.location
                if location.valid():
                    point_ids.append(int(obj.id))
                    point_lon.append(location.lon)
                    point_lat.append(location.lat)
                    point_tags.append(_tags(obj, strings))
    finally:
        writer.close()
    refs, lengths = _opl_refs(opl, len(way_ids))
    offsets = np.zeros(len(way_ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    lon = np.full(len(refs), np.nan)
    lat = np.full(len(refs), np.nan)
    is_complete = np.asarray(complete, dtype=bool)
    if wkbs:
        coords = _wkb_coordinates(wkbs, lengths[is_complete])
        in_complete = np.repeat(is_complete, lengths)
        lon[in_complete] = coords[:, 0]
        lat[in_complete] = coords[:, 1]
    absent = 0
    for k, way_lon, way_lat in partial:
        lon[offsets[k] : offsets[k + 1]] = way_lon
        lat[offsets[k] : offsets[k + 1]] = way_lat
        absent += bool(np.isnan(way_lon).any())
    ids = np.asarray(way_ids, dtype=np.int64)
    if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():
        order = np.argsort(ids, kind="stable")
        ids, way_tags = ids[order], [way_tags[i] for i in order]
        flat = _ranges(offsets[order], offsets[order + 1])
        refs, lon, lat = refs[flat], lon[flat], lat[flat]
        np.cumsum(lengths[order], out=offsets[1:])
    pids = np.asarray(point_ids, dtype=np.int64)
    porder = np.argsort(pids, kind="stable")
    notes = [absent_note(absent, path.name)] if absent else []
    return Extract(
        way_ids=ids,
        way_tags=way_tags,
        way_offsets=offsets,
        way_refs=refs,
        way_lon=lon,
        way_lat=lat,
        point_ids=pids[porder],
        point_lon=np.asarray(point_lon, dtype=np.float64)[porder],
        point_lat=np.asarray(point_lat, dtype=np.float64)[porder],
        point_tags=[point_tags[i] for i in porder],
        relations=relations,
        notes=notes,
    )


def _opl_refs(opl: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Node ids of every way in an OPL file (its last field, ``Nn1,n2,…``), and counts."""
    lists = [line.rpartition(" N")[2] for line in opl.read_text(encoding="utf-8").splitlines()]
    if len(lists) != count:  # never expected: the writer wrote one line per way
        raise RuntimeError(f"{count} ways read but {len(lists)} written")
    lengths = np.fromiter((s.count(",") + 1 if s else 0 for s in lists), np.int64, count)
    text = ",".join(s for s in lists if s).replace("n", "")
    if not text:
        return np.empty(0, dtype=np.int64), lengths
    refs = np.fromstring(text, dtype=np.int64, sep=",")
    if len(refs) != int(lengths.sum()):
        raise RuntimeError("node lists of the ways could not be read back")
    return refs, lengths


def _wkb_coordinates(wkbs: list[str], lengths: np.ndarray) -> np.ndarray:
    """(lon, lat) rows of hex WKB linestrings, decoded in one go (9-byte header, then
    16 bytes per point); checks each header's point count against ``lengths``."""
    raw = np.frombuffer(bytes.fromhex("".join(wkbs)), dtype=np.uint8)
    sizes = 9 + 16 * lengths
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    header = starts[:, None] + np.arange(9)
    head = raw[header]
    if len(raw) != int(sizes.sum()) or not (head[:, 0] == 1).all():
        raise RuntimeError("way geometry and node list differ in length")
    counts = head[:, 5:9].copy().view("<u4").ravel()
    if not np.array_equal(counts, lengths):
        raise RuntimeError("way geometry and node list differ in length")
    keep = np.ones(len(raw), dtype=bool)
    keep[header.ravel()] = False
    return raw[keep].view("<f8").reshape(-1, 2)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenated positions ``start..end-1`` of every run."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    run_starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=run_starts[1:])
    return np.repeat(starts - run_starts, lengths) + np.arange(total)


def _locations(way: Any) -> tuple[np.ndarray, np.ndarray]:
    """A way's node locations, NaN for nodes absent from the file."""
    lon = []
    lat = []
    for node in way.nodes:
        location = node.location
        if location.valid():
            lon.append(location.lon)
            lat.append(location.lat)
        else:
            lon.append(np.nan)
            lat.append(np.nan)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _tags(obj: Any, strings: dict[str, str] | None = None) -> dict[str, str]:
    """An object's tags as a dict, through pyosmium's C accessors (twice as fast as ``dict``).

    With ``strings``, equal keys share one str object (the dict keeps them).
    """
    data = obj._pyosmium_data
    cursor = data.tags_begin()
    step = data.tags_next
    tags = {}
    if strings is None:
        for _ in range(data.tags_size()):
            key, value = step(cursor)
            tags[key] = value
        return tags
    shared = strings.setdefault
    for _ in range(data.tags_size()):
        key, value = step(cursor)
        tags[shared(key, key)] = value
    return tags
