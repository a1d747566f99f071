"""What a study computes from its inputs, each once: network, places, snaps, walk minutes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.access import Access, coverage_summary, score, walk_access
from yushu_circle.catalog import LEVELS, Catalog
from yushu_circle.columns import category_of, walk_min
from yushu_circle.errors import InputError
from yushu_circle.inputs import (
    FacilitySet,
    ResidenceSet,
    SharedResults,
    StudyInputs,
    find_facilities,
    find_residences,
)
from yushu_circle.network import Snap, WalkNetwork, walk_graph_from_elements
from yushu_circle.options import DEFAULT_ISO_BUFFER_M, DEFAULT_ISO_MINUTES, StudyOptions
from yushu_circle.osm.sources import OSMData
from yushu_circle.places import features_from_elements

_PEOPLE_COLUMNS = ("population_method", "children", "elderly")  # carried when a study has them


class StudyComputed:
    """The computing half of :class:`yushu_circle.study.Study`: its inputs and every value
    computed from them, on first use and once (see ``Study`` for the whole)."""

    inputs: StudyInputs
    progress: bool
    _shared: SharedResults | None

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

    def access_table(self, detail: Access) -> gpd.GeoDataFrame:
        """The residences table of an :meth:`access_detail` (as :meth:`access` gives it).

        For a walker profile's minutes and their per-node minutes from one search.
        """
        keys = [category_of(str(c)) or str(c) for c in detail.minutes.columns]
        categories = None if keys == [c.key for c in self.catalog] else keys
        return self._access_frame(detail.minutes, categories)

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
