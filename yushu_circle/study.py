"""The ``Study``: one area, its walk network, residences and facilities, and the results."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle import __version__
from yushu_circle.access import coverage_summary, edge_minutes, score, walk_minutes_table
from yushu_circle.catalog import LEVELS, Catalog
from yushu_circle.errors import DataError
from yushu_circle.network import (
    DEFAULT_SNAP_LIMIT_M,
    DEFAULT_SPEED_KMH,
    Snap,
    WalkNetwork,
    check_speed,
    walk_graph_from_elements,
)
from yushu_circle.options import DEFAULT_ISO_BUFFER_M, DEFAULT_ISO_MINUTES
from yushu_circle.osm.sources import CLIP_MARGIN_M, OSMData, demo, from_overpass, read_osm_file
from yushu_circle.places import (
    empty_facilities,
    facilities_from_features,
    features_from_elements,
    residences_from_features,
    user_facilities,
    user_residences,
)
from yushu_circle.source import Source

_FAR_OUTSIDE_M = 5000.0
"""User points farther than this (or 10 snap limits) outside the street network are refused."""
_LARGE_MEDIAN_SNAP_M = 100.0
"""A median residence-to-street distance above this suggests a wrong datum (GCJ-02/BD-09)."""


@dataclasses.dataclass(frozen=True)
class StudyOptions:
    """How a study measures walking.

    Parameters
    ----------
    speed_kmh : float
        Walking speed on the flat (default 4.0 km/h ≈ GB 50180's 1,000 m in 15 minutes).
    snap_limit_m : float
        Residences and facilities farther than this from every walkable edge are flagged
        off-network and get no walk time.
    keep_all_components : bool
        Keep disconnected parts of the network instead of only the largest.
    datum : str
        Datum of the user's point files (``wgs84``, ``gcj02``, ``bd09``).
    """

    speed_kmh: float = DEFAULT_SPEED_KMH
    snap_limit_m: float = DEFAULT_SNAP_LIMIT_M
    keep_all_components: bool = False
    datum: str = "wgs84"


class Study:
    """A 15-minute living-circle study of one area.

    Build one with :meth:`demo` (the embedded synthetic town, 示例数据, offline),
    :meth:`from_osm_file`, :meth:`from_place`, :meth:`from_bbox` or :meth:`from_polygon`.
    Everything is computed lazily, once, on first use:

    - inputs: :attr:`network` (a :class:`yushu_circle.WalkNetwork`),
      :attr:`residences`, :attr:`facilities` (GeoDataFrames, EPSG:4326), :attr:`catalog`;
    - results: :meth:`access` (walk minutes per residence and category, ``score``),
      :meth:`summary` (coverage per category), :meth:`isochrones` (5/10/15-minute reach
      polygons), :meth:`metadata`;
    - what-if: :meth:`with_facilities`, then :func:`yushu_circle.planning.compare`;
    - files: :func:`yushu_circle.write_study` (``map.html``, GeoParquet, ``summary.csv``).

    Walker profiles (:mod:`yushu_circle.profiles`) give :meth:`access` another network;
    :mod:`yushu_circle.planning` holds compliance, gaps and siting, and
    :mod:`yushu_circle.render.plots` charts (histograms, coverage curves) returning matplotlib Axes.
    The notebooks in ``notebooks/`` walk through all of it.

    Parameters
    ----------
    data : OSMData
        The OSM data of the area (streets and features, read once).
    catalog : Catalog or str or Path, optional
        Facility categories (default: the shipped GB 50180-based catalog).
    residences : str, Path or GeoDataFrame, optional
        Residences instead of OSM buildings (CSV with lon/lat, GeoJSON, GeoPackage, …).
    facilities : str, Path, GeoDataFrame or sequence of them, optional
        Extra facilities (e.g. a planner's inventory), added to OSM's.
    options : StudyOptions, optional
        Speed, snap limit, datum.
    progress : bool
        Show progress bars on long steps.

    Examples
    --------
    >>> study = Study.demo()  # doctest: +SKIP
    >>> study.access()[["residence_id", "walk_min_clinic", "score"]].head()  # doctest: +SKIP
    >>> study.summary()[["name_zh", "share_pop_15min", "median_min"]]  # doctest: +SKIP
    """

    def __init__(
        self,
        data: OSMData,
        catalog: Catalog | str | Path | None = None,
        residences: str | Path | gpd.GeoDataFrame | None = None,
        facilities: str | Path | gpd.GeoDataFrame | Sequence[Any] | None = None,
        options: StudyOptions | None = None,
        progress: bool = False,
    ) -> None:
        self.data = data
        if catalog is None:
            catalog = Catalog.default()
        elif not isinstance(catalog, Catalog):
            catalog = Catalog.load(catalog)
        self._base_catalog: Catalog = catalog
        self.options = options or StudyOptions()
        check_speed(self.options.speed_kmh)
        self._residence_input = residences
        if facilities is None:
            self._facility_inputs: list[Any] = []
        elif isinstance(facilities, str | Path | gpd.GeoDataFrame):
            self._facility_inputs = [facilities]
        else:
            self._facility_inputs = list(facilities)
        self.progress = progress
        self.node_minutes: dict[str, np.ndarray] = {}
        """Per-node walk minutes to each category, filled by :meth:`access`."""
        self.notes: list[str] = list(data.notes)
        self._extra_catalog: Catalog | None = None

    # --- constructors -------------------------------------------------------------------

    @classmethod
    def demo(cls, **kwargs: Any) -> Study:
        """The embedded synthetic demo town at Jiegu (结古), Yushu — 示例数据, not survey data."""
        return cls(demo(), **kwargs)

    @classmethod
    def from_osm_file(
        cls,
        path: str | Path,
        bbox: Sequence[float] | None = None,
        polygon: Polygon | MultiPolygon | None = None,
        **kwargs: Any,
    ) -> Study:
        """A study from a local ``.osm``, ``.osm.bz2``, ``.osm.pbf`` or ``.graphml`` file."""
        return cls(read_osm_file(path, bbox=bbox, polygon=polygon), **kwargs)

    @classmethod
    def from_source(cls, source: Source, **kwargs: Any) -> Study:
        """A study of any :class:`yushu_circle.source.Source` (demo, file, place, box, polygon).

        Examples
        --------
        >>> from yushu_circle.source import Source
        >>> study = Study.from_source(Source.osm_file("town.osm"))  # doctest: +SKIP
        """
        catalog = _catalog_of(kwargs.get("catalog"))
        return cls(source.load(tag_keys=sorted(catalog.tag_keys)), **kwargs)

    @classmethod
    def from_place(cls, place: str, **kwargs: Any) -> Study:
        """A study of a place name fetched from Overpass (e.g. ``"玉树市, 青海省, 中国"``)."""
        catalog = _catalog_of(kwargs.get("catalog"))
        return cls(from_overpass(place=place, tag_keys=sorted(catalog.tag_keys)), **kwargs)

    @classmethod
    def from_bbox(cls, bbox: Sequence[float], **kwargs: Any) -> Study:
        """A study of a (west, south, east, north) box fetched from Overpass."""
        catalog = _catalog_of(kwargs.get("catalog"))
        return cls(from_overpass(bbox=bbox, tag_keys=sorted(catalog.tag_keys)), **kwargs)

    @classmethod
    def from_polygon(cls, polygon: Polygon | MultiPolygon, **kwargs: Any) -> Study:
        """A study of a polygon (EPSG:4326) fetched from Overpass."""
        catalog = _catalog_of(kwargs.get("catalog"))
        return cls(from_overpass(polygon=polygon, tag_keys=sorted(catalog.tag_keys)), **kwargs)

    # --- inputs -------------------------------------------------------------------------

    @property
    def synthetic(self) -> bool:
        """True when the study runs on the embedded synthetic demo data."""
        return self.data.synthetic

    @cached_property
    def network(self) -> WalkNetwork:
        """The walk network (largest connected part unless ``keep_all_components``)."""
        if self.data.extract is not None:
            from yushu_circle.osm.pbf import street_edges

            network = WalkNetwork.from_arrays(
                **street_edges(self.data.extract),
                speed_kmh=self.options.speed_kmh,
                keep_all_components=self.options.keep_all_components,
            )
        else:
            graph = self.data.graph
            if graph is None:
                graph = walk_graph_from_elements(self.data.elements)
            network = WalkNetwork.from_graph(
                graph,
                speed_kmh=self.options.speed_kmh,
                keep_all_components=self.options.keep_all_components,
            )
        if network.dropped_components:
            dropped = network.dropped_components
            self.notes.append(
                f"{len(dropped)} disconnected street part(s) with {sum(dropped):,} nodes left out "
                f"(largest part kept: {network.node_count:,} nodes)"
            )
        return network

    @cached_property
    def features(self) -> gpd.GeoDataFrame:
        """Tagged OSM features of the area (buildings, land use, facilities), EPSG:4326."""
        base = {"building", "landuse", "boundary", "place", "name", "natural", "waterway"}
        keys = self._base_catalog.tag_keys | base
        if self.data.extract is not None:
            from yushu_circle.osm.pbf import features_frame

            return features_frame(self.data.extract, keys)
        return features_from_elements(self.data.elements, keys, self.data.reach_area)

    @property
    def catalog(self) -> Catalog:
        """The catalog, extended with any category the user's facility files bring."""
        _ = self.facilities
        return self._extra_catalog or self._base_catalog

    @cached_property
    def residences(self) -> gpd.GeoDataFrame:
        """Residences: ``residence_id``, ``population``, ``kind``, point geometry (EPSG:4326)."""
        source = self._residence_input
        if isinstance(source, gpd.GeoDataFrame):
            frame = source.to_crs("EPSG:4326")
            how = f"{len(frame):,} residences given as a GeoDataFrame"
        elif source is not None:
            frame = user_residences(source, self.options.datum)
            self._check_in_study_area(frame, source, "residences")
            how = f"{len(frame):,} residences from {Path(source).name}"
        else:
            if not self.data.elements and self.data.extract is None:
                raise DataError(
                    "the source has no building data to find residences in",
                    "pass --residences FILE (CSV with lon, lat, population)",
                )
            frame, how = residences_from_features(
                self.features, self.network.crs, self.network.edges_frame
            )
        if self.data.area is not None and not frame.empty:
            inside = shapely.contains_xy(
                self.data.area, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
            )
            if not inside.all():
                self.notes.append(
                    f"{int((~inside).sum()):,} residence(s) outside the study area left out; "
                    f"streets and facilities up to {CLIP_MARGIN_M:g} m beyond it still count"
                )
                frame = frame[inside]
                how += f" ({len(frame):,} inside the study area)"
        if frame.empty:
            raise DataError(
                "no residences in the study area", "pass --residences FILE or widen the area"
            )
        if "population" not in frame:
            frame = frame.assign(population=1.0)
        self.residence_source = how
        return frame.reset_index(drop=True)

    @cached_property
    def facilities(self) -> gpd.GeoDataFrame:
        """Facilities: ``facility_id``, ``category``, ``name``, ``source``, point geometry."""
        catalog = self._base_catalog
        parts = []
        if self.data.elements or self.data.extract is not None:
            parts.append(facilities_from_features(self.features, catalog))
        for item in self._facility_inputs:
            if isinstance(item, gpd.GeoDataFrame):
                frame = item.to_crs("EPSG:4326")
                for key in frame["category"].unique():
                    catalog = catalog.with_category(str(key))
            else:
                frame, extended = user_facilities(item, self.options.datum, catalog)
                self._check_in_study_area(frame, item, "facilities")
                catalog = extended or catalog
            parts.append(frame)
        self._extra_catalog = catalog
        parts = [p for p in parts if not p.empty]
        if not parts:
            return empty_facilities()
        combined = pd.concat(parts, ignore_index=True)
        return gpd.GeoDataFrame(combined, geometry="geometry", crs="EPSG:4326")

    def _check_in_study_area(self, frame: gpd.GeoDataFrame, source: Any, what: str) -> None:
        """Refuse a user file whose points mostly lie far outside the street network."""
        if frame.empty:
            return
        net = self.network
        x, y = net.to_projected(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
        (west, south), (east, north) = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
        dx = np.maximum(np.maximum(west - x, x - east), 0.0)
        dy = np.maximum(np.maximum(south - y, y - north), 0.0)
        away = np.hypot(dx, dy)
        away[~np.isfinite(away)] = np.inf
        limit = max(_FAR_OUTSIDE_M, 10 * self.options.snap_limit_m)
        far = away > limit
        if far.sum() * 2 > len(frame):
            first = int(np.flatnonzero(far)[0])
            point = frame.geometry.iloc[first]
            raise DataError(
                f"{what} file {source}: {int(far.sum())} of {len(frame)} points lie outside the "
                f"study area, over {limit / 1000:g} km from its streets (the first at "
                f"lon {point.x:.5f}, lat {point.y:.5f})",
                "check that the lon/lat columns are not swapped, that --datum is right, and "
                "that the file is for this area",
            )
        if far.any():
            self.notes.append(
                f"{int(far.sum())} of {len(frame)} points in {what} file {source} lie over "
                f"{limit / 1000:g} km outside the study area: they get no walk time"
            )

    # --- snapping -----------------------------------------------------------------------

    def _snap_frame(self, frame: gpd.GeoDataFrame) -> Snap:
        x, y = self.network.to_projected(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
        return self.network.snap(x, y, self.options.snap_limit_m)

    @cached_property
    def residence_snap(self) -> Snap:
        """Residences snapped onto the walk network's edges."""
        return self._snap_frame(self.residences)

    @cached_property
    def facility_snaps(self) -> dict[str, Snap]:
        """Facilities snapped onto edges, per category key (every catalog category present)."""
        facilities = self.facilities
        snaps = {}
        for category in self.catalog:
            subset = facilities[facilities["category"] == category.key]
            snaps[category.key] = self._snap_frame(subset)
        return snaps

    # --- results ------------------------------------------------------------------------

    def access(self, network: WalkNetwork | None = None) -> gpd.GeoDataFrame:
        """Walk minutes from every residence to the nearest facility of every category.

        Parameters
        ----------
        network : WalkNetwork, optional
            Another version of the network (a walker profile); defaults to the study's.

        Returns
        -------
        GeoDataFrame
            ``residence_id``, ``population``, ``snap_m`` (metres to the network),
            ``on_network``, ``walk_min_<category>`` (NaN where unreachable or off-network),
            ``score`` (share of the catalog's categories reached within their level),
            point geometry (EPSG:4326).
        """
        if network is None and "_access" in self.__dict__:
            return self.__dict__["_access"].copy()
        net = network or self.network
        snap = self.residence_snap
        node_minutes: dict[str, np.ndarray] = {}
        table = walk_minutes_table(
            net, snap, self.facility_snaps, progress=self.progress, node_minutes=node_minutes
        )
        residences = self.residences
        frame = gpd.GeoDataFrame(
            {
                "residence_id": residences["residence_id"].to_numpy(),
                "population": residences["population"].to_numpy(dtype=float),
                "snap_m": np.round(snap.snap_m, 2),
                "on_network": snap.on_network,
            },
            geometry=residences.geometry.values,
            crs="EPSG:4326",
        )
        frame = pd.concat([frame, table], axis=1)
        base_keys = [c.key for c in self._base_catalog]
        frame["score"] = score(table, self.catalog, base_keys)
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
        if network is None:
            self.__dict__["_access"] = frame
            self.node_minutes = node_minutes
        return frame.copy()

    def summary(self, thresholds: Sequence[float] = LEVELS) -> pd.DataFrame:
        """Coverage per category: facilities, shares within 5/10/15 minutes, median and p90."""
        counts = self.facilities["category"].value_counts().to_dict()
        return coverage_summary(self.access(), self.catalog, counts, thresholds)

    def isochrones(
        self,
        minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
        buffer_m: float = DEFAULT_ISO_BUFFER_M,
    ) -> gpd.GeoDataFrame:
        """Walking-reach polygons of every residence (5/10/15-minute isochrones, 等时圈).

        The reach within ``t`` minutes is the walk network reachable from the residence in
        ``t`` minutes — its straight access leg to the street counts — buffered by
        ``buffer_m`` metres (see :func:`yushu_circle.isochrones.isochrones`). Thresholds nest;
        a threshold shorter than the access leg, or an off-network residence, gives an empty
        polygon. Residences snapped to the same place share one computation.

        Parameters
        ----------
        minutes : sequence of float
            Thresholds in minutes (default 5, 10, 15).
        buffer_m : float
            Half-width of the polygon around reached streets, metres (default 25).

        Returns
        -------
        GeoDataFrame
            ``residence_id``, ``minutes``, polygon geometry (EPSG:4326); one row per residence
            and threshold.
        """
        from yushu_circle.isochrones import isochrones

        key = (tuple(float(m) for m in minutes), float(buffer_m))
        default = key == (DEFAULT_ISO_MINUTES, DEFAULT_ISO_BUFFER_M)
        if default and "_isochrones" in self.__dict__:
            return self.__dict__["_isochrones"].copy()
        result = isochrones(
            self.network, self.residence_snap, key[0], key[1], progress=self.progress
        )
        ids = self.residences["residence_id"].to_numpy()
        frame = gpd.GeoDataFrame(
            {
                "residence_id": np.repeat(ids, len(result.minutes)),
                "minutes": np.tile(np.asarray(result.minutes), len(ids)),
            },
            geometry=result.polygons.ravel(),
            crs=self.network.crs,
        ).to_crs("EPSG:4326")
        if default:
            self.__dict__["_isochrones"] = frame
        return frame.copy()

    def with_facilities(
        self, added: str | Path | gpd.GeoDataFrame | None = None, removed: Sequence[str] = ()
    ) -> Study:
        """A what-if copy with facilities added and/or removed, sharing network and residences.

        See :func:`yushu_circle.planning.with_facilities`; compare the two with
        :func:`yushu_circle.planning.compare`.

        Parameters
        ----------
        added : str, Path or GeoDataFrame, optional
            New facilities (a facilities file, or a GeoDataFrame with ``category``).
        removed : sequence of str
            ``facility_id`` values to take out.
        """
        from yushu_circle.planning import with_facilities

        return with_facilities(self, added=added, removed=removed)

    def metadata(self) -> dict[str, Any]:
        """What the run used and found: data, speed, counts, notes (for ``summary.json``)."""
        access = self.access()
        snap = self.residence_snap
        off = int((~snap.on_network).sum())
        notes = list(self.notes)
        if off:
            notes.append(
                f"{off:,} residence(s) are farther than {self.options.snap_limit_m:g} m from any "
                "walkable street: flagged off-network, no walk time"
            )
        thin = [
            k for k, s in self.facility_snaps.items() if len(s) == 0 and k in self._base_catalog
        ]
        if thin:
            notes.append("no facility found for: " + ", ".join(thin))
        stranded = sum(int((~s.on_network).sum()) for s in self.facility_snaps.values())
        if stranded:
            notes.append(
                f"{stranded:,} facilit{'y is' if stranded == 1 else 'ies are'} farther than "
                f"{self.options.snap_limit_m:g} m from the walk network (off the streets or on "
                "a disconnected street part): no walk time to them"
            )
        if self._residence_input is not None and len(snap) and off < len(snap):
            median = float(np.median(snap.snap_m[np.isfinite(snap.snap_m)]))
            if median > _LARGE_MEDIAN_SNAP_M:
                hint = (
                    "if the coordinates come from Amap/Tencent (GCJ-02) or Baidu (BD-09), "
                    "pass --datum gcj02 or --datum bd09"
                    if self.options.datum == "wgs84"
                    else f"check the file's datum (declared {self.options.datum})"
                )
                notes.append(
                    f"residences sit a median {median:.0f} m from the nearest street (over "
                    f"{_LARGE_MEDIAN_SNAP_M:g} m): {hint}"
                )
        return {
            "tool": f"yushu_circle {__version__}",
            "data": self.data.label,
            "synthetic": self.synthetic,
            "synthetic_note": (
                "合成示例数据 synthetic demo data — places, names and numbers are made up"
                if self.synthetic
                else ""
            ),
            "residence_source": self.residence_source,
            "speed_kmh": self.network.speed_kmh,
            "profile": self.network.profile_name,
            "snap_limit_m": self.options.snap_limit_m,
            "network_nodes": self.network.node_count,
            "network_edges": self.network.edge_count,
            "crs": self.network.crs.to_string(),
            "residences": len(access),
            "population": float(access["population"].sum()),
            "off_network": off,
            "facilities": len(self.facilities),
            "catalog": [
                {
                    "key": c.key,
                    "name_zh": c.name_zh,
                    "name_en": c.name_en,
                    "level": c.level,
                    "group": c.group,
                    "color": c.color,
                    "verified": c.verified,
                }
                for c in self.catalog
            ],
            "notes": notes,
        }


def _catalog_of(value: Any) -> Catalog:
    if value is None:
        return Catalog.default()
    return value if isinstance(value, Catalog) else Catalog.load(value)


def write_study(
    study: Study,
    out_dir: str | Path,
    gpkg: bool = False,
    isochrones: bool = True,
    iso_minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
    iso_buffer_m: float = DEFAULT_ISO_BUFFER_M,
) -> list[Path]:
    """Write the output contract of a study into ``out_dir``, atomically.

    Files: ``residences.parquet`` (and ``.gpkg`` when asked), ``facilities.parquet``,
    ``network.parquet`` (the walk edges, for maps), ``isochrones.parquet`` (unless
    ``isochrones=False``), ``summary.csv``, ``summary.json``, ``basemap.parquet`` (water
    and building footprints, for maps) and ``map.html``.

    Parameters
    ----------
    study : Study
    out_dir : str or Path
    gpkg : bool
        Also write ``residences.gpkg`` and ``facilities.gpkg``.
    isochrones : bool
        Write ``isochrones.parquet`` (``residence_id``, ``minutes``, polygon).
    iso_minutes : sequence of float
        Isochrone thresholds, minutes.
    iso_buffer_m : float
        Isochrone buffer half-width, metres.

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.io import (
        csv_writer,
        gpkg_writer,
        json_writer,
        parquet_writer,
        prepare_out_dir,
        text_writer,
        write_atomically,
    )
    from yushu_circle.render import maps

    prepare_out_dir(out_dir)
    access = study.access()
    summary = study.summary()
    meta = study.metadata()
    facilities = study.facilities
    edges = study.network.edges_frame()
    minutes = edge_minutes(study.network, study.facility_snaps, study.node_minutes)
    edges = pd.concat([edges, minutes], axis=1)
    basemap, basemap_notes = maps.basemap_frame(study.features)
    meta["notes"] = [*meta.get("notes", []), *basemap_notes]
    document = {"meta": meta, "categories": summary.reset_index().to_dict("records")}
    iso = study.isochrones(iso_minutes, iso_buffer_m) if isochrones else None
    html = maps.coverage_map(
        access,
        facilities,
        summary,
        meta,
        edges=edges,
        isochrones=iso,
        overlays=maps.basemap_overlays(basemap),
    )
    writers = {
        "basemap.parquet": parquet_writer(basemap),
        "residences.parquet": parquet_writer(access),
        "facilities.parquet": parquet_writer(facilities),
        "network.parquet": parquet_writer(edges),
        "summary.csv": csv_writer(summary),
        "summary.json": json_writer(document),
        "map.html": text_writer(html),
    }
    if iso is not None:
        writers["isochrones.parquet"] = parquet_writer(iso)
    if gpkg:
        writers["residences.gpkg"] = gpkg_writer(access, "residences")
        writers["facilities.gpkg"] = gpkg_writer(facilities, "facilities")
    return write_atomically(out_dir, writers)
