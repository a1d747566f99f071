"""The one OSM file reader: XML (plain, ``.bz2``, ``.gz``) and PBF through libosmium, into
the one :class:`~yushu_circle.osm.extract.Extract`, parsed in bulk."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
import osmium
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError, clip_text
from yushu_circle.osm.extract import Extract, Relation, absent_note, area_relation
from yushu_circle.osm.gcpause import paused_gc

OSMFormat = Literal["xml", "pbf"]
"""The two encodings of OSM data a file may hold (XML may be bzip2- or gzip-compressed)."""

MAX_STRING_BYTES = 1024
"""The longest tag key, tag value or member role libosmium reads (``max_osm_string_length``:
256 characters of up to 4 bytes); OSM itself allows 255 characters."""

MAX_OBJECT_BYTES = 64 * 1024 * 1024
"""About the longest node or way read, as OPL text (its tags and node list; pyarrow's CSV
blocks, which a line may straddle once): a way of 2,000 nodes, the most OSM allows, takes
~30 kB."""

_KINDS = {"n": "node", "w": "way", "r": "relation"}
_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")
_OPL_OPTIONS = "opl,add_metadata=false"
_FIX = "the file may be truncated or corrupt: export or download it again"
_Lines = tuple[np.ndarray, np.ndarray]
"""Line numbers in the OPL text of the nodes and of the ways (when not nodes first)."""


def read_extract(
    path: Path, kind: OSMFormat, area: Polygon | MultiPolygon | None = None
) -> Extract:
    """Read the ways, tagged nodes and area relations of an OSM XML or PBF file.

    One pass in libosmium's C++ with no Python call per object writes every node, way and
    relation as OPL text to a temporary file; that text is then split into fields by
    pyarrow's CSV reader, and only tags and relations are read in Python. Way nodes get
    their coordinates by one sorted join of node ids. Untagged ways that no area relation
    uses are dropped. A way whose nodes are partly absent (an extract clipped at its edge)
    keeps NaN coordinates for them.

    A PBF file is read as a stream, as libosmium's own location handler does: a way finds
    only the nodes written before it (a PBF file writes nodes first). An XML file may hold
    its ways first (Overpass's ``out body; >; out skel qt;``): there every node counts.

    Parameters
    ----------
    path : Path
        The file.
    kind : {"xml", "pbf"}
        Its encoding; XML named ``….bz2`` or ``….gz`` is decompressed on the way.
    area : shapely Polygon, optional
        Keep only what touches this area (EPSG:4326), see :meth:`Extract.clip`.

    Raises
    ------
    InputError
        When the file cannot be read as OSM data of that kind, holds a tag longer than
        :data:`MAX_STRING_BYTES`, an id beyond 64 bits or a node without a valid position.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="yushu_osm_") as folder:
            opl = Path(folder) / "all.opl"
            _write_opl(path, _libosmium_format(path, kind), opl)
            text = opl.read_bytes()
        with paused_gc():
            extract = _read_opl(text, path, stream=kind == "pbf")
        del text
        # Arrow's allocator keeps freed memory for reuse; nothing of it is used later.
        pa.default_memory_pool().release_unused()
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise _refusal(path, kind, exc) from None
    return extract if area is None else extract.clip(area)


def _libosmium_format(path: Path, kind: OSMFormat) -> str:
    if kind == "pbf":
        return "pbf"
    name = path.name.lower()
    for compression in ("bz2", "gz"):
        if name.endswith("." + compression):
            return f"osm.{compression}"
    return "osm"  # also for a file named .xml, whose suffix libosmium does not know


def _write_opl(path: Path, libosmium_format: str, opl: Path) -> None:
    """The file's nodes, ways and relations as OPL text (no metadata), in C++."""
    entities = osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION
    reader = osmium.io.Reader(osmium.io.File(str(path), libosmium_format), entities)
    try:
        writer = osmium.SimpleWriter(osmium.io.File(str(opl), _OPL_OPTIONS))
        try:
            osmium.apply(reader, writer)
        finally:
            writer.close()
    finally:
        reader.close()


def _refusal(path: Path, kind: OSMFormat, exc: Exception) -> InputError:
    """The one-line refusal for what libosmium (or the OPL parse) said about a file."""
    said = clip_text(str(exc), 160)
    if said.startswith("OSM object is too long"):
        return InputError(
            f"{path} holds an OSM node or way too long to read (its tags and node list take "
            f"over {MAX_OBJECT_BYTES // 2**20} MiB as text; OSM allows 2,000 nodes per way)",
            "the file is damaged or not an OSM export: export or download it again",
        )
    too_long = re.match(r"OSM (.+) is too long", said)
    if too_long:
        return InputError(
            f"{path} holds an OSM {too_long.group(1)} longer than {MAX_STRING_BYTES:,} "
            "bytes, the longest that is read (OSM allows 255 characters)",
            "the file is damaged or not an OSM export: export or download it again",
        )
    if said.startswith("illegal id"):
        return InputError(
            f"{path} holds an OSM id that is not a whole number of 64 bits "
            f"({said.removeprefix('illegal id: ')})",
            "an OSM id is a whole number below 2^63: export or download the area again",
        )
    if isinstance(exc, osmium.InvalidLocationError) or "coordinate" in said:
        return InputError(f"{path} holds a node position that is not a coordinate ({said})", _FIX)
    if said.startswith(("bzip2 error", "gzip error")):
        return InputError(
            f"{path} cannot be decompressed ({said})",
            "the file may be truncated or not really compressed: download it again",
        )
    if kind == "xml":
        parse = re.match(r"XML parsing error at (line \d+), (column \d+): (.*)", said)
        where = f"{parse[1]}, {parse[2]}: {parse[3]}" if parse else said
        return InputError(f"{path} is not valid OSM XML ({where})", _FIX)
    return InputError(
        f"{path} is not a readable OSM PBF file ({said})",
        "the file may be truncated or corrupt: download the extract again",
    )


def _read_opl(text: bytes, path: Path, stream: bool) -> Extract:
    """The OPL text of :func:`_write_opl` as an :class:`Extract` (ways, points, relations).

    With ``stream``, a way locates only the nodes written before it in the text.
    """
    node_text, way_text, relation_text, lines = _sections(text)
    nodes = _fields(node_text, ("id", "tags", "x", "y"))
    ways = _fields(way_text, ("id", "tags", "nodes"))
    found = (_relation(line.split(" ")) for line in str(relation_text, "utf-8").splitlines())
    relations = sorted((r for r in found if r is not None), key=lambda r: r.id)
    node_ids = _ids(nodes["id"])
    node_lon, node_lat = _coordinate(nodes["x"]), _coordinate(nodes["y"])
    _check_positions(path, node_ids, node_lon, node_lat)
    ids = _ids(ways["id"])
    way_tags = _tag_dicts(ways["tags"])
    refs, lengths = _node_lists(ways["nodes"])
    del ways
    before = None
    if stream and lines is not None:
        before = np.repeat(lines[1], lengths)  # each ref's way's line
    lon, lat = _locate(refs, node_ids, node_lon, node_lat, lines, before)
    _check_ids(path, node_ids, ids, refs, relations)
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
    tagged = np.flatnonzero(pc.not_equal(nodes["tags"], "T").to_numpy(zero_copy_only=False))
    porder = tagged[np.argsort(node_ids[tagged], kind="stable")]
    point_tags = _tag_dicts(nodes["tags"].take(pa.array(porder)))
    notes = [absent_note(absent, path.name)] if absent else []
    return Extract(
        way_ids=ids,
        way_tags=way_tags,
        way_offsets=offsets,
        way_refs=refs,
        way_lon=lon,
        way_lat=lat,
        point_ids=node_ids[porder],
        point_lon=node_lon[porder],
        point_lat=node_lat[porder],
        point_tags=point_tags,
        relations=relations,
        notes=notes,
    )


def _check_positions(path: Path, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
    """Refuse a node without a position or outside the world (as every reader here does)."""
    valid = (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)  # False for NaN too
    if not valid.all():
        bad = int(np.flatnonzero(~valid)[0])
        shown = ["absent" if np.isnan(v) else f"{v:g}" for v in (lon[bad], lat[bad])]
        raise InputError(
            f"{path}: node {ids[bad]} has no valid position (lon={shown[0]}, lat={shown[1]})",
            "export or download the area again",
        )


def _check_ids(
    path: Path,
    node_ids: np.ndarray,
    way_ids: np.ndarray,
    refs: np.ndarray,
    relations: list[Relation],
) -> None:
    """Refuse an element without an id: libosmium reads a missing id as 0, never an OSM id."""
    missing = [
        what
        for what, zero in (
            ("<node>", not node_ids.all()),
            ("<way>", not way_ids.all()),
            ("way's <nd>", not refs.all()),
            ("<relation>", any(r.id == 0 for r in relations)),
            ("relation's <member>", any(m[1] == 0 for r in relations for m in r.members)),
        )
        if zero
    ]
    if missing:
        raise InputError(
            f"{path}: a {missing[0]} has no id (or the id 0, which OSM never uses)",
            "export or download the area again",
        )


def _sections(text: bytes) -> tuple[memoryview, memoryview, memoryview, _Lines | None]:
    """The node, way and relation lines of OPL text, and where the nodes and ways came.

    libosmium writes objects in the file's order, and a file normally holds nodes, then
    ways, then relations: then each kind is one slice of the text (sharing its memory)
    and the positions are None. Otherwise the lines are grouped by kind (keeping their
    order), with the line numbers of the nodes and of the ways.
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
        return view[:way_at], view[way_at:relation_at], view[relation_at:], None
    lines = text.splitlines(keepends=True)
    kinds = np.frombuffer(b"".join(line[:1] for line in lines), dtype=np.uint8)
    grouped = [
        memoryview(b"".join(line for line in lines if line[:1] == k)) for k in (b"n", b"w", b"r")
    ]
    positions = (np.flatnonzero(kinds == ord("n")), np.flatnonzero(kinds == ord("w")))
    return grouped[0], grouped[1], grouped[2], positions


def _first_line(text: bytes, kind: bytes) -> int:
    """Where the first line of a kind starts (the end of the text if there is none)."""
    if text.startswith(kind):
        return 0
    at = text.find(b"\n" + kind)
    return len(text) if at == -1 else at + 1


def _fields(text: memoryview, names: tuple[str, ...]) -> pa.Table:
    """Space-separated OPL lines as a table of string columns (no quoting in OPL).

    pyarrow's blocks (1 MiB) must each hold a whole line; a longer line (a way of more than
    ~80,000 nodes, an object with thousands of tags: never real OSM) is read once more with
    blocks of :data:`MAX_OBJECT_BYTES`, and refused beyond that.
    """
    if not text:
        return pa.table({name: pa.array([], pa.string()) for name in names})
    for block_size in (None, MAX_OBJECT_BYTES):
        try:
            return pa_csv.read_csv(
                pa.BufferReader(pa.py_buffer(text)),
                read_options=pa_csv.ReadOptions(column_names=list(names), block_size=block_size),
                parse_options=pa_csv.ParseOptions(delimiter=" ", quote_char=False),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
                ),
            )
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):  # never expected: the writer's fields are fixed
                raise RuntimeError(f"OPL text could not be split into fields ({exc})") from None
    raise RuntimeError(f"OSM object is too long ({names[1]} and node list as text)")


def _ids(heads: pa.ChunkedArray) -> np.ndarray:
    """Object ids of OPL lines (``w123``)."""
    return pc.cast(pc.utf8_slice_codeunits(heads, 1), pa.int64()).to_numpy().astype(np.int64)


def _coordinate(column: pa.ChunkedArray) -> np.ndarray:
    """A node's ``x…``/``y…`` field as degrees (NaN where it has no location)."""
    digits = pc.utf8_slice_codeunits(column, 1)
    missing = pc.equal(digits, "")
    values = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), digits), pa.float64())
    return values.to_numpy(zero_copy_only=False).astype(np.float64)


def _node_lists(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The node ids of every way's ``Nn1,n2,…`` field, concatenated, and each way's count
    (``N`` alone for a way without nodes)."""
    body = pc.utf8_slice_codeunits(column, 1)
    empty = pc.equal(body, "").to_numpy(zero_copy_only=False)
    lengths = np.where(
        empty, 0, pc.count_substring(body, ",").to_numpy(zero_copy_only=False) + 1
    ).astype(np.int64)
    parts = pc.list_flatten(pc.split_pattern(pc.filter(body, pc.invert(pc.equal(body, ""))), ","))
    refs = pc.cast(pc.utf8_slice_codeunits(parts, 1), pa.int64()).to_numpy()
    refs = np.asarray(refs, dtype=np.int64)
    if len(refs) != int(lengths.sum()):  # never expected: the writer's lists are fixed
        raise RuntimeError("node lists of the ways could not be read back")
    return refs, lengths


def _locate(
    refs: np.ndarray,
    node_ids: np.ndarray,
    node_lon: np.ndarray,
    node_lat: np.ndarray,
    lines: _Lines | None,
    before: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of every way node (NaN where the node is absent).

    A node id given twice takes its last position. With ``before`` (each ref's way's line
    number), a node counts only if its line comes before that.
    """
    lon = np.full(len(refs), np.nan)
    lat = np.full(len(refs), np.nan)
    if not len(node_ids) or not len(refs):
        return lon, lat
    order = None
    if not (node_ids[1:] > node_ids[:-1]).all():
        order = np.argsort(node_ids, kind="stable")
    ordered_ids = node_ids if order is None else node_ids[order]
    at = np.searchsorted(ordered_ids, refs, side="right") - 1
    found = at >= 0
    at[~found] = 0
    found &= ordered_ids[at] == refs
    node_at = at if order is None else order[at]
    if before is not None and lines is not None:
        found &= lines[0][node_at] < before
    lon[found] = node_lon[node_at[found]]
    lat[found] = node_lat[node_at[found]]
    return lon, lat


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
