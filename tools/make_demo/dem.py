"""The synthetic valley's elevation model and its GeoTIFF."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .frame import (
    DEM_MARGIN_M,
    DEM_PIXEL_M,
    HALF_H,
    HALF_W,
    LAT0,
    LON0,
    M_PER_DEG_LAT,
    M_PER_DEG_LON,
    NOTE,
    river_y,
    to_lonlat,
)

# --------------------------------------------------------------------------- terrain


class Terrain:
    """Synthetic valley elevation: river floor ~3,680 m, sides rising 60-150 m.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the gentle undulations.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        n = 6
        angle = rng.uniform(0.0, np.pi, n)
        wavelength = rng.uniform(260.0, 720.0, n)
        self.kx = 2.0 * np.pi * np.cos(angle) / wavelength
        self.ky = 2.0 * np.pi * np.sin(angle) / wavelength
        self.amp = rng.uniform(0.8, 2.6, n)
        self.phase = rng.uniform(0.0, 2.0 * np.pi, n)

    def z(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Return the elevation at local coordinates.

        Parameters
        ----------
        x, y : float or numpy.ndarray
            Local east and north coordinates, metres.

        Returns
        -------
        numpy.ndarray
            Elevation above sea level, metres.
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        d = y - river_y(x)
        floor = 3684.0 - 8.0 * (x + HALF_W) / (2.0 * HALF_W)
        dn = np.clip(d - 40.0, 0.0, None)
        ds = np.clip(-d - 40.0, 0.0, None)
        rise = 140.0 * (dn / 900.0) ** 1.5 + 110.0 * (ds / 700.0) ** 1.5
        terrace = 3.0 * (1.0 - np.exp(-((d / 35.0) ** 2)))
        channel = -1.5 * np.exp(-((d / 15.0) ** 2))
        weight = np.clip((np.abs(d) - 60.0) / 250.0, 0.0, 1.0)
        noise = np.zeros(np.broadcast(x, y).shape)
        for kx, ky, amp, phase in zip(self.kx, self.ky, self.amp, self.phase, strict=True):
            noise = noise + amp * np.sin(kx * x + ky * y + phase)
        return floor + terrace + channel + rise + weight * noise


def write_dem(path: Path, terrain: Terrain) -> dict[str, float]:
    """Write the synthetic DEM as a float32 GeoTIFF in EPSG:4326.

    Parameters
    ----------
    path : pathlib.Path
        Output file.
    terrain : Terrain
        The elevation model.

    Returns
    -------
    dict of str to float
        Facts for the README (size, pixel, min and max elevation).
    """
    import rasterio
    from rasterio.transform import from_origin

    width = round(2.0 * (HALF_W + DEM_MARGIN_M) / DEM_PIXEL_M)
    height = round(2.0 * (HALF_H + DEM_MARGIN_M) / DEM_PIXEL_M)
    dlon = DEM_PIXEL_M / M_PER_DEG_LON
    dlat = DEM_PIXEL_M / M_PER_DEG_LAT
    west, north = to_lonlat(-(HALF_W + DEM_MARGIN_M), HALF_H + DEM_MARGIN_M)
    lon = west + (np.arange(width) + 0.5) * dlon
    lat = north - (np.arange(height) + 0.5) * dlat
    gx, gy = np.meshgrid((lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT)
    z = np.round(terrain.z(gx, gy), 2).astype(np.float32)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_origin(west, north, dlon, dlat),
        "compress": "deflate",
        "predictor": 3,
        "zlevel": 9,
    }
    path.unlink(missing_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)
        dst.update_tags(
            TIFFTAG_IMAGEDESCRIPTION="SYNTHETIC demo DEM, not survey data (yushu_circle)",
            source="synthetic demo data, tools/make_demo",
            note=NOTE,
        )
        dst.set_band_description(1, "elevation_m (synthetic)")
        dst.units = ("metre",)
    return {
        "width": width,
        "height": height,
        "zmin": float(z.min()),
        "zmax": float(z.max()),
        "river": float(terrain.z(0.0, float(river_y(0.0)))),
    }
