"""The walk network: metric arrays for the kernels, a networkx view, snapping onto edges."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from shapely.geometry import LineString, MultiPolygon, Polygon

from yushu_circle._core.kernels import min_arcs_csr
from yushu_circle._core.nearest import EdgeGrid
from yushu_circle.edge_search import grid_of, nearest_by_grid, nearest_by_tree, uses_grid
from yushu_circle.errors import DataError, InputError
from yushu_circle.options import (
    DEFAULT_PROFILE,
    DEFAULT_SNAP_LIMIT_M,
    DEFAULT_SPEED_KMH,
    check_speed,
)
from yushu_circle.osm.gcpause import paused_gc
from yushu_circle.osm.streets import one_highway, one_name, utm_crs, walk_graph_from_elements
from yushu_circle.osm.walkfilter import is_walkable

__all__ = [
    "DEFAULT_SNAP_LIMIT_M",
    "DEFAULT_SPEED_KMH",
    "Snap",
    "WalkNetwork",
    "is_walkable",
    "min_csr",
    "utm_crs",
    "walk_graph_from_elements",
]


@dataclass
class Snap:
    """Points placed onto the walk network's edges.

    Attributes
    ----------
    edge : ndarray of int64
        Index of the nearest edge (``-1`` when the point is off the network).
    frac : ndarray of float64
        Position along the edge from its ``u`` end, 0–1.
    snap_m : ndarray of float64
        Straight distance from the point to the edge, metres.
    on_network : ndarray of bool
        Whether the point is within the snap limit (times are computed only for these).
    x, y : ndarray of float64
        The snapped position (projected metres).
    """

    edge: np.ndarray
    frac: np.ndarray
    snap_m: np.ndarray
    on_network: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    def subset(self, mask: np.ndarray) -> Snap:
        """The snaps selected by a boolean mask or index array."""
        return Snap(
            self.edge[mask],
            self.frac[mask],
            self.snap_m[mask],
            self.on_network[mask],
            self.x[mask],
            self.y[mask],
        )


@dataclass
class WalkNetwork:
    """A walk network as arrays (for the kernels) with a networkx view for the analyst.

    Edges are undirected streets with a walk time per direction (``time_uv`` from ``u``
    to ``v``, ``time_vu`` back), so slopes and profiles can make them asymmetric.

    Attributes
    ----------
    crs : pyproj.CRS
        The metric CRS of ``node_xy`` and ``edge_geometry`` (a UTM zone).
    node_ids : ndarray of int64
        OSM node ids.
    node_xy : ndarray, shape (n, 2)
        Projected node coordinates, metres.
    edge_u, edge_v : ndarray of int64
        Node indices of each edge's ends.
    edge_length : ndarray of float64
        Edge length, metres.
    edge_geometry : ndarray of shapely LineString
        Projected edge geometry, from ``u`` to ``v``.
    edge_highway : ndarray of str
        The OSM ``highway`` value (``steps``, ``footway``, …).
    edge_name : ndarray of str, optional
        The street's OSM ``name`` (``""`` where it has none); None when the source gave no
        names.
    speed_kmh : float
        Walking speed on the flat; also the speed of the access leg to the street.
    time_uv, time_vu : ndarray of float64
        Walk minutes along each edge per direction (``inf`` where a profile forbids it).
    dropped_components : list of int
        Node counts of the smaller disconnected parts that were left out.
    """

    crs: pyproj.CRS
    node_ids: np.ndarray
    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_geometry: np.ndarray
    edge_highway: np.ndarray
    edge_name: np.ndarray | None = None
    speed_kmh: float = DEFAULT_SPEED_KMH
    time_uv: np.ndarray = field(default_factory=lambda: np.empty(0))
    time_vu: np.ndarray = field(default_factory=lambda: np.empty(0))
    node_elevation: np.ndarray | None = None
    dropped_components: list[int] = field(default_factory=list)
    profile_name: str = DEFAULT_PROFILE
    _graph: nx.MultiDiGraph | None = field(default=None, repr=False)
    _tree: shapely.STRtree | None = field(default=None, repr=False)
    # The nearest-edge grid and the geometry array it was built from: a copy sharing the
    # geometry (``with_times``) reuses it, one with other edges builds its own.
    _grid: tuple[np.ndarray, EdgeGrid | None] | None = field(
        default=None, repr=False, compare=False
    )
    _csr: dict[bool, sp.csr_matrix] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_speed(self.speed_kmh)
        if len(self.time_uv) != len(self.edge_u):
            minutes = self.edge_length / self.metres_per_minute
            self.time_uv = minutes
            self.time_vu = minutes.copy()

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_graph(
        cls,
        graph: nx.MultiDiGraph | nx.MultiGraph | nx.Graph,
        speed_kmh: float = DEFAULT_SPEED_KMH,
        keep_all_components: bool = False,
    ) -> WalkNetwork:
        """Build the network from a networkx graph (osmnx's, or one made by hand).

        Every edge is walkable both ways. An unprojected graph (``crs`` EPSG:4326, as osmnx
        makes) is projected to its UTM zone; a projected one is used as it is.

        Parameters
        ----------
        graph : networkx graph
            Nodes need ``x`` and ``y``; edges may carry ``length`` (metres), ``geometry``,
            ``highway`` and ``name``.
        speed_kmh : float
            Walking speed on the flat, km/h.
        keep_all_components : bool
            Keep every disconnected part instead of only the largest.

        Returns
        -------
        WalkNetwork
        """
        if graph.number_of_nodes() == 0 or graph.number_of_edges() == 0:
            raise DataError("the walk network has no edges", "check the study area")
        node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        xs = np.array([graph.nodes[n]["x"] for n in graph.nodes], dtype=float)
        ys = np.array([graph.nodes[n]["y"] for n in graph.nodes], dtype=float)
        crs_text = graph.graph.get("crs", "EPSG:4326")
        source_crs = pyproj.CRS.from_user_input(crs_text)
        if source_crs.is_geographic:
            crs = utm_crs(float(np.mean(xs)), float(np.mean(ys)))
            transformer = pyproj.Transformer.from_crs(source_crs, crs, always_xy=True)
            px, py = transformer.transform(xs, ys)
        else:
            crs, transformer = source_crs, None
            px, py = xs, ys
        node_xy = np.column_stack([px, py])
        index = {node: i for i, node in enumerate(graph.nodes)}

        seen: set[tuple[int, int, float]] = set()
        us: list[int] = []
        vs: list[int] = []
        lengths: list[float] = []
        geometries: list[LineString] = []
        highways: list[str] = []
        names: list[str] = []
        for u, v, data in graph.edges(data=True):
            iu, iv = index[u], index[v]
            geometry = data.get("geometry")
            if geometry is not None and transformer is not None:
                geometry = shapely.transform(
                    geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1]))
                )
            if geometry is None:
                geometry = LineString([node_xy[iu], node_xy[iv]])
            # One metric for edges and access legs: an OSM graph (geographic) is measured
            # in its UTM zone like the snaps; a projected graph made by hand keeps its lengths.
            given = data.get("length") if transformer is None else None
            length = float(geometry.length if given is None else given)
            key = (min(iu, iv), max(iu, iv), round(length, 2))
            if key in seen:
                continue
            seen.add(key)
            geometry = _oriented(geometry, node_xy[iu], node_xy[iv])
            us.append(iu)
            vs.append(iv)
            lengths.append(length)
            geometries.append(geometry)
            highways.append(one_highway(data.get("highway", "")))
            names.append(one_name(data.get("name")))
        network = cls(
            crs=crs,
            node_ids=node_ids,
            node_xy=node_xy,
            edge_u=np.asarray(us, dtype=np.int64),
            edge_v=np.asarray(vs, dtype=np.int64),
            edge_length=np.asarray(lengths, dtype=float),
            edge_geometry=np.asarray(geometries, dtype=object),
            edge_highway=np.asarray(highways, dtype=object),
            edge_name=np.asarray(names, dtype=object),
            speed_kmh=speed_kmh,
        )
        if not keep_all_components:
            network = network.largest_component()
        return network

    @classmethod
    @paused_gc()
    def from_arrays(
        cls,
        lon: np.ndarray,
        lat: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        edge_lon: np.ndarray,
        edge_lat: np.ndarray,
        edge_offsets: np.ndarray,
        node_ids: np.ndarray | None = None,
        edge_highway: np.ndarray | None = None,
        edge_name: np.ndarray | None = None,
        speed_kmh: float = DEFAULT_SPEED_KMH,
        keep_all_components: bool = False,
        within: Polygon | MultiPolygon | None = None,
    ) -> WalkNetwork:
        """Build the network from EPSG:4326 arrays, with no networkx graph on the way.

        The fast path for large extracts (see ``yushu_circle.osm.pbf.street_edges``); the
        same edges through :meth:`from_graph` give the same network. Only nodes that end
        an edge are kept; the others survive as edge geometry.

        Parameters
        ----------
        lon, lat : ndarray
            Node coordinates, degrees.
        edge_u, edge_v : ndarray of int
            Node indices of each edge's ends.
        edge_lon, edge_lat : ndarray
            Edge geometries from ``u`` to ``v``, concatenated.
        edge_offsets : ndarray of int
            Start of each edge in ``edge_lon`` (one more entry than edges).
        node_ids : ndarray of int64, optional
            OSM node ids (default ``0..n-1``).
        edge_highway : ndarray of str, optional
            The ``highway`` value of each edge.
        edge_name : ndarray of str, optional
            The street name of each edge (``""`` for none).
        speed_kmh : float
            Walking speed on the flat, km/h.
        keep_all_components : bool
            Keep every disconnected part instead of only the largest.
        within : shapely Polygon or MultiPolygon, optional
            The study area (EPSG:4326), for :meth:`largest_component`.

        Returns
        -------
        WalkNetwork
        """
        edge_u = np.asarray(edge_u, dtype=np.int64)
        edge_v = np.asarray(edge_v, dtype=np.int64)
        if len(edge_u) == 0:
            raise DataError("the walk network has no edges", "check the study area")
        counts: np.ndarray = np.diff(np.asarray(edge_offsets, dtype=np.int64))
        if np.any(counts < 2) or len(counts) != len(edge_u):
            raise InputError(
                "edge_offsets do not describe one line of two or more points per edge",
                "pass len(edge_u) + 1 offsets into edge_lon/edge_lat",
            )
        used, inverse = np.unique(np.concatenate([edge_u, edge_v]), return_inverse=True)
        edge_u, edge_v = inverse[: len(edge_u)], inverse[len(edge_u) :]
        lon = np.asarray(lon, dtype=float)[used]
        lat = np.asarray(lat, dtype=float)[used]
        ids = np.arange(len(used), dtype=np.int64) if node_ids is None else node_ids[used]
        crs = utm_crs(float(np.mean(lon)), float(np.mean(lat)))
        transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        node_xy = np.column_stack(transformer.transform(lon, lat))
        ex, ey = transformer.transform(np.asarray(edge_lon, float), np.asarray(edge_lat, float))
        line_of = np.repeat(np.arange(len(counts)), counts)
        geometry = shapely.linestrings(np.column_stack([ex, ey]), indices=line_of)
        # One metric for edges and access legs (snaps): lengths in the same UTM zone.
        length = shapely.length(geometry)
        # Drop repeated edges (overlapping ways) as from_graph does: same ends, same length.
        low, high = np.minimum(edge_u, edge_v), np.maximum(edge_u, edge_v)
        rounded = np.round(length, 2)
        order = np.lexsort((rounded, high, low))
        repeat = np.zeros(len(order), dtype=bool)
        repeat[1:] = (
            (low[order][1:] == low[order][:-1])
            & (high[order][1:] == high[order][:-1])
            & (rounded[order][1:] == rounded[order][:-1])
        )
        keep = np.ones(len(order), dtype=bool)
        keep[order[repeat]] = False
        highway = (
            np.full(len(edge_u), "", dtype=object)
            if edge_highway is None
            else np.asarray(edge_highway, dtype=object)
        )
        network = cls(
            crs=crs,
            node_ids=ids,
            node_xy=node_xy,
            edge_u=edge_u[keep],
            edge_v=edge_v[keep],
            edge_length=length[keep],
            edge_geometry=geometry[keep],
            edge_highway=highway[keep],
            edge_name=None if edge_name is None else np.asarray(edge_name, dtype=object)[keep],
            speed_kmh=speed_kmh,
        )
        if not keep_all_components:
            network = network.largest_component(within)
        return network

    def largest_component(self, within: Polygon | MultiPolygon | None = None) -> WalkNetwork:
        """Keep only the largest connected part (of each part of ``within``, EPSG:4326, when
        it has several: a county's settlements); record the sizes of the others."""
        n = self.node_count
        adjacency = sp.coo_matrix(
            (np.ones(len(self.edge_u)), (self.edge_u, self.edge_v)), shape=(n, n)
        ).tocsr()
        count, labels = connected_components(adjacency, directed=False)
        if count == 1:
            return self
        sizes = np.bincount(labels)
        kept = self._largest_in_parts(within, labels, sizes) or {int(np.argmax(sizes))}
        keep_nodes = np.isin(labels, sorted(kept))
        new_index = np.full(n, -1, dtype=np.int64)
        new_index[keep_nodes] = np.arange(int(keep_nodes.sum()))
        keep_edges = keep_nodes[self.edge_u]
        dropped = sorted((int(s) for i, s in enumerate(sizes) if i not in kept), reverse=True)
        return dataclasses.replace(
            self,
            node_ids=self.node_ids[keep_nodes],
            node_xy=self.node_xy[keep_nodes],
            edge_u=new_index[self.edge_u[keep_edges]],
            edge_v=new_index[self.edge_v[keep_edges]],
            edge_length=self.edge_length[keep_edges],
            edge_geometry=self.edge_geometry[keep_edges],
            edge_highway=self.edge_highway[keep_edges],
            edge_name=None if self.edge_name is None else self.edge_name[keep_edges],
            time_uv=self.time_uv[keep_edges],
            time_vu=self.time_vu[keep_edges],
            node_elevation=None if self.node_elevation is None else self.node_elevation[keep_nodes],
            dropped_components=self.dropped_components + dropped,
            _graph=None,
            _tree=None,
            _csr={},
        )

    def _largest_in_parts(
        self, within: Polygon | MultiPolygon | None, labels: np.ndarray, sizes: np.ndarray
    ) -> set[int]:
        """The largest part's label in each part of ``within`` (nearest, if it holds no node)."""
        parts = shapely.get_parts(within) if within is not None else []
        kept: set[int] = set()
        x, y = self.node_xy[:, 0], self.node_xy[:, 1]
        for part in parts if len(parts) > 1 else []:
            local = shapely.transform(part, lambda c: np.column_stack(self.to_projected(*c.T)))
            inside = np.flatnonzero(shapely.contains_xy(local, x, y))
            if len(inside) == 0:
                point = local.representative_point()
                inside = np.array([int(np.argmin(np.hypot(x - point.x, y - point.y)))])
            candidates = labels[inside]
            kept.add(int(candidates[np.argmax(sizes[candidates])]))
        return kept

    def with_times(
        self,
        time_uv: np.ndarray,
        time_vu: np.ndarray,
        speed_kmh: float | None = None,
        profile_name: str | None = None,
    ) -> WalkNetwork:
        """A copy sharing the geometry but with other edge walk times (a profile or slope).

        Parameters
        ----------
        time_uv, time_vu : ndarray
            Minutes per edge and direction; ``inf`` closes an edge in that direction.
        speed_kmh : float, optional
            Flat walking speed (the access leg's speed); unchanged when omitted.
        profile_name : str, optional
            Name recorded with results.
        """
        return dataclasses.replace(
            self,
            time_uv=np.asarray(time_uv, dtype=float),
            time_vu=np.asarray(time_vu, dtype=float),
            speed_kmh=self.speed_kmh if speed_kmh is None else speed_kmh,
            profile_name=self.profile_name if profile_name is None else profile_name,
            _graph=None,
            _csr={},
        )

    # --- properties ---------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def edge_count(self) -> int:
        """Number of (undirected) edges."""
        return len(self.edge_u)

    @property
    def metres_per_minute(self) -> float:
        """Flat walking speed in metres per minute."""
        return self.speed_kmh * 1000.0 / 60.0

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The networkx view (projected CRS): both directions, ``length``, ``walk_min``, geometry.

        Built on first use, so a million-node study does not pay for it unless asked.
        """
        if self._graph is None:
            graph = nx.MultiDiGraph(crs=self.crs.to_string())
            for i, node in enumerate(self.node_ids.tolist()):
                graph.add_node(node, x=float(self.node_xy[i, 0]), y=float(self.node_xy[i, 1]))
            ids = self.node_ids
            for e in range(self.edge_count):
                u, v = int(ids[self.edge_u[e]]), int(ids[self.edge_v[e]])
                geometry = self.edge_geometry[e]
                common = {"length": float(self.edge_length[e]), "highway": self.edge_highway[e]}
                if np.isfinite(self.time_uv[e]):
                    graph.add_edge(
                        u, v, geometry=geometry, walk_min=float(self.time_uv[e]), **common
                    )
                if np.isfinite(self.time_vu[e]) and u != v:
                    graph.add_edge(
                        v, u, geometry=geometry.reverse(), walk_min=float(self.time_vu[e]), **common
                    )
            self._graph = graph
        return self._graph

    def csr(self, reverse: bool = False) -> sp.csr_matrix:
        """Walk-minute adjacency (``reverse=True``: arcs point from ``v`` back to ``u``).

        Parallel edges keep their shortest time; closed (``inf``) arcs and self-loops are
        left out. Zero-length arcs stay as explicit zeros, which scipy treats as edges.
        """
        if reverse not in self._csr:
            rows = np.concatenate([self.edge_u, self.edge_v])
            cols = np.concatenate([self.edge_v, self.edge_u])
            weights = np.concatenate([self.time_uv, self.time_vu])
            if reverse:
                rows, cols = cols, rows
            self._csr[reverse] = min_csr(rows, cols, weights, self.node_count)
        return self._csr[reverse]

    # --- snapping -----------------------------------------------------------------------

    @property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the edge geometries."""
        if self._tree is None:
            # Small nodes make nearest-edge queries markedly faster on street networks.
            self._tree = shapely.STRtree(self.edge_geometry, node_capacity=4)
        return self._tree

    def snap(self, x: np.ndarray, y: np.ndarray, limit_m: float = DEFAULT_SNAP_LIMIT_M) -> Snap:
        """Place points onto their nearest edge (not node), vectorized.

        The nearest edge is the one at the smallest distance, the lowest edge index among
        equals; the point on it is GEOS's (``line_locate_point``, ``line_interpolate_point``).

        Parameters
        ----------
        x, y : ndarray
            Projected coordinates (this network's CRS), metres.
        limit_m : float
            Points farther than this from every edge are flagged ``on_network=False``.

        Returns
        -------
        Snap
        """
        if not limit_m > 0:
            raise InputError(f"snap limit {limit_m!r} m is not positive", "pass a distance above 0")
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        count = len(x)
        edge = np.full(count, -1, dtype=np.int64)
        frac = np.zeros(count)
        snap_m = np.full(count, np.inf)
        sx, sy = x.copy(), y.copy()
        valid = np.isfinite(x) & np.isfinite(y)
        if count and valid.any():
            where, hit, dist, along, line_len, px, py = self._nearest_edges(x[valid], y[valid])
            where = np.flatnonzero(valid)[where]
            safe = np.where(line_len > 0, line_len, 1.0)
            frac[where] = np.clip(np.where(line_len > 0, along / safe, 0.0), 0.0, 1.0)
            edge[where] = hit
            snap_m[where] = dist
            sx[where] = px
            sy[where] = py
        on_network = snap_m <= limit_m
        return Snap(edge, frac, snap_m, on_network, sx, sy)

    def _nearest_edges(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """:func:`yushu_circle.edge_search.nearest_edges` on this network's search index."""
        grid = self._edge_grid(len(x))
        if grid is not None:
            return nearest_by_grid(grid, x, y)
        return nearest_by_tree(self.tree, self.edge_geometry, x, y)

    def _edge_grid(self, points: int) -> EdgeGrid | None:
        # Built on first use and kept with the geometry it was built from (``None`` kept
        # too: the geometry is checked once).
        held = self._grid
        if held is not None and held[0] is self.edge_geometry:
            return held[1]
        if not uses_grid(points, len(self.edge_geometry)):
            return None
        grid = grid_of(self.edge_geometry)
        self._grid = (self.edge_geometry, grid)
        return grid

    def to_projected(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project EPSG:4326 coordinates into this network's CRS."""
        transformer = pyproj.Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        px, py = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(px), np.asarray(py)

    def edges_frame(self, projected: bool = False) -> Any:
        """The edges as a GeoDataFrame in EPSG:4326 (for maps and export).

        Parameters
        ----------
        projected : bool
            Keep the network's own CRS and geometry objects instead (nothing is copied: a
            city's edges in EPSG:4326 are hundreds of MB of new geometry).
        """
        import geopandas as gpd

        columns = {
            "u": self.node_ids[self.edge_u],
            "v": self.node_ids[self.edge_v],
            "length_m": self.edge_length,
            "highway": self.edge_highway,
        }
        lines = self.edge_geometry
        if projected:
            return gpd.GeoDataFrame(columns, geometry=lines, crs=self.crs)
        wgs84 = pyproj.CRS.from_user_input("EPSG:4326")
        if not len(lines) or (shapely.get_type_id(lines) != 1).any() or shapely.has_z(lines).any():
            frame = gpd.GeoDataFrame(columns, geometry=list(lines), crs=self.crs)
            return frame.to_crs(wgs84)
        # What ``to_crs`` computes (the same transformer on the same coordinates), with the
        # lines made at once from the new coordinates rather than copied and overwritten.
        transformer = pyproj.Transformer.from_crs(pyproj.CRS(self.crs), wgs84, always_xy=True)
        coords = shapely.get_coordinates(lines)
        lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
        owner = np.repeat(np.arange(len(lines)), shapely.get_num_coordinates(lines))
        made = shapely.linestrings(np.column_stack([lon, lat]), indices=owner)
        return gpd.GeoDataFrame(columns, geometry=made, crs=wgs84)


def min_csr(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, size: int) -> sp.csr_matrix:
    """A CSR matrix keeping the smallest weight of duplicate arcs; drops inf and self-loops.

    Parameters
    ----------
    rows, cols : ndarray of int
        Arc ends.
    weights : ndarray of float
        Arc weights (non-negative).
    size : int
        Number of nodes.
    """
    indptr, indices, data = min_arcs_csr(
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
        int(size),
    )
    return sp.csr_matrix((data, indices, indptr), shape=(size, size))


def _oriented(geometry: LineString, start: np.ndarray, end: np.ndarray) -> LineString:
    coords = shapely.get_coordinates(geometry)
    forward = np.hypot(*(coords[0] - start)) + np.hypot(*(coords[-1] - end))
    backward = np.hypot(*(coords[-1] - start)) + np.hypot(*(coords[0] - end))
    return geometry.reverse() if backward < forward else geometry
