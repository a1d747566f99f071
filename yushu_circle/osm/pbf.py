"""Reading ``.osm.pbf`` extracts with pyosmium into the one ``Extract`` form."""

from __future__ import annotations

import io
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import osmium
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError
from yushu_circle.osm.extract import Extract, Relation, absent_note, area_relation
from yushu_circle.osm.features import features_frame
from yushu_circle.osm.gcpause import paused_gc
from yushu_circle.osm.streets import street_edges

PBFExtract = Extract
"""The former name of :class:`Extract` (every reader now produces one)."""

__all__ = ["PBFExtract", "features_frame", "read_pbf", "street_edges"]

_KINDS = {"n": "node", "w": "way", "r": "relation"}
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
            with paused_gc():
                extract = _read_opl(opl, path.name)
        # Arrow's allocator keeps freed memory for reuse; nothing of it is used later.
        pa.default_memory_pool().release_unused()
    except RuntimeError as exc:
        raise InputError(
            f"{path} is not a readable OSM PBF file ({exc})",
            "the file may be truncated or corrupt: download the extract again",
        ) from None
    return extract if area is None else extract.clip(area)


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


def _parse_tags(field: str) -> dict[str, str]:
    """An OPL tag field (``Tk=v,k=v``) as a dict; equal keys share one str."""
    if len(field) <= 1:
        return {}
    # "=" and "," inside keys and values are escaped, so they only separate.
    parts = field[1:].replace("=", ",").split(",")
    if "%" in field:
        parts = [_unescape(p) for p in parts]
    return dict(zip(map(sys.intern, parts[0::2]), parts[1::2], strict=True))


def _tag_dicts(column: pa.ChunkedArray) -> list[dict[str, str]]:
    """The tag fields of a column as dicts, each distinct field parsed once and its dict
    shared (read-only) by every object with that field: a city repeats a few tag sets
    (``highway=residential``, ``building=yes``) hundreds of thousands of times."""
    # 64-bit offsets: one array of a huge file's tag fields may pass 2 GiB.
    encoded = pc.dictionary_encode(column.cast(pa.large_string()).combine_chunks())
    parsed = [_parse_tags(f) for f in encoded.dictionary.to_pylist()]
    return list(map(parsed.__getitem__, encoded.indices.to_numpy().tolist()))


def _unescape(text: str) -> str:
    """An OPL string with its ``%hex%`` escapes (Unicode code points) decoded."""
    if "%" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _read_opl(opl: Path, label: str) -> Extract:
    """The OPL text of :func:`_write_opl` as an :class:`Extract` (ways, points, relations).

    Each kind's lines are split into fields by pyarrow's CSV reader (space-separated:
    OPL escapes spaces inside strings); only tags and relations are read in Python.
    """
    node_text, way_text, relation_text = _sections(opl.read_bytes())
    nodes = _fields(node_text, ("id", "tags", "x", "y"))
    ways = _fields(way_text, ("id", "tags", "nodes"))
    found = (_relation(line.split(" ")) for line in str(relation_text, "utf-8").splitlines())
    relations = sorted((r for r in found if r is not None), key=lambda r: r.id)
    ids = _ids(ways["id"])
    way_tags = _tag_dicts(ways["tags"])
    lists = ways["nodes"]
    # "Nn1x..y..,n2x..y..": one list per way ("N" alone when it has no nodes).
    lengths = np.where(
        pc.equal(lists, "N").to_numpy(zero_copy_only=False),
        0,
        pc.count_substring(lists, ",").to_numpy(zero_copy_only=False) + 1,
    ).astype(np.int64)
    refs, lon, lat = _node_table("\n".join(lists.to_pylist()).replace("N", ""))
    del ways, lists
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
    pids = _ids(nodes["id"])
    plon, plat = _valid(_coordinate(nodes["x"]), _coordinate(nodes["y"]))
    located = np.flatnonzero(np.isfinite(plon))
    porder = located[np.argsort(pids[located], kind="stable")]
    point_tags = _tag_dicts(nodes["tags"].take(pa.array(porder)))
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
        point_tags=point_tags,
        relations=relations,
        notes=notes,
    )


def _sections(text: bytes) -> tuple[memoryview, memoryview, memoryview]:
    """The node, way and relation lines of OPL text.

    libosmium writes objects in the file's order, and a PBF file normally holds nodes,
    then ways, then relations: then each kind is one slice of the text. Otherwise the
    lines are grouped by kind (keeping their order). The slices share the text's memory.
    """
    view = memoryview(text)
    way_at = _first_line(text, b"w")
    relation_at = _first_line(text, b"r")
    way_at = min(way_at, relation_at)
    ordered = (
        text.find(b"\nn", max(way_at - 1, 0)) == -1
        and text.find(b"\nw", max(relation_at - 1, 0)) == -1
        and not text.startswith(b"n", way_at)
        and not text.startswith((b"n", b"w"), relation_at)
    )
    if ordered:
        return view[:way_at], view[way_at:relation_at], view[relation_at:]
    lines = text.splitlines(keepends=True)
    return tuple(  # type: ignore[return-value]
        memoryview(b"".join(line for line in lines if line[:1] == kind))
        for kind in (b"n", b"w", b"r")
    )


def _first_line(text: bytes, kind: bytes) -> int:
    """Where the first line of a kind starts (the end of the text if there is none)."""
    if text.startswith(kind):
        return 0
    at = text.find(b"\n" + kind)
    return len(text) if at == -1 else at + 1


def _fields(text: memoryview, names: tuple[str, ...]) -> pa.Table:
    """Space-separated OPL lines as a table of string columns (no quoting in OPL)."""
    if not text:
        return pa.table({name: pa.array([], pa.string()) for name in names})
    try:
        return pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(text)),
            read_options=pa_csv.ReadOptions(column_names=list(names)),
            parse_options=pa_csv.ParseOptions(delimiter=" ", quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:  # never expected: the writer's fields are fixed
        raise RuntimeError(f"OPL text could not be split into fields ({exc})") from None


def _ids(heads: pa.ChunkedArray) -> np.ndarray:
    """Object ids of OPL lines (``w123``)."""
    return pc.cast(pc.utf8_slice_codeunits(heads, 1), pa.int64()).to_numpy().astype(np.int64)


def _coordinate(column: pa.ChunkedArray) -> np.ndarray:
    """A node's ``x…``/``y…`` field as degrees (NaN where it has no location)."""
    digits = pc.utf8_slice_codeunits(column, 1)
    missing = pc.equal(digits, "")
    values = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), digits), pa.float64())
    return values.to_numpy(zero_copy_only=False).astype(np.float64)


def _valid(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Locations outside the world as NaN: libosmium writes any defined location, while
    pyosmium (and every reader here) calls those invalid."""
    invalid = ~((np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0))
    if invalid.any():
        lon, lat = lon.copy(), lat.copy()
        lon[invalid] = np.nan
        lat[invalid] = np.nan
    return lon, lat


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
    # Copies the extract owns (writable, and the Arrow buffers can be given back).
    refs = table["ref"].to_numpy().astype(np.int64)
    lon = table["lon"].to_numpy().astype(np.float64)
    lat = table["lat"].to_numpy().astype(np.float64)
    return (refs, *_valid(lon, lat))


def _relation(fields: list[str]) -> Relation | None:
    """An OPL relation line (``r1 Tk=v Mw2@outer,n3@``) if it is an area relation."""
    head, tag_field, member_field = fields
    tags = _parse_tags(tag_field)
    if not area_relation(tags):
        return None
    members = []
    text = member_field.rstrip("\n")[1:]
    for member in text.split(",") if text else ():
        ref, _, role = member[1:].partition("@")
        members.append((_KINDS[member[0]], int(ref), _unescape(role)))
    return Relation(int(head[1:]), tags, tuple(members))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenated positions ``start..end-1`` of every run."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    run_starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=run_starts[1:])
    return np.repeat(starts - run_starts, lengths) + np.arange(total)
