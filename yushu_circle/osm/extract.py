"""The one in-memory form every OSM reader produces: ways, tagged nodes and area relations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, overload

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError
from yushu_circle.osm.walkfilter import is_walkable

AREA_RELATIONS = frozenset({"multipolygon", "boundary"})
"""Relation types read as areas (buildings, parks, squares, malls, boundaries)."""


@dataclass(frozen=True)
class Relation:
    """A tagged area relation and its members.

    Attributes
    ----------
    id : int
    tags : dict of str
        The relation's tags (``type`` included).
    members : tuple of (str, int, str)
        ``(type, ref, role)`` with type ``node``/``way``/``relation``.
    """

    id: int
    tags: dict[str, str]
    members: tuple[tuple[str, int, str], ...]


@dataclass
class Extract:
    """OSM data of one area as flat arrays, the same whatever file or server it came from.

    Every reader (XML, PBF, Overpass JSON) fills this from the same rules, and the network
    (:func:`yushu_circle.osm.streets.street_edges`) and the features
    (:func:`yushu_circle.osm.features.features_frame`) are built from it by one code path,
    so every format gives the same answer.

    Attributes
    ----------
    way_ids : ndarray of int64
        Tagged ways, and untagged ways used by an area relation, in id order.
    way_tags : list of dict
        Read-only: a reader may give objects with equal tags one shared dict.
    way_offsets : ndarray of int64
        Start of each way in the flat arrays below (one more entry than ways).
    way_refs : ndarray of int64
        Node ids of every way, concatenated.
    way_lon, way_lat : ndarray of float64
        Their coordinates; NaN where the node is absent from the data (a clipped extract).
    point_ids, point_lon, point_lat, point_tags
        Tagged nodes, in id order.
    relations : list of Relation
        Tagged area relations (:data:`AREA_RELATIONS`), in id order.
    notes : list of str
        What the reader had to say (absent nodes, skipped objects).
    """

    way_ids: np.ndarray
    way_tags: list[dict[str, str]]
    way_offsets: np.ndarray
    way_refs: np.ndarray
    way_lon: np.ndarray
    way_lat: np.ndarray
    point_ids: np.ndarray
    point_lon: np.ndarray
    point_lat: np.ndarray
    point_tags: list[dict[str, str]]
    relations: list[Relation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @cached_property
    def walkable(self) -> np.ndarray:
        """Per way: whether the walk filter (:mod:`yushu_circle.osm.walkfilter`) keeps it."""
        return decide_per_tag_set(self.way_tags, is_walkable)

    @property
    def street_way_count(self) -> int:
        """Number of walkable ways."""
        return int(self.walkable.sum())

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the present way nodes and tagged nodes."""
        lon = np.concatenate([self.way_lon, self.point_lon])
        lat = np.concatenate([self.way_lat, self.point_lat])
        ok = np.isfinite(lon)
        if not ok.any():
            return None
        return (
            float(lon[ok].min()),
            float(lat[ok].min()),
            float(lon[ok].max()),
            float(lat[ok].max()),
        )

    def clip(self, area: Polygon | MultiPolygon) -> Extract:
        """Keep nodes inside ``area``, ways with a present node inside it (whole), and the
        area relations using a kept way or node (with all their member ways)."""
        inside = np.zeros(len(self.way_lon), dtype=bool)
        ok = np.isfinite(self.way_lon)
        inside[ok] = shapely.contains_xy(area, self.way_lon[ok], self.way_lat[ok])
        touches = _any_per_run(inside, self.way_offsets)
        keep_points = shapely.contains_xy(area, self.point_lon, self.point_lat)
        kept_ways = set(self.way_ids[touches].tolist())
        kept_nodes = set(self.point_ids[keep_points].tolist())
        relations = [
            r
            for r in self.relations
            if any(
                (kind == "way" and ref in kept_ways) or (kind == "node" and ref in kept_nodes)
                for kind, ref, _ in r.members
            )
        ]
        members = {ref for r in relations for kind, ref, _ in r.members if kind == "way"}
        keep_ways = touches | np.isin(self.way_ids, np.fromiter(members, np.int64, len(members)))
        return self._subset(keep_ways, keep_points, relations)

    def _subset(
        self, keep_ways: np.ndarray, keep_points: np.ndarray, relations: list[Relation]
    ) -> Extract:
        lengths = np.diff(self.way_offsets)
        mask = np.repeat(keep_ways, lengths)
        offsets = np.zeros(int(keep_ways.sum()) + 1, dtype=np.int64)
        np.cumsum(lengths[keep_ways], out=offsets[1:])
        return Extract(
            way_ids=self.way_ids[keep_ways],
            way_tags=[t for t, k in zip(self.way_tags, keep_ways, strict=True) if k],
            way_offsets=offsets,
            way_refs=self.way_refs[mask],
            way_lon=self.way_lon[mask],
            way_lat=self.way_lat[mask],
            point_ids=self.point_ids[keep_points],
            point_lon=self.point_lon[keep_points],
            point_lat=self.point_lat[keep_points],
            point_tags=[t for t, k in zip(self.point_tags, keep_points, strict=True) if k],
            relations=relations,
            notes=list(self.notes),
        )


def _any_per_run(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per run of ``offsets``: whether any flag in it is set."""
    if len(offsets) < 2:
        return np.zeros(0, dtype=bool)
    counts = np.add.reduceat(flags.astype(np.int64), offsets[:-1]) if len(flags) else None
    lengths = np.diff(offsets)
    if counts is None:
        return np.zeros(len(lengths), dtype=bool)
    # reduceat gives the element at the offset for empty runs: mask those out.
    return np.asarray((counts > 0) & (lengths > 0))


def area_relation(tags: Mapping[str, Any]) -> bool:
    """Whether a relation with these tags is read as an area (a tagged multipolygon/boundary)."""
    return tags.get("type") in AREA_RELATIONS and len(tags) > 1


def build_extract(
    ways: Iterable[tuple[int, list[int], dict[str, str], np.ndarray, np.ndarray]],
    points: Iterable[tuple[int, float, float, dict[str, str]]],
    relations: Iterable[Relation],
    notes: Iterable[str] = (),
) -> Extract:
    """An :class:`Extract` from ways ``(id, refs, tags, lon, lat)`` (NaN for absent nodes),
    tagged nodes ``(id, lon, lat, tags)`` and area relations, each put in id order."""
    way_list = sorted(ways, key=lambda w: w[0])
    point_list = sorted(points, key=lambda p: p[0])
    lengths = np.fromiter((len(w[1]) for w in way_list), np.int64, len(way_list))
    offsets = np.zeros(len(way_list) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])

    def flat(k: int, dtype: Any) -> np.ndarray:
        if not way_list:
            return np.empty(0, dtype=dtype)
        return np.concatenate([np.asarray(w[k], dtype=dtype) for w in way_list])

    return Extract(
        way_ids=np.fromiter((w[0] for w in way_list), np.int64, len(way_list)),
        way_tags=[w[2] for w in way_list],
        way_offsets=offsets,
        way_refs=flat(1, np.int64),
        way_lon=flat(3, np.float64),
        way_lat=flat(4, np.float64),
        point_ids=np.fromiter((p[0] for p in point_list), np.int64, len(point_list)),
        point_lon=np.fromiter((p[1] for p in point_list), np.float64, len(point_list)),
        point_lat=np.fromiter((p[2] for p in point_list), np.float64, len(point_list)),
        point_tags=[p[3] for p in point_list],
        relations=sorted(relations, key=lambda r: r.id),
        notes=list(notes),
    )


def extract_from_elements(elements: Iterable[Mapping[str, Any]], label: str = "") -> Extract:
    """An :class:`Extract` from Overpass-JSON style elements (an XML file or Overpass).

    Parameters
    ----------
    elements : iterable of dict
        ``type``, ``id``, ``tags``, ``lat``/``lon`` or ``nodes`` or ``members``.
    label : str
        Where the elements come from, for notes.
    """
    lon_of: dict[int, float] = {}
    lat_of: dict[int, float] = {}
    way_elements: list[Mapping[str, Any]] = []
    relations: list[Relation] = []
    points: list[tuple[int, float, float, dict[str, str]]] = []
    for element in elements:
        kind = element.get("type")
        tags = {str(k): str(v) for k, v in (element.get("tags") or {}).items()}
        if kind == "node":
            node_id = int(element["id"])
            lon_of[node_id] = float(element["lon"])
            lat_of[node_id] = float(element["lat"])
            if tags:
                points.append((node_id, lon_of[node_id], lat_of[node_id], tags))
        elif kind == "way":
            way_elements.append(element)
        elif kind == "relation" and area_relation(tags):
            parts = tuple(
                (str(m.get("type")), int(m.get("ref")), str(m.get("role") or ""))
                for m in element.get("members", [])
            )
            relation_id = int(element["id"])
            if any(abs(ref) > _INT64_MAX for ref in (relation_id, *(m[1] for m in parts))):
                raise _id_beyond_64_bits(label)
            relations.append(Relation(relation_id, tags, parts))
    members = {ref for r in relations for kind, ref, _ in r.members if kind == "way"}
    ways = []
    absent = 0
    for element in way_elements:
        tags = {str(k): str(v) for k, v in (element.get("tags") or {}).items()}
        way_id = int(element["id"])
        if not tags and way_id not in members:
            continue
        refs = [int(r) for r in element.get("nodes", [])]
        lon = np.array([lon_of.get(r, np.nan) for r in refs], dtype=float)
        lat = np.array([lat_of.get(r, np.nan) for r in refs], dtype=float)
        absent += int(np.isnan(lon).any())
        ways.append((way_id, refs, tags, lon, lat))
    notes = [absent_note(absent, label)] if absent else []
    try:
        return build_extract(ways, points, relations, notes)
    except OverflowError:  # a node or way id numpy cannot hold
        raise _id_beyond_64_bits(label) from None


_INT64_MAX = 2**63 - 1


def _id_beyond_64_bits(label: str) -> InputError:
    where = f"OSM data {label}" if label else "the OSM data"
    return InputError(
        f"{where} holds an element id beyond 64 bits (OSM ids are 64-bit integers)",
        "check the file: it is damaged, or was not written by an OSM tool",
    )


def elements_of(extract: Extract) -> list[dict[str, Any]]:
    """The extract as Overpass-JSON style elements, which :func:`extract_from_elements`
    reads back into the same extract: every located way node and tagged node once, then
    the ways, then the relations, each kind in id order."""
    located = np.isfinite(extract.way_lon)
    refs, first = np.unique(extract.way_refs[located], return_index=True)
    lon, lat = extract.way_lon[located][first], extract.way_lat[located][first]
    nodes: dict[int, dict[str, Any]] = {
        r: {"type": "node", "id": r, "lat": y, "lon": x}
        for r, x, y in zip(refs.tolist(), lon.tolist(), lat.tolist(), strict=True)
    }
    tagged: list[dict[str, Any]] = []
    columns = (extract.point_ids.tolist(), extract.point_lon.tolist(), extract.point_lat.tolist())
    for i, x, y, tags in zip(*columns, extract.point_tags, strict=True):
        nodes.pop(i, None)  # a tagged way node comes once, with its tags
        tagged.append({"type": "node", "id": i, "lat": y, "lon": x, "tags": dict(tags)})
    elements = sorted([*nodes.values(), *tagged], key=lambda e: e["id"])
    offsets = extract.way_offsets.tolist()
    all_refs = extract.way_refs.tolist()
    for k, (way_id, tags) in enumerate(
        zip(extract.way_ids.tolist(), extract.way_tags, strict=True)
    ):
        way: dict[str, Any] = {
            "type": "way",
            "id": way_id,
            "nodes": all_refs[offsets[k] : offsets[k + 1]],
        }
        if tags:
            way["tags"] = dict(tags)
        elements.append(way)
    for relation in extract.relations:
        members = [{"type": t, "ref": r, "role": role} for t, r, role in relation.members]
        elements.append(
            {"type": "relation", "id": relation.id, "members": members, "tags": dict(relation.tags)}
        )
    return elements


class ExtractElements(Sequence[dict[str, Any]]):
    """The elements of an extract (:func:`elements_of`), built when first read.

    A file read into an :class:`Extract` offers its data as elements too, for callers that
    want them (a walk graph of elements, a GraphML export), without every study paying for
    a city's worth of dicts.
    """

    def __init__(self, extract: Extract) -> None:
        self._extract = extract

    @cached_property
    def _elements(self) -> list[dict[str, Any]]:
        return elements_of(self._extract)

    def __len__(self) -> int:
        return len(self._elements)

    def __bool__(self) -> bool:
        extract = self._extract
        return bool(len(extract.way_ids) or len(extract.point_ids) or extract.relations)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._elements[index]

    def __repr__(self) -> str:
        extract = self._extract
        return (
            f"<elements of an extract: {len(extract.way_ids):,} ways, "
            f"{len(extract.point_ids):,} tagged nodes, {len(extract.relations):,} relations>"
        )


def decide_per_tag_set(
    tags: Sequence[Mapping[str, str]], rule: Callable[[Mapping[str, str]], bool]
) -> np.ndarray:
    """``rule`` of every tag dict, asked once per distinct tag set.

    Most ways repeat a few tag sets (``highway=residential``, ``building=yes``…), and a
    reader may give equal tag sets as one shared dict: it is looked up by identity first,
    then by its items.
    """
    by_items: dict[tuple[tuple[str, str], ...], bool] = {}
    by_dict: dict[int, bool] = {}  # every dict stays alive (in ``tags``) while this runs

    def decide(one: Mapping[str, str]) -> bool:
        verdict = by_dict.get(id(one))
        if verdict is None:
            key = tuple(one.items())
            verdict = by_items.get(key)
            if verdict is None:
                verdict = by_items[key] = rule(one)
            by_dict[id(one)] = verdict
        return verdict

    return np.fromiter(map(decide, tags), bool, len(tags))


def absent_note(count: int, label: str) -> str:
    """The note for ways that reference nodes absent from the data (the same for every format)."""
    where = f" in {label}" if label else ""
    return (
        f"{count:,} way(s){where} reference nodes absent from the data (clipped at its "
        "edge): their present parts are used"
    )
