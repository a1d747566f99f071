"""Test helpers: the same OSM data as XML, PBF and Overpass JSON, and bbox-clipped copies.

Run as a script to print, per format, the residences, facilities per category and network
length of West Oakland and of its clipped copy::

    python tests/osm_formats.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import osmium

_ROOT = Path(__file__).resolve().parents[1]
# ../shared/data beside the repository (a worktree under wt/ looks one level further up).
SHARED_DATA = next(
    (p / "shared" / "data" for p in (_ROOT.parent, _ROOT.parent.parent) if (p / "shared").is_dir()),
    _ROOT.parent / "shared" / "data",
)
OAKLAND = SHARED_DATA / "west-oakland.osm.bz2"
OAKLAND_CLIP = (-122.3020, 37.8060, -122.2975, 37.8090)
"""A box through the middle of West Oakland: streets and buildings cross its edges."""
REAL_TOWN = _ROOT / "tests" / "data" / "aguascalientes.osm.bz2"
"""Real OSM shipped with the tests (Aguascalientes, Mexico; tests/data/README.md): the real-data
tests that run on every clone, with no ../shared beside it."""
REAL_TOWN_CLIP = (-102.2760, 21.8700, -102.2630, 21.8770)
"""A box around the extract's buildings: streets, a school and shops cross its edges."""


def _objects(path: Path) -> list[Any]:
    """Every node, way and relation of a file, as pyosmium objects copied out of its buffers."""
    out: list[Any] = []
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            out.append(osmium.osm.mutable.Node(obj, tags=dict(obj.tags)))
        elif obj.is_way():
            refs = [n.ref for n in obj.nodes]
            out.append(osmium.osm.mutable.Way(obj, nodes=refs, tags=dict(obj.tags)))
        else:
            members = [(m.type, m.ref, m.role) for m in obj.members]
            out.append(osmium.osm.mutable.Relation(obj, members=members, tags=dict(obj.tags)))
    return out


def write_copy(source: Path, target: Path, bbox: tuple[float, float, float, float] | None) -> Path:
    """Write ``source`` to ``target`` (format from its suffix: ``.osm``, ``.osm.pbf``).

    With a ``bbox`` (west, south, east, north) the copy is cut like ``osmium extract
    --strategy simple``: nodes inside the box, every way using one of them with its full
    node list (so it references nodes that are absent), every relation with a kept member.
    """
    objects = _objects(source)
    if bbox is not None:
        west, south, east, north = bbox
        inside = {
            o.id
            for o in objects
            if isinstance(o, osmium.osm.mutable.Node)
            and west <= o.location.lon <= east
            and south <= o.location.lat <= north
        }
        ways = {
            o.id
            for o in objects
            if isinstance(o, osmium.osm.mutable.Way) and any(r in inside for r in o.nodes)
        }
        kept: list[Any] = []
        for o in objects:
            if isinstance(o, osmium.osm.mutable.Node):
                keep = o.id in inside
            elif isinstance(o, osmium.osm.mutable.Way):
                keep = o.id in ways
            else:
                keep = any(
                    (t == "n" and r in inside) or (t == "w" and r in ways) for t, r, _ in o.members
                )
            if keep:
                kept.append(o)
        objects = kept
    if target.exists():
        target.unlink()
    writer = osmium.SimpleWriter(str(target))
    try:
        for o in objects:
            if isinstance(o, osmium.osm.mutable.Node):
                writer.add_node(o)
            elif isinstance(o, osmium.osm.mutable.Way):
                writer.add_way(o)
            else:
                writer.add_relation(o)
    finally:
        writer.close()
    return target


def overpass_json(source: Path) -> dict[str, Any]:
    """The file as an Overpass ``out;`` JSON answer (read with pyosmium, not our reader)."""
    elements: list[dict[str, Any]] = []
    for o in _objects(source):
        tags = dict(o.tags)
        if isinstance(o, osmium.osm.mutable.Node):
            element: dict[str, Any] = {
                "type": "node",
                "id": o.id,
                "lat": o.location.lat,
                "lon": o.location.lon,
            }
        elif isinstance(o, osmium.osm.mutable.Way):
            element = {"type": "way", "id": o.id, "nodes": list(o.nodes)}
        else:
            kinds = {"n": "node", "w": "way", "r": "relation"}
            members = [{"type": kinds[t], "ref": r, "role": role} for t, r, role in o.members]
            element = {"type": "relation", "id": o.id, "members": members}
        if tags:
            element["tags"] = tags
        elements.append(element)
    return {"version": 0.6, "generator": "test copy", "elements": elements}


def formats(folder: Path, source: Path, bbox: Any = None) -> dict[str, Path]:
    """The same data as ``.osm.bz2``/``.osm``, ``.osm.pbf`` and Overpass JSON in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    xml = write_copy(source, folder / "copy.osm", bbox)
    pbf = write_copy(xml, folder / "copy.osm.pbf", None)
    answer = folder / "copy.json"
    answer.write_text(json.dumps(overpass_json(xml)), encoding="utf-8")
    return {"osm": xml, "pbf": pbf, "json": answer}


def _study_of(kind: str, path: Path) -> Any:
    from yushu_circle import Study
    from yushu_circle.osm.sources import OSMData

    if kind == "json":
        elements = json.loads(path.read_text(encoding="utf-8"))["elements"]
        return Study(OSMData(elements, f"Overpass JSON {path.name}"))
    return Study.from_osm_file(path)


def report(folder: Path) -> list[dict[str, Any]]:
    """Counts per (data, format): residences, facilities per category, network km."""
    rows = []
    for name, bbox in (("West Oakland", None), ("West Oakland clipped", OAKLAND_CLIP)):
        paths = formats(folder / name.replace(" ", "_"), OAKLAND, bbox)
        for kind, path in paths.items():
            row: dict[str, Any] = {"data": name, "format": kind}
            try:
                study = _study_of(kind, path)
                net = study.network
                row["nodes"] = net.node_count
                row["edges"] = net.edge_count
                row["length_m"] = round(float(net.edge_length.sum()), 1)
                row["residences"] = len(study.residences)
                counts = study.facilities["category"].value_counts().sort_index()
                row["facilities"] = {str(k): int(v) for k, v in counts.items()}
            except Exception as exc:  # a report: show the failure, go on
                row["error"] = f"{type(exc).__name__}: {exc}"
            rows.append(row)
    return rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for row in report(Path(tmp)):
            print(json.dumps(row, ensure_ascii=False))


# --- a hand-made town of multipolygon relations (示例数据: made up) --------------------------


def _lonlat(dx_m: float, dy_m: float, center: tuple[float, float] = (97.01, 33.0)) -> tuple:
    lon, lat = center
    return (lon + dx_m / (111_320.0 * 0.8386705679454239), lat + dy_m / 111_320.0)


def multipolygon_town_xml(houses: int = 0) -> str:
    """OSM XML of a 5 × 5 street grid whose buildings, park and mall are multipolygon
    relations; one relation and one street are clipped (reference absent nodes), and a bus
    platform is mapped as a walkable way (``highway=footway`` + ``public_transport=platform``).
    """
    nodes: list[tuple[int, tuple[float, float], dict[str, str]]] = []
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []
    counter = [1000]

    def node(dx: float, dy: float, tags: dict[str, str] | None = None) -> int:
        counter[0] += 1
        nodes.append((counter[0], _lonlat(dx, dy), tags or {}))
        return counter[0]

    def way(refs: list[int], tags: dict[str, str] | None = None) -> int:
        counter[0] += 1
        ways.append((counter[0], refs, tags or {}))
        return counter[0]

    def ring(cx: float, cy: float, half: float) -> list[int]:
        refs = [
            node(cx + dx, cy + dy)
            for dx, dy in ((-half, -half), (half, -half), (half, half), (-half, half))
        ]
        return [*refs, refs[0]]

    grid = [[node(i * 100.0, j * 100.0) for j in range(5)] for i in range(5)]
    for k in range(5):
        way([grid[i][k] for i in range(5)], {"highway": "residential", "name": f"示例路 {k}"})
        way([grid[k][j] for j in range(5)], {"highway": "residential", "name": f"示例街 {k}"})
    # A street leaving the data: its third node is absent (a clipped extract).
    way([grid[4][2], node(450.0, 200.0), 999_999, node(600.0, 200.0)], {"highway": "footway"})
    for i in range(4):
        for j in range(4):
            outer = way(ring(i * 100 + 50, j * 100 + 50, 18))
            members = [("way", outer, "outer")]
            if (i + j) % 3 == 0:
                members.append(("way", way(ring(i * 100 + 50, j * 100 + 50, 6)), "inner"))
            counter[0] += 1
            tags = {"type": "multipolygon", "building": "apartments", "building:levels": "4"}
            relations.append((counter[0], members, tags))
    # A park whose outer ring is two open ways joined end to end.
    a, b, c, d = node(210, 310), node(290, 310), node(290, 390), node(210, 390)
    west = way([a, d, c])
    east = way([c, b, a])
    counter[0] += 1
    relations.append(
        (
            counter[0],
            [("way", west, "outer"), ("way", east, "outer")],
            {"type": "multipolygon", "leisure": "park", "name": "示例公园 Park"},
        )
    )
    counter[0] += 1
    relations.append(
        (
            counter[0],
            [("way", way(ring(150, 250, 25)), "outer")],
            {"type": "multipolygon", "shop": "mall", "name": "示例商场 Mall"},
        )
    )
    # A clipped relation: one closed way of 4 nodes, one of them absent (the old crash).
    e, f, g = node(330, 130), node(370, 130), node(370, 170)
    counter[0] += 1
    relations.append(
        (
            counter[0],
            [("way", way([e, f, g, 888_888, e]), "outer")],
            {"type": "multipolygon", "building": "yes"},
        )
    )
    for k in range(houses):  # plain building ways along the southern street
        way(ring(30 + 45 * k, -25, 8), {"building": "house", "building:levels": str(1 + k % 3)})
    platform = [node(120, 8), node(180, 8)]
    way(
        platform,
        {
            "highway": "footway",
            "public_transport": "platform",
            "bus": "yes",
            "name": "示例站台 Platform",
        },
    )
    way([grid[1][0], platform[0]], {"highway": "footway"})
    return _xml(nodes, ways, relations)


def minimal_clipped_relation_xml() -> str:
    """The smallest crash case: a closed 4-node way with one node absent, used as the outer
    ring of a ``type=multipolygon`` ``building=yes`` relation."""
    nodes = [(1, (97.0, 33.0), {}), (2, (97.001, 33.0), {}), (3, (97.001, 33.001), {})]
    return _xml(
        nodes,
        [(10, [1, 2, 3, 4, 1], {})],
        [(20, [("way", 10, "outer")], {"type": "multipolygon", "building": "yes"})],
    )


def _xml(nodes: list[Any], ways: list[Any], relations: list[Any]) -> str:
    from xml.sax.saxutils import quoteattr

    def tags(t: dict[str, str]) -> list[str]:
        return [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in t.items()]

    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for nid, (lon, lat), t in nodes:
        lines.append(f'  <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">')
        lines += [*tags(t), "  </node>"]
    for wid, refs, t in ways:
        lines.append(f'  <way id="{wid}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [*tags(t), "  </way>"]
    for rid, members, t in relations:
        lines.append(f'  <relation id="{rid}">')
        lines += [f'    <member type="{k}" ref="{r}" role="{role}"/>' for k, r, role in members]
        lines += [*tags(t), "  </relation>"]
    lines.append("</osm>")
    return "\n".join(lines) + "\n"
