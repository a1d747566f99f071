"""Where a study's OSM data comes from: one ``Source`` value for the CLI, batch and ``Study``."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yushu_circle.osm.servers import Servers

if TYPE_CHECKING:  # the readers (osmnx, shapely) load when a source is read, not on import
    from shapely.geometry import MultiPolygon, Polygon

    from yushu_circle.osm.sources import OSMData

Bbox = tuple[float, float, float, float]


class SourceKind(enum.StrEnum):
    """The kinds of source: the embedded synthetic demo, a local file, or an Overpass area."""

    DEMO = "demo"
    OSM_FILE = "osm_file"
    PLACE = "place"
    BBOX = "bbox"
    POLYGON = "polygon"


@dataclass(frozen=True)
class Source:
    """One study area's OSM data source; a small, hashable, picklable value.

    Build it with :meth:`demo`, :meth:`osm_file`, :meth:`place`, :meth:`bbox` or
    :meth:`polygon`; read it with :meth:`load`. Polygons are kept as WKT so a source
    pickles cheaply to Dask workers and compares by value (batch resumption).

    Attributes
    ----------
    kind : SourceKind
    path : Path or None
        The ``.osm``/``.osm.bz2``/``.osm.pbf``/``.graphml`` file (``osm_file``).
    name : str or None
        The place name (``place``).
    box : tuple of float or None
        (west, south, east, north) in degrees: the area (``bbox``) or, for an
        ``osm_file``, the box it is clipped to.
    polygon_wkt : str or None
        The area (``polygon``) or, for an ``osm_file``, the polygon it is clipped to.
    allow_large_area : bool
        Read an Overpass area over the size limit in one query.
    by_settlement : bool or None
        A place or polygon read settlement by settlement (True), whole (False), or by
        settlement when it is over the size limit (None; see
        :func:`yushu_circle.osm.overpass.from_overpass`).
    servers : Servers
        The Overpass and Nominatim servers and osmnx's cache (unset fields: osmnx's
        settings); not part of the source's identity (the same area from a mirror is the
        same area).
    """

    kind: SourceKind = SourceKind.DEMO
    path: Path | None = None
    name: str | None = None
    box: Bbox | None = None
    polygon_wkt: str | None = None
    allow_large_area: bool = False
    by_settlement: bool | None = None
    servers: Servers = dataclasses.field(default_factory=Servers, compare=False)

    # --- builders ---------------------------------------------------------------------

    @classmethod
    def demo(cls) -> Source:
        """The embedded synthetic demo town (示例数据, offline)."""
        return cls()

    @classmethod
    def osm_file(
        cls,
        path: str | Path,
        clip_bbox: Sequence[float] | None = None,
        clip_polygon: Polygon | MultiPolygon | str | None = None,
    ) -> Source:
        """A local OSM file, optionally clipped to a box or polygon (EPSG:4326)."""
        return cls(
            SourceKind.OSM_FILE,
            path=Path(path),
            box=_box(clip_bbox) if clip_bbox is not None else None,
            polygon_wkt=_wkt(clip_polygon) if clip_polygon is not None else None,
        )

    @classmethod
    def place(cls, name: str, by_settlement: bool | None = None) -> Source:
        """A place name, geocoded with Nominatim and fetched from Overpass."""
        return cls(SourceKind.PLACE, name=name, by_settlement=by_settlement)

    @classmethod
    def bbox(cls, box: Sequence[float]) -> Source:
        """A (west, south, east, north) box in degrees, fetched from Overpass."""
        return cls(SourceKind.BBOX, box=_box(box))

    @classmethod
    def polygon(
        cls, polygon: Polygon | MultiPolygon | str, by_settlement: bool | None = None
    ) -> Source:
        """A polygon (EPSG:4326, or its WKT), fetched from Overpass."""
        return cls(SourceKind.POLYGON, polygon_wkt=_wkt(polygon), by_settlement=by_settlement)

    @classmethod
    def polygon_file(cls, path: str | Path) -> Source:
        """The polygon of a GeoJSON/GeoPackage file, fetched from Overpass."""
        from yushu_circle.osm.sources import read_polygon_file

        return cls.polygon(read_polygon_file(path))

    def with_servers(self, servers: Servers) -> Source:
        """This source read from other servers (or with another cache)."""
        return dataclasses.replace(self, servers=servers)

    # --- use --------------------------------------------------------------------------

    @property
    def synthetic(self) -> bool:
        """Whether this is the embedded synthetic demo."""
        return self.kind is SourceKind.DEMO

    @property
    def description(self) -> str:
        """A short description for status tables, e.g. ``"osm_file town.osm clipped to bbox"``."""
        if self.kind is SourceKind.DEMO:
            return "demo (synthetic 示例数据)"
        if self.kind is SourceKind.OSM_FILE:
            assert self.path is not None
            clip = (
                " clipped to bbox"
                if self.box
                else " clipped to polygon"
                if self.polygon_wkt
                else ""
            )
            return f"osm_file {self.path.name}{clip}"
        by = " by settlement" if self.by_settlement else ""
        if self.kind is SourceKind.PLACE:
            return f"place {self.name}{by}"
        if self.kind is SourceKind.BBOX:
            assert self.box is not None
            return "bbox " + ",".join(f"{v:g}" for v in self.box) + by
        return f"polygon{by}"

    def load(self, tag_keys: Sequence[str] = ()) -> OSMData:
        """Read the source's OSM data.

        Parameters
        ----------
        tag_keys : sequence of str
            Feature tag keys to fetch from Overpass besides the streets (the catalog's).

        Returns
        -------
        OSMData

        Raises
        ------
        InputError
            From the readers: a missing or unreadable file, an unknown place, a bad box.
        """
        from yushu_circle.osm import sources

        if self.kind is SourceKind.DEMO:
            return sources.demo()
        polygon = _polygon(self.polygon_wkt)
        if self.kind is SourceKind.OSM_FILE:
            assert self.path is not None
            return sources.read_osm_file(self.path, bbox=self.box, polygon=polygon)
        areas: dict[SourceKind, dict[str, Any]] = {
            SourceKind.PLACE: {"place": self.name},
            SourceKind.BBOX: {"bbox": self.box},
            SourceKind.POLYGON: {"polygon": polygon},
        }
        area = areas[self.kind]
        return sources.from_overpass(
            **area,
            tag_keys=tag_keys,
            allow_large_area=self.allow_large_area or None,  # None: the environment may allow it
            servers=self.servers,
            by_settlement=self.by_settlement,
        )


def _box(values: Sequence[float]) -> Bbox:
    from yushu_circle.osm.sources import bbox_polygon

    west, south, east, north = bbox_polygon(list(values)).bounds
    return (float(west), float(south), float(east), float(north))


def _wkt(polygon: Polygon | MultiPolygon | str) -> str:
    import shapely

    if isinstance(polygon, str):
        return polygon
    return str(shapely.to_wkt(polygon, rounding_precision=-1))


def _polygon(wkt: str | None) -> Polygon | MultiPolygon | None:
    if wkt is None:
        return None
    import shapely

    geometry = shapely.from_wkt(wkt)
    return geometry
