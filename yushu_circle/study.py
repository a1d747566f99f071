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
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle import __version__
from yushu_circle.access import Access, coverage_summary, score, walk_access
from yushu_circle.catalog import LEVELS, Catalog
from yushu_circle.columns import walk_min
from yushu_circle.errors import InputError
from yushu_circle.inputs import (
    FacilitySet,
    ResidenceInput,
    ResidenceSet,
    SharedResults,
    StudyInputs,
    StudyOptions,
    catalog_of,
    find_facilities,
    find_residences,
    read_user_facilities,
    snap_notes,
    what_if_inputs,
)
from yushu_circle.network import Snap, WalkNetwork, walk_graph_from_elements
from yushu_circle.options import DEFAULT_ISO_BUFFER_M, DEFAULT_ISO_MINUTES, AgeShares, check_speed
from yushu_circle.osm.sources import OSMData, demo, from_overpass, read_osm_file
from yushu_circle.places import (
    features_from_elements,
)
from yushu_circle.source import Source

_PEOPLE_COLUMNS = ("population_method", "children", "elderly")  # carried when a study has them


class Study:
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
        check_speed(options.speed_kmh)
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

    @classmethod
    def _from_inputs(
        cls, inputs: StudyInputs, progress: bool, shared: SharedResults | None = None
    ) -> Study:
        study = cls.__new__(cls)
        study.inputs = inputs
        study.progress = progress
        study._shared = shared
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

    # --- inputs -------------------------------------------------------------------------

    @property
    def data(self) -> OSMData:
        """The OSM data of the area."""
        return self.inputs.data

    @property
    def options(self) -> StudyOptions:
        """Speed, snap limit, datum."""
        return self.inputs.options

    @property
    def catalog(self) -> Catalog:
        """The categories: the base catalog plus those the user's facility files bring."""
        return self.inputs.catalog

    @property
    def synthetic(self) -> bool:
        """True when the study runs on the embedded synthetic demo data."""
        return self.inputs.data.synthetic

    @cached_property
    def network(self) -> WalkNetwork:
        """The walk network (largest connected part unless ``keep_all_components``)."""
        if self._shared is not None:
            return self._shared.network
        data, options = self.inputs.data, self.inputs.options
        if data.extract is not None:
            from yushu_circle.osm.pbf import street_edges

            network = WalkNetwork.from_arrays(
                **street_edges(data.extract),
                speed_kmh=options.speed_kmh,
                keep_all_components=options.keep_all_components,
                within=data.area,  # a county's settlements: the main streets of each
            )
            if "features" in self.__dict__:
                self._release_data()
            return network
        graph = data.graph if data.graph is not None else walk_graph_from_elements(data.elements)
        return WalkNetwork.from_graph(
            graph, speed_kmh=options.speed_kmh, keep_all_components=options.keep_all_components
        )

    @cached_property
    def features(self) -> gpd.GeoDataFrame:
        """Tagged OSM features of the area (buildings, land use, facilities), EPSG:4326."""
        if self._shared is not None:
            return self._shared.features
        data = self.inputs.data
        base = {"building", "landuse", "boundary", "place", "name", "natural", "waterway"}
        keys = self.catalog.tag_keys | base
        if data.extract is not None:
            from yushu_circle.osm.pbf import features_frame

            features = features_frame(data.extract, keys)
            if "network" in self.__dict__:
                self._release_data()
            return features
        return features_from_elements(data.elements, keys, data.reach_area)

    def _release_data(self) -> None:
        # Called once the network and the features are both built: nothing reads the
        # extract again, and on a city it is the largest thing the study would hold.
        self.inputs = dataclasses.replace(self.inputs, data=self.inputs.data.released())

    @cached_property
    def _residence_set(self) -> ResidenceSet:
        if self._shared is not None:
            return self._shared.residences
        return find_residences(self.inputs, self.network, lambda: self.features)

    @property
    def residences(self) -> gpd.GeoDataFrame:
        """Residences: ``residence_id``, ``population``, ``kind``, point geometry (EPSG:4326)."""
        return self._residence_set.frame

    @property
    def residence_source(self) -> str:
        """How the residences were found (for the summary and the terminal)."""
        return self._residence_set.source

    @cached_property
    def _facility_set(self) -> FacilitySet:
        return find_facilities(self.inputs, self.network, lambda: self.features)

    @property
    def facilities(self) -> gpd.GeoDataFrame:
        """Facilities: ``facility_id``, ``category``, ``name``, ``source``, point geometry."""
        return self._facility_set.frame

    @property
    def notes(self) -> list[str]:
        """What the study noted on the way, in a fixed order (computes what it needs)."""
        notes = list(self.inputs.data.notes)
        dropped = self.network.dropped_components
        if dropped:
            notes.append(
                f"{len(dropped)} disconnected street part(s) with {sum(dropped):,} nodes left out "
                f"(largest part kept: {self.network.node_count:,} nodes)"
            )
        data = self.inputs.data
        if data.has_features:
            notes += self.features.attrs.get("notes", [])  # e.g. relations left unclosed
        notes += self._residence_set.notes
        notes += self._facility_set.notes
        if self.inputs.scenario:
            notes.append(self.inputs.scenario)
        return notes

    # --- snapping -----------------------------------------------------------------------

    def _snap_frame(self, frame: gpd.GeoDataFrame) -> Snap:
        x, y = self.network.to_projected(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
        return self.network.snap(x, y, self.options.snap_limit_m)

    @cached_property
    def residence_snap(self) -> Snap:
        """Residences snapped onto the walk network's edges."""
        if self._shared is not None:
            return self._shared.residence_snap
        return self._snap_frame(self.residences)

    @cached_property
    def facility_snaps(self) -> dict[str, Snap]:
        """Facilities snapped onto edges, per category key (every catalog category present)."""
        facilities = self.facilities
        reused = self._shared.facility_snaps if self._shared is not None else {}
        snaps = {}
        for category in self.catalog:
            if category.key in reused:
                snaps[category.key] = reused[category.key]
            else:
                subset = facilities[facilities["category"] == category.key]
                snaps[category.key] = self._snap_frame(subset)
        return snaps

    # --- results ------------------------------------------------------------------------

    @cached_property
    def _default_access(self) -> Access:
        return walk_access(
            self.network, self.residence_snap, self.facility_snaps, progress=self.progress
        )

    def access_detail(
        self, network: WalkNetwork | None = None, categories: Sequence[str] | None = None
    ) -> Access:
        """Walk minutes per residence and per network node, for every (or some) categories.

        Parameters
        ----------
        network : WalkNetwork, optional
            Another version of the network (a walker profile); defaults to the study's.
        categories : sequence of str, optional
            Category keys to compute (default: every category of the catalog).

        Returns
        -------
        Access
            ``minutes`` (one ``walk_min_<category>`` column per category) and
            ``node_minutes`` (per category, minutes from every node).
        """
        keys = self._category_keys(categories)
        if network is None and (categories is None or "_default_access" in self.__dict__):
            full = self._default_access
            if categories is None:
                return full
            return Access(
                full.minutes[[walk_min(k) for k in keys]],
                {k: full.node_minutes[k] for k in keys},
            )
        snaps = {k: self.facility_snaps[k] for k in keys}
        return walk_access(
            network or self.network, self.residence_snap, snaps, progress=self.progress
        )

    def access(
        self, categories: Sequence[str] | None = None, network: WalkNetwork | None = None
    ) -> gpd.GeoDataFrame:
        """Walk minutes from every residence to the nearest facility of every category.

        Parameters
        ----------
        categories : sequence of str, optional
            Category keys to compute (default: every category); ``score`` is computed only
            when every category is.
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
        if network is None and categories is None:
            # Copy-on-write (pandas 3): the caller's edits copy what they touch, never the
            # study's own table, and nothing is copied up front.
            return self._default_access_frame.copy(deep=False)
        return self._access_frame(self.access_detail(network, categories).minutes, categories)

    @cached_property
    def _default_access_frame(self) -> gpd.GeoDataFrame:
        return self._access_frame(self._default_access.minutes, None)

    def _access_frame(
        self, table: pd.DataFrame, categories: Sequence[str] | None
    ) -> gpd.GeoDataFrame:
        residences = self.residences
        snap = self.residence_snap
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
        extra = [c for c in _PEOPLE_COLUMNS if c in residences]  # a known total, age groups
        if extra:
            frame = frame.assign(**{c: residences[c].to_numpy() for c in extra})
        frame = pd.concat([frame, table], axis=1)
        if categories is None:
            frame["score"] = score(table, self.catalog, self.catalog.standard_keys)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")

    def _category_keys(self, categories: Sequence[str] | None) -> list[str]:
        if categories is None:
            return [c.key for c in self.catalog]
        keys = [str(k) for k in categories]
        unknown = [k for k in keys if k not in self.catalog]
        if unknown:
            raise InputError(
                f"unknown category {unknown[0]!r}",
                "use catalog keys such as " + ", ".join(c.key for c in list(self.catalog)[:5]),
            )
        return keys

    def summary(self, thresholds: Sequence[float] = LEVELS) -> pd.DataFrame:
        """Coverage per category: facilities, shares within 5/10/15 minutes, median and p90."""
        if list(thresholds) == list(LEVELS):
            return self._default_summary.copy(deep=False)  # asked by the run, map and report
        return self._summary(thresholds)

    @cached_property
    def _default_summary(self) -> pd.DataFrame:
        return self._summary(LEVELS)

    def _summary(self, thresholds: Sequence[float]) -> pd.DataFrame:
        counts = self.facilities["category"].value_counts().to_dict()
        return coverage_summary(self.access(), self.catalog, counts, thresholds)

    def isochrones(
        self,
        minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
        buffer_m: float = DEFAULT_ISO_BUFFER_M,
        residences: Sequence[Any] | None = None,
    ) -> gpd.GeoDataFrame:
        """Walking-reach polygons of every (or some) residence(s) (等时圈).

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
        residences : sequence, optional
            ``residence_id`` values to compute (default: every residence), in that order.

        Returns
        -------
        GeoDataFrame
            ``residence_id``, ``minutes``, polygon geometry (EPSG:4326); one row per residence
            and threshold.
        """
        key = (tuple(float(m) for m in minutes), float(buffer_m))
        if residences is None and key == (DEFAULT_ISO_MINUTES, DEFAULT_ISO_BUFFER_M):
            return self._default_isochrones.copy()
        return self._isochrones(key[0], key[1], residences)

    @cached_property
    def _default_isochrones(self) -> gpd.GeoDataFrame:
        return self._isochrones(DEFAULT_ISO_MINUTES, DEFAULT_ISO_BUFFER_M, None)

    def _isochrones(
        self, minutes: tuple[float, ...], buffer_m: float, residences: Sequence[Any] | None
    ) -> gpd.GeoDataFrame:
        from yushu_circle.isochrones import isochrones

        ids = self.residences["residence_id"].to_numpy()
        snap = self.residence_snap
        if residences is not None:
            position = {str(rid): i for i, rid in enumerate(ids)}
            missing = [r for r in residences if str(r) not in position]
            if missing:
                raise InputError(
                    f"residence id {missing[0]!r} is not in the study",
                    "use residence_id values from study.residences",
                )
            rows = np.array([position[str(r)] for r in residences], dtype=np.int64)
            ids = ids[rows]
            snap = snap.subset(rows)
        result = isochrones(self.network, snap, minutes, buffer_m, progress=self.progress)
        return gpd.GeoDataFrame(
            {
                "residence_id": np.repeat(ids, len(result.minutes)),
                "minutes": np.tile(np.asarray(result.minutes), len(ids)),
            },
            geometry=result.polygons.ravel(),
            crs=self.network.crs,
        ).to_crs("EPSG:4326")

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

    def explore(self, category: str | None = None, **options: Any) -> Any:
        """The planner's map of this study as a ``folium.Map``, shown inline in Jupyter.

        The same map as ``map.html``, every asset inlined (works offline); add your own
        folium layers to it. See :func:`yushu_circle.render.study_maps.explore`.

        Parameters
        ----------
        category : str, optional
            Category the map opens on (default: the score view).
        **options
            ``isochrones``, ``overlays``, ``tianditu_key``, ``height`` (default ``"600px"``).

        Returns
        -------
        folium.Map
        """
        from yushu_circle.render.study_maps import explore

        return explore(self, category=category, **options)

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
