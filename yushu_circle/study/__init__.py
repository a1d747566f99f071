"""The ``Study``: one area, its walk network, residences and facilities, and the results."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle import __version__
from yushu_circle.access import edge_minutes
from yushu_circle.catalog import Catalog
from yushu_circle.inputs import (
    ResidenceInput,
    SharedResults,
    StudyInputs,
    catalog_of,
    read_user_facilities,
    snap_notes,
    what_if_inputs,
)
from yushu_circle.options import DEFAULT_ISO_BUFFER_M, DEFAULT_ISO_MINUTES, AgeShares, StudyOptions
from yushu_circle.osm.sources import OSMData, demo, from_overpass, read_osm_file
from yushu_circle.results import StudyResults
from yushu_circle.results.basemap import basemap_frame
from yushu_circle.results.engine import network_payload, payload_json
from yushu_circle.source import Source
from yushu_circle.study.computed import StudyComputed

__all__ = ["Study", "StudyOptions"]


class Study(StudyComputed):
    """A 15-minute living-circle study of one area.

    Build one with :meth:`demo` (the embedded synthetic town, 示例数据, offline),
    :meth:`from_osm_file`, :meth:`from_place`, :meth:`from_bbox` or :meth:`from_polygon`.
    A study's inputs (:attr:`inputs`) are fixed; every result is computed once, on first
    use, and returned as a value:

    - inputs: :attr:`network` (a :class:`yushu_circle.WalkNetwork`),
      :attr:`residences`, :attr:`facilities` (GeoDataFrames, EPSG:4326), :attr:`catalog`;
    - results: :meth:`access` (walk minutes per residence and category, ``score``),
      :meth:`access_detail` (the same with per-node minutes), :meth:`summary` (coverage
      per category), :meth:`isochrones` (5/10/15-minute reach polygons), :meth:`metadata`;
    - what-if: :meth:`with_facilities` (a new study), then
      :func:`yushu_circle.planning.compare`;
    - files: :func:`yushu_circle.write_study` (``map.html``, GeoParquet, ``summary.csv``).

    Walker profiles (:mod:`yushu_circle.profiles`) give :meth:`access` another network;
    :mod:`yushu_circle.planning` holds compliance, gaps and siting, and
    :mod:`yushu_circle.render` the maps and charts. The notebooks in ``notebooks/`` walk
    through all of it.

    Parameters
    ----------
    data : OSMData
        The OSM data of the area (streets and features, read once).
    catalog : Catalog or str or Path, optional
        Facility categories (default: the shipped GB 50180-based catalog).
    residences : str, Path or GeoDataFrame, optional
        Residences instead of OSM buildings (CSV with lon/lat, GeoJSON, GeoPackage, …).
    facilities : str, Path, GeoDataFrame or sequence of them, optional
        Extra facilities (e.g. a planner's inventory), added to OSM's; files are read now,
        so a bad file fails here.
    options : StudyOptions, optional
        Speed, snap limit, datum.
    progress : bool
        Show progress bars on long steps.
    population : str or Path, optional
        A population GeoTIFF (WorldPop, GHS-POP; any CRS) spread over the OSM residences
        (:func:`yushu_circle.population.distribute`).
    population_total : float, optional
        A known total (a census figure), :func:`yushu_circle.population.spread_total`.
    age_shares : AgeShares, optional
        Children and elderly shares, :func:`yushu_circle.population.age_groups`.

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
        residences: ResidenceInput = None,
        facilities: str | Path | gpd.GeoDataFrame | Sequence[Any] | None = None,
        options: StudyOptions | None = None,
        progress: bool = False,
        population: str | Path | None = None,
        population_total: float | None = None,
        age_shares: AgeShares | None = None,
    ) -> None:
        options = options or StudyOptions()
        base = catalog_of(catalog)
        if facilities is None:
            items: list[Any] = []
        elif isinstance(facilities, str | Path | gpd.GeoDataFrame):
            items = [facilities]
        else:
            items = list(facilities)
        read, extended = read_user_facilities(items, base, options.datum)
        self.inputs = StudyInputs(
            data=data,
            catalog=extended,
            base_keys=tuple(c.key for c in base),
            residences=residences,
            facilities=read,
            options=options,
            population=population,
            population_total=population_total,
            age_shares=age_shares,
        )
        self.progress = progress
        self._shared: SharedResults | None = None
        self._results: dict[float, StudyResults] = {}

    @classmethod
    def _from_inputs(
        cls, inputs: StudyInputs, progress: bool, shared: SharedResults | None = None
    ) -> Study:
        study = cls.__new__(cls)
        study.inputs = inputs
        study.progress = progress
        study._shared = shared
        study._results = {}
        return study

    def __repr__(self) -> str:
        data = self.inputs.data
        parts = [f"data={data.label!r}"]
        if data.synthetic:
            parts.append("synthetic=True (合成示例数据)")
        if data.area is not None:
            west, south, east, north = data.area.bounds
            parts.append(f"area=({west:.4f}, {south:.4f}, {east:.4f}, {north:.4f})")
        # Only what is already computed is counted: a repr must not start a computation.
        computed = self.__dict__
        if "network" in computed:
            parts.append(f"edges={self.network.edge_count:,}")
        if "_residence_set" in computed:
            parts.append(f"residences={len(self.residences):,}")
        if "_facility_set" in computed:
            parts.append(f"facilities={len(self.facilities):,}")
        parts.append(f"categories={len(self.catalog)}")
        if self.inputs.scenario:
            parts.append(f"scenario={self.inputs.scenario!r}")
        return f"Study({', '.join(parts)})"

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
        catalog = catalog_of(kwargs.get("catalog"))
        return cls(source.load(tag_keys=sorted(catalog.tag_keys)), **kwargs)

    @classmethod
    def from_place(cls, place: str, **kwargs: Any) -> Study:
        """A study of a place name fetched from Overpass (e.g. ``"玉树市, 青海省, 中国"``)."""
        catalog = catalog_of(kwargs.get("catalog"))
        return cls(from_overpass(place=place, tag_keys=sorted(catalog.tag_keys)), **kwargs)

    @classmethod
    def from_bbox(cls, bbox: Sequence[float], **kwargs: Any) -> Study:
        """A study of a (west, south, east, north) box fetched from Overpass."""
        catalog = catalog_of(kwargs.get("catalog"))
        return cls(from_overpass(bbox=bbox, tag_keys=sorted(catalog.tag_keys)), **kwargs)

    @classmethod
    def from_polygon(cls, polygon: Polygon | MultiPolygon, **kwargs: Any) -> Study:
        """A study of a polygon (EPSG:4326) fetched from Overpass."""
        catalog = catalog_of(kwargs.get("catalog"))
        return cls(from_overpass(polygon=polygon, tag_keys=sorted(catalog.tag_keys)), **kwargs)

    def with_facilities(
        self, added: str | Path | gpd.GeoDataFrame | None = None, removed: Sequence[str] = ()
    ) -> Study:
        """A what-if study with facilities added and/or removed (情景分析).

        The new study shares this one's network, residences and their snapping (nothing of
        those is recomputed) and the snaps of every category the change leaves alone; walk
        minutes are computed afresh when asked. Compare the two with
        :func:`yushu_circle.planning.compare`.

        Parameters
        ----------
        added : str, Path or GeoDataFrame, optional
            New facilities: a facilities file (as ``--facilities``) or a GeoDataFrame with a
            ``category`` column (``name``, ``facility_id`` optional).
        removed : sequence of str
            ``facility_id`` values to take out.

        Returns
        -------
        Study

        Raises
        ------
        InputError
            When a removed id is not a facility of the study or an added row has no category.
        """
        inputs, changed = what_if_inputs(self.inputs, self.facilities, added, removed)
        shared = SharedResults(
            network=self.network,
            features=self.features,
            residences=self._residence_set,
            residence_snap=self.residence_snap,
            facility_snaps={k: s for k, s in self.facility_snaps.items() if k not in changed},
        )
        return Study._from_inputs(inputs, self.progress, shared)

    def results(
        self,
        isochrones: bool = False,
        iso_minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
        iso_buffer_m: float = DEFAULT_ISO_BUFFER_M,
    ) -> StudyResults:
        """Everything the study's output folder and map show, as one value (computed once).

        :func:`yushu_circle.io.write_results` writes it, :func:`yushu_circle.render.maps`
        draws it; :meth:`explore` shows it.

        Parameters
        ----------
        isochrones : bool
            Compute every residence's reach polygons (:meth:`isochrones`).
        iso_minutes : sequence of float
            Isochrone thresholds, minutes.
        iso_buffer_m : float
            Isochrone buffer half-width, metres (also the page's reach drawing).

        Returns
        -------
        StudyResults
        """
        buffer_m = float(iso_buffer_m)
        if buffer_m not in self._results:
            self._results[buffer_m] = self._built_results(buffer_m)
        results = self._results[buffer_m]
        if not isochrones:
            return results
        return dataclasses.replace(results, isochrones=self.isochrones(iso_minutes, buffer_m))

    def _built_results(self, iso_buffer_m: float) -> StudyResults:
        # The engine's dict is gone before the street edges are made (a lower peak); the
        # edges stay in the network's CRS, on its own geometry (the map reprojects only
        # what it draws, the file a chunk at a time).
        engine = payload_json(
            network_payload(
                self.network,
                self.residences,
                self.residence_snap,
                self.facilities,
                self.facility_snaps,
                self.catalog,
                snap_limit_m=self.options.snap_limit_m,
                buffer_m=iso_buffer_m,
                synthetic=self.synthetic,
                coverage=self.summary(),
            )
        )
        node_minutes = self.access_detail().node_minutes
        minutes = edge_minutes(self.network, self.facility_snaps, node_minutes)
        edges = pd.concat([self.network.edges_frame(projected=True), minutes], axis=1)
        del minutes  # held by ``edges`` now
        basemap, notes = basemap_frame(self.features)
        meta = self.metadata()
        meta["notes"] = [*meta["notes"], *notes]
        return StudyResults(
            access=self.access(),
            facilities=self.facilities,
            summary=self.summary(),
            meta=meta,
            edges=edges,
            engine=engine,
            basemap=basemap,
        )

    def explore(
        self,
        category: str | None = None,
        isochrones: bool | gpd.GeoDataFrame = False,
        overlays: Sequence[Any] = (),
        tianditu_key: str | None = None,
        height: str = "600px",
    ) -> Any:
        """The planner's map of this study as a ``folium.Map``, shown inline in Jupyter.

        The same map as ``map.html``, from the same :meth:`results`: every asset inlined
        (works offline), with the in-page engine (any residence's reach and route, live
        what-if) within the same page budget; add your own folium layers to it.

        Parameters
        ----------
        category : str, optional
            Category the map opens on (default: the score view).
        isochrones : bool or GeoDataFrame
            Precomputed reach polygons for a study too big for the engine: True computes
            them (:meth:`isochrones`), or pass ``study.isochrones(...)``.
        overlays : sequence of Overlay
            Extra layers (:class:`yushu_circle.render.overlays.Overlay`).
        tianditu_key : str, optional
            Tianditu key (default: ``TIANDITU_KEY``).
        height : str
            Height in the notebook.

        Returns
        -------
        folium.Map
        """
        from yushu_circle.render.maps import MapView, study_map

        results = self.results(isochrones=isochrones is True)
        if isinstance(isochrones, gpd.GeoDataFrame):
            results = dataclasses.replace(results, isochrones=isochrones)
        view = MapView(category, tianditu_key, overlays=tuple(overlays), height=height)
        return study_map(results, view)

    def metadata(self) -> dict[str, Any]:
        """What the run used and found: data, speed, counts, notes (for ``summary.json``)."""
        access = self.access()
        snap = self.residence_snap
        off = int((~snap.on_network).sum())
        notes = self.notes + snap_notes(
            snap,
            self.facility_snaps,
            self.inputs.base_keys,
            self.options,
            user_residences=self.inputs.residences is not None,
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
