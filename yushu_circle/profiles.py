"""Walker profiles (adult, elderly, child, wheelchair) and slope-aware walk times (Tobler)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj

from yushu_circle.errors import DataError, InputError
from yushu_circle.network import WalkNetwork
from yushu_circle.options import DEFAULT_PROFILE, check_speed

TOBLER_FLAT_KMH = 6.0 * np.exp(-3.5 * 0.05)
"""Tobler's hiking speed on the flat, ≈ 5.04 km/h."""


@dataclass(frozen=True)
class Profile:
    """A kind of walker.

    Parameters
    ----------
    name : str
        Key (``adult``, ``elderly``, ``child``, ``wheelchair``).
    name_zh : str
        Chinese name.
    speed_kmh : float or None
        Walking speed on the flat; ``None`` keeps the study's speed (``--speed``).
    avoid_steps : bool
        Close ``highway=steps`` edges (wheelchair users cannot take stairs).
    source : str
        Where the speed comes from; an ``assumption`` is flagged as one.
    """

    name: str
    name_zh: str
    speed_kmh: float | None
    avoid_steps: bool
    source: str

    @property
    def label(self) -> str:
        """Bilingual label, e.g. ``老年人 elderly``."""
        return f"{self.name_zh} {self.name}"


PROFILES: dict[str, Profile] = {
    "adult": Profile(
        "adult",
        "成年人",
        None,
        False,
        "the study's speed (--speed; default 4.0 km/h, the tool's assumption)",
    ),
    "elderly": Profile(
        "elderly",
        "老年人",
        0.9 * 3.6,
        False,
        "0.9 m/s: a conservative choice below the 0.97 m/s mean walking speed of pedestrians "
        "65+ measured by Knoblauch et al., 'Field Studies of Pedestrian Walking Speed and "
        "Start-Up Time', Transportation Research Record 1538 (1996), p. 27 ff.",
    ),
    "child": Profile(
        "child",
        "儿童",
        3.0,
        False,
        "3.0 km/h: assumption (a young child walking with a carer), not from a source",
    ),
    "wheelchair": Profile(
        "wheelchair",
        "轮椅使用者",
        3.6,
        True,
        "3.6 km/h (1.0 m/s): assumption for a manual wheelchair on pavement; highway=steps closed",
    ),
}
"""The shipped walker profiles."""


def get_profile(name: str | Profile) -> Profile:
    """Look up a profile by name.

    Raises
    ------
    InputError
        When the name is not one of :data:`PROFILES`.
    """
    if isinstance(name, Profile):
        return name
    key = str(name).strip().lower()
    if key not in PROFILES:
        raise InputError(
            f"walker profile {name!r} is not known", f"use one of {', '.join(PROFILES)}"
        )
    return PROFILES[key]


def tobler_kmh(slope: np.ndarray | float, flat_kmh: float = TOBLER_FLAT_KMH) -> np.ndarray:
    """Tobler's hiking function scaled so that the flat speed is ``flat_kmh``.

    ``W = 6·exp(−3.5·|S + 0.05|)`` km/h; returned as ``W(S) / W(0) · flat_kmh``, so it peaks
    at ``S = −0.05`` (a gentle descent) and uphill is slower than the same downhill.

    Parameters
    ----------
    slope : float or ndarray
        Rise over run in the walking direction (0.1 = 10 % uphill).
    flat_kmh : float
        Speed on the flat.

    Returns
    -------
    ndarray of float64
        Speed, km/h.
    """
    s = np.asarray(slope, dtype=float)
    return np.asarray(flat_kmh * np.exp(-3.5 * (np.abs(s + 0.05) - 0.05)))


def node_elevations(network: WalkNetwork, dem: str | Path) -> np.ndarray:
    """Elevation of every network node, bilinearly interpolated from a DEM GeoTIFF.

    Parameters
    ----------
    network : WalkNetwork
    dem : str or Path
        A single-band elevation raster (metres) in any CRS covering the network.

    Returns
    -------
    ndarray of float64
        Metres per node.

    Raises
    ------
    InputError
        When the file cannot be read as a raster.
    DataError
        When nodes fall outside the raster or on no-data cells.
    """
    import rasterio

    path = Path(dem)
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True).astype(float).filled(np.nan)
            transform = src.transform
            raster_crs = src.crs
    except (rasterio.errors.RasterioIOError, OSError) as exc:
        raise InputError(
            f"DEM {path} cannot be read ({exc})", "pass a GeoTIFF elevation raster to --dem"
        ) from None
    if raster_crs is None:
        raise InputError(f"DEM {path} has no CRS", "give the GeoTIFF a CRS (e.g. gdal_edit -a_srs)")
    x, y = network.node_xy[:, 0], network.node_xy[:, 1]
    target = pyproj.CRS.from_user_input(raster_crs.to_wkt())
    if not target.equals(network.crs):
        transformer = pyproj.Transformer.from_crs(network.crs, target, always_xy=True)
        x, y = transformer.transform(x, y)
    inverse = ~transform
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    col = inverse.a * x + inverse.b * y + inverse.c
    row = inverse.d * x + inverse.e * y + inverse.f
    elevation = _bilinear(band, row - 0.5, col - 0.5)
    bad = ~np.isfinite(elevation)
    if bad.any():
        raise DataError(
            f"{int(bad.sum()):,} of {len(bad):,} network nodes fall outside DEM {path.name} "
            "or on no-data cells",
            "use a DEM covering the whole study area (or leave out --dem)",
        )
    return elevation


def _bilinear(band: np.ndarray, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Bilinear interpolation at fractional cell-centre coordinates (NaN outside)."""
    rows, cols = band.shape
    inside = (row >= -0.5) & (row <= rows - 0.5) & (col >= -0.5) & (col <= cols - 0.5)
    r = np.clip(row, 0, rows - 1)
    c = np.clip(col, 0, cols - 1)
    r0 = np.clip(np.floor(r).astype(np.int64), 0, max(rows - 2, 0))
    c0 = np.clip(np.floor(c).astype(np.int64), 0, max(cols - 2, 0))
    r1 = np.minimum(r0 + 1, rows - 1)
    c1 = np.minimum(c0 + 1, cols - 1)
    fr = np.clip(r - r0, 0.0, 1.0)
    fc = np.clip(c - c0, 0.0, 1.0)
    top = band[r0, c0] * (1 - fc) + band[r0, c1] * fc
    bottom = band[r1, c0] * (1 - fc) + band[r1, c1] * fc
    value = top * (1 - fr) + bottom * fr
    return np.where(inside, value, np.nan)


def edge_slopes(network: WalkNetwork, elevation: np.ndarray) -> np.ndarray:
    """Mean slope of every edge from ``u`` to ``v``: (elev_v − elev_u) / length (0 if length 0)."""
    rise = elevation[network.edge_v] - elevation[network.edge_u]
    length = network.edge_length
    return np.divide(rise, length, out=np.zeros_like(rise, dtype=float), where=length > 0)


def profile_network(
    network: WalkNetwork,
    profile: str | Profile = DEFAULT_PROFILE,
    elevation: np.ndarray | None = None,
) -> WalkNetwork:
    """The network as a walker profile walks it, optionally with slope.

    Edge minutes are ``length / speed``, with ``speed`` the profile's flat speed scaled by
    Tobler's function of the edge's slope in each direction (``time_uv`` uses ``S``,
    ``time_vu`` uses ``−S``) when elevations are given. Profiles that avoid steps get
    ``inf`` on ``highway=steps`` edges.

    Parameters
    ----------
    network : WalkNetwork
        The study's network (its ``speed_kmh`` is the adult profile's speed).
    profile : str or Profile
    elevation : ndarray, optional
        Metres per node (see :func:`node_elevations`).

    Returns
    -------
    WalkNetwork
        A copy sharing the geometry, with the profile's times and name.
    """
    chosen = get_profile(profile)
    flat_kmh = check_speed(chosen.speed_kmh or network.speed_kmh, f"{chosen.name} speed")
    minutes_flat = network.edge_length / (flat_kmh * 1000.0 / 60.0)
    if elevation is None:
        time_uv, time_vu = minutes_flat, minutes_flat.copy()
    else:
        if len(elevation) != network.node_count:
            raise InputError(
                f"{len(elevation)} elevations for {network.node_count} nodes",
                "give one elevation per network node (node_elevations)",
            )
        slope = edge_slopes(network, np.asarray(elevation, dtype=float))
        time_uv = minutes_flat * flat_kmh / tobler_kmh(slope, flat_kmh)
        time_vu = minutes_flat * flat_kmh / tobler_kmh(-slope, flat_kmh)
    if chosen.avoid_steps:
        steps = np.asarray(network.edge_highway == "steps", dtype=bool)
        time_uv = np.where(steps, np.inf, time_uv)
        time_vu = np.where(steps, np.inf, time_vu)
    name = chosen.name if elevation is None else f"{chosen.name}+slope"
    result = network.with_times(time_uv, time_vu, speed_kmh=flat_kmh, profile_name=name)
    if elevation is not None:
        result = dataclasses.replace(result, node_elevation=np.asarray(elevation, dtype=float))
    return result
