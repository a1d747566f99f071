"""GeoParquet files of street-sized frames: EPSG:4326 written a chunk at a time."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

WGS84 = "EPSG:4326"
CHUNK_ROWS = 262_144
"""Rows written at a time (one row group each) by :func:`write_wgs84_parquet`."""
_LINESTRING = 1  # shapely's type id


def write_wgs84_parquet(frame: gpd.GeoDataFrame, path: Path, chunk_rows: int = CHUNK_ROWS) -> None:
    """Write a frame held in another CRS as GeoParquet in EPSG:4326.

    Up to ``chunk_rows`` rows the file is what ``frame.to_crs("EPSG:4326").to_parquet(path,
    index=False)`` writes. A longer frame of plain 2-D LineStrings (a city's streets) is
    written ``chunk_rows`` at a time, one row group each, its WKB made straight from the
    reprojected coordinates: no EPSG:4326 geometry object is made, and only a chunk's
    table is ever whole in memory. Its table, metadata (the whole frame's bounding box)
    and, with ``chunk_rows`` equal to pyarrow's row group size, its bytes are those of the
    one-shot file.

    Parameters
    ----------
    frame : GeoDataFrame
    path : Path
    chunk_rows : int
        Rows per chunk.
    """
    lines = frame.geometry.values
    if (
        len(frame) <= chunk_rows
        or (shapely.get_type_id(lines) != _LINESTRING).any()
        or shapely.has_z(lines).any()
    ):
        frame.to_crs(WGS84).to_parquet(path, index=False)
        return
    from geopandas.io.arrow import _geopandas_to_arrow

    # The transformer ``to_crs`` uses, on the same coordinates: the same numbers.
    transformer = pyproj.Transformer.from_crs(frame.crs, WGS84, always_xy=True)
    counts = shapely.get_num_coordinates(lines)
    xy = shapely.get_coordinates(lines)
    lon, lat = (np.asarray(v) for v in transformer.transform(xy[:, 0], xy[:, 1]))
    del xy
    # The schema and metadata geopandas gives, from one row; then the whole frame's box.
    head = _geopandas_to_arrow(frame.iloc[:1].to_crs(WGS84), index=False)
    name = frame.geometry.name
    column = head.schema.get_field_index(name)
    metadata = dict(head.schema.metadata)
    geo = json.loads(metadata[b"geo"])
    geo["columns"][name]["bbox"] = [
        float(lon.min()),
        float(lat.min()),
        float(lon.max()),
        float(lat.max()),
    ]
    metadata[b"geo"] = json.dumps(geo).encode("utf-8")  # as geopandas encodes it
    schema = head.schema.with_metadata(metadata)
    first = np.zeros(len(frame) + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    with pq.ParquetWriter(path, schema) as writer:
        start = 0
        while start < len(frame):
            stop = min(start + chunk_rows, len(frame))
            while stop - start > 1 and _wkb_bytes(first, start, stop) > _MAX_BINARY_BYTES:
                stop = start + (stop - start) // 2  # a chunk's WKB must fit int32 offsets
            # As geopandas builds its table: the attributes with a null geometry column,
            # then the WKB put in its place.
            attributes = pd.DataFrame(frame.iloc[start:stop].copy(deep=False))
            attributes[name] = None
            table = pa.Table.from_pandas(attributes, preserve_index=False)
            points = slice(first[start], first[stop])
            wkb = _linestring_wkb(lon[points], lat[points], counts[start:stop])
            table = table.set_column(column, schema.field(column), wkb)
            writer.write_table(table.replace_schema_metadata(metadata))
            start = stop


_MAX_BINARY_BYTES = 2**31 - 1


def _wkb_bytes(first: np.ndarray, start: int, stop: int) -> int:
    return 9 * (stop - start) + 16 * int(first[stop] - first[start])


def _linestring_wkb(lon: np.ndarray, lat: np.ndarray, counts: np.ndarray) -> pa.Array:
    """ISO WKB of 2-D LineStrings (little-endian): what ``shapely.to_wkb`` writes."""
    sizes = 9 + 16 * counts.astype(np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    data = np.empty(int(offsets[-1]), dtype=np.uint8)
    header = (offsets[:-1, None] + np.arange(9)).ravel()
    head = np.empty((len(counts), 9), dtype=np.uint8)
    head[:, 0] = 1  # little-endian
    head[:, 1:5] = np.array([2], dtype="<u4").view(np.uint8)  # LineString
    head[:, 5:9] = counts.astype("<u4").view(np.uint8).reshape(-1, 4)
    body = np.ones(len(data), dtype=bool)
    body[header] = False
    data[header] = head.ravel()
    data[body] = np.column_stack([lon, lat]).astype("<f8").view(np.uint8).ravel()
    return pa.Array.from_buffers(
        pa.binary(), len(counts), [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    )
