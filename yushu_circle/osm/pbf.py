"""Reading ``.osm.pbf`` extracts with pyosmium into the one ``Extract`` form."""

from __future__ import annotations

import gc
import io
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import osmium
import pyarrow as pa
import pyarrow.csv as pa_csv
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError
from yushu_circle.osm.extract import Extract, Relation, absent_note, area_relation
from yushu_circle.osm.features import features_frame
from yushu_circle.osm.streets import street_edges

PBFExtract = Extract
"""The former name of :class:`Extract` (every reader now produces one)."""

__all__ = ["PBFExtract", "features_frame", "read_pbf", "street_edges"]

_KINDS = {"n": "node", "w": "way", "r": "relation"}
_CHUNK_BYTES = 32 << 20
"""OPL text parsed at a time (bounds the memory of the text and its line objects)."""
_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")
_OPL_OPTIONS = "opl,add_metadata=false,locations_on_ways=true"


def read_pbf(path: Path, area: Polygon | MultiPolygon | None = None) -> Extract:
    """Read the ways, tagged nodes and area relations of a PBF file.

    One pass in libosmium's C++, with no Python call per object: node locations are
    added to the ways, untagged nodes dropped, and everything else written as OPL text
    (``locations_on_ways``) to a temporary file, which is then parsed in bulk (tags per
    line, node ids and coordinates by pyarrow's CSV reader). Untagged ways that no area
    relation uses are dropped afterwards. A way whose nodes are partly absent (an extract
    clipped at its edge) keeps NaN coordinates for them, exactly as the XML reader does.

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
        with tempfile.TemporaryDirectory(prefix="yushu_pbf_") as folder:
            opl = Path(folder) / "all.opl"
            _write_opl(path, opl)
            with _paused_gc():
                extract = _read_opl(opl, path.name)
    except RuntimeError as exc:
        raise InputError(
            f"{path} is not a readable OSM PBF file ({exc})",
            "the file may be truncated or corrupt: download the extract again",
        ) from None
    return extract if area is None else extract.clip(area)


@contextmanager
def _paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while millions of acyclic lists and dicts are made
    (each collection would walk them all again; none of them can form a cycle)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write_opl(path: Path, opl: Path) -> None:
    """The file as OPL text, in C++: ways with their node locations, tagged nodes only."""
    locations = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
    locations.ignore_errors()  # absent nodes stay without a location (a clipped extract)
    untagged_nodes = osmium.filter.EmptyTagFilter()
    untagged_nodes.enable_for(osmium.osm.NODE)
    writer = osmium.SimpleWriter(osmium.io.File(str(opl), _OPL_OPTIONS))
    try:
        # The location handler sees every node; the filter keeps the untagged ones from
        # the writer only.
        osmium.apply(str(path), locations, untagged_nodes, writer)
    finally:
        writer.close()


class _Tags:
    """OPL tag fields (``Tk=v,k=v``) as dicts; an equal field gives the same (read-only)
    dict, and equal keys the same str (a city repeats a few tag sets and keys millions of
    times)."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, str]] = {}

    def __call__(self, field: str) -> dict[str, str]:
        tags = self._seen.get(field)
        if tags is None:
            tags = self._seen[field] = self._parse(field)
        return tags

    @staticmethod
    def _parse(field: str) -> dict[str, str]:
        if len(field) == 1:
            return {}
        # "=" and "," inside keys and values are escaped, so they only separate.
        parts = field[1:].replace("=", ",").split(",")
        if "%" in field:
            parts = [_unescape(p) for p in parts]
        return dict(zip(map(sys.intern, parts[0::2]), parts[1::2], strict=True))


def _unescape(text: str) -> str:
    """An OPL string with its ``%hex%`` escapes (Unicode code points) decoded."""
    if "%" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _read_opl(opl: Path, label: str) -> Extract:
    """The OPL text of :func:`_write_opl` as an :class:`Extract` (ways, points, relations)."""
    tags_of = _Tags()
    way_heads: list[np.ndarray] = []
    way_tags: list[dict[str, str]] = []
    way_lengths: list[np.ndarray] = []
    way_nodes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    point_tags: list[dict[str, str]] = []
    point_nodes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    found: list[Relation | None] = []
    with opl.open(encoding="utf-8") as file:
        while lines := file.readlines(_CHUNK_BYTES):
            nodes = [line.split(" ") for line in lines if line[0] == "n"]
            ways = [line.split(" ") for line in lines if line[0] == "w"]
            found += [_relation(line.split(" "), tags_of) for line in lines if line[0] == "r"]
            del lines
            if nodes:
                heads, fields, xs, ys = _columns(nodes, 4)
                point_tags += map(tags_of, fields)
                # "n1x2.5y3.5": the same form as a way's node, read by the same parser.
                rows = map("".join, zip(heads, xs, ys, strict=True))
                point_nodes.append(_node_table("".join(rows)))
            if ways:
                heads, fields, lists = _columns(ways, 3)
                way_heads.append(_ids(heads))
                way_tags += map(tags_of, fields)
                # "Nn1x..y..,n2x..y..\n": one line per way (an empty one: "N\n").
                counts = (s.count(",") + 1 if len(s) > 2 else 0 for s in lists)
                way_lengths.append(np.fromiter(counts, np.int64, len(lists)))
                way_nodes.append(_node_table("".join(lists).replace("N", "")))
    del tags_of
    relations = sorted((r for r in found if r is not None), key=lambda r: r.id)
    ids = _concat(way_heads, np.int64)
    lengths = _concat(way_lengths, np.int64)
    refs, lon, lat = _node_columns(way_nodes)
    if len(refs) != int(lengths.sum()):
        raise RuntimeError("node lists of the ways could not be read back")
    # Untagged ways count only as members of an area relation.
    untagged = np.fromiter((not t for t in way_tags), bool, len(way_tags))
    if untagged.any():
        members = {ref for r in relations for kind, ref, _ in r.members if kind == "way"}
        keep = ~(untagged & ~np.isin(ids, np.fromiter(members, np.int64, len(members))))
        refs, lon, lat = (a[np.repeat(keep, lengths)] for a in (refs, lon, lat))
        ids, lengths = ids[keep], lengths[keep]
        way_tags = [t for t, k in zip(way_tags, keep.tolist(), strict=True) if k]
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():
        order = np.argsort(ids, kind="stable")
        ids, way_tags = ids[order], [way_tags[i] for i in order]
        flat = _ranges(offsets[order], offsets[order + 1])
        refs, lon, lat = refs[flat], lon[flat], lat[flat]
        np.cumsum(lengths[order], out=offsets[1:])
    nonempty = np.diff(offsets) > 0
    absent = 0
    if nonempty.any():
        absent = int(np.count_nonzero(np.add.reduceat(np.isnan(lon), offsets[:-1][nonempty])))
    pids, plon, plat = _node_columns(point_nodes)
    located = np.flatnonzero(np.isfinite(plon))
    porder = located[np.argsort(pids[located], kind="stable")]
    notes = [absent_note(absent, label)] if absent else []
    return Extract(
        way_ids=ids,
        way_tags=way_tags,
        way_offsets=offsets,
        way_refs=refs,
        way_lon=lon,
        way_lat=lat,
        point_ids=pids[porder],
        point_lon=plon[porder],
        point_lat=plat[porder],
        point_tags=[point_tags[i] for i in porder.tolist()],
        relations=relations,
        notes=notes,
    )


def _columns(rows: list[list[str]], width: int) -> tuple[tuple[str, ...], ...]:
    """The fields of OPL lines split at spaces (spaces in strings are escaped)."""
    columns = tuple(zip(*rows, strict=True))
    if len(columns) != width:  # never expected: the writer's fields are fixed
        raise RuntimeError(f"OPL lines of {len(columns)} fields where {width} were written")
    return columns


def _ids(heads: tuple[str, ...]) -> np.ndarray:
    """Object ids of OPL lines (``w123``)."""
    return np.fromiter((int(h[1:]) for h in heads), np.int64, len(heads))


def _node_table(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids and locations of OPL nodes ``n1x2.5y3.5`` separated by commas or newlines
    (``n1xy`` for a node without a location: NaN), read by pyarrow's CSV parser."""
    rows = text.replace("n", "").replace(",", "\n").replace("x", ",").replace("y", ",")
    if not rows.strip():
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    table = pa_csv.read_csv(
        io.BytesIO(rows.encode("ascii")),
        read_options=pa_csv.ReadOptions(column_names=["ref", "lon", "lat"]),
        convert_options=pa_csv.ConvertOptions(
            column_types={"ref": pa.int64(), "lon": pa.float64(), "lat": pa.float64()}
        ),
    )
    refs = table["ref"].to_numpy()
    lon = table["lon"].to_numpy().astype(np.float64, copy=False)
    lat = table["lat"].to_numpy().astype(np.float64, copy=False)
    # libosmium writes any defined location; pyosmium calls one outside the world invalid.
    invalid = ~((np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0))
    if invalid.any():
        lon, lat = lon.copy(), lat.copy()
        lon[invalid] = np.nan
        lat[invalid] = np.nan
    return refs, lon, lat


def _relation(fields: list[str], tags_of: _Tags) -> Relation | None:
    """An OPL relation line (``r1 Tk=v Mw2@outer,n3@``) if it is an area relation."""
    head, tag_field, member_field = fields
    tags = tags_of(tag_field)
    if not area_relation(tags):
        return None
    members = []
    text = member_field.rstrip("\n")[1:]
    for member in text.split(",") if text else ():
        ref, _, role = member[1:].partition("@")
        members.append((_KINDS[member[0]], int(ref), _unescape(role)))
    return Relation(int(head[1:]), dict(tags), tuple(members))


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)


def _node_columns(
    tables: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids (int64), lon and lat of the chunks' node tables, concatenated."""
    return (
        _concat([t[0] for t in tables], np.int64),
        _concat([t[1] for t in tables], np.float64),
        _concat([t[2] for t in tables], np.float64),
    )


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenated positions ``start..end-1`` of every run."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    run_starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=run_starts[1:])
    return np.repeat(starts - run_starts, lengths) + np.arange(total)
