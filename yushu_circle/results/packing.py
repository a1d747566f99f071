"""Typed arrays packed small for a web page: coded, byte-shuffled, deflated, base64 (render/js/).

A page carries a study's network of a million edges only if its numbers take a few bytes
each. Every array keeps its exact values (nothing here rounds); what shrinks them is coding
them against something the reader already has, then letting zlib find the repeats:

* ``plain`` — the values as they are;
* ``delta`` — each integer minus the one before it (int32, wrapping), zigzag-coded so small
  steps either way are small numbers; float64 integers (ids up to 2⁵³) step exactly;
* ``minus:<block>`` — int32 minus the same position of an earlier block (an edge's far node
  minus its near one);
* ``xor:<block>`` — float32 bits xor an earlier block's (the walk back along an edge is
  usually the walk forward: all zero bits);
* ``along`` — a point's int32 lon or lat minus the point its snap names: its edge's end
  nodes interpolated at its fraction (``floor(a + f·(b − a) + 0.5)`` in float64, which the
  page computes to the same integer), so what travels is the few metres to its street.

Each coded array is byte-shuffled (all first bytes, then all second bytes, …: the high
bytes of small numbers are zeros in a row), the blocks are concatenated in order and the
whole is one zlib stream — the browser's ``DecompressionStream("deflate")`` reads it back
(``render/js/payload.mjs``), as :func:`unpack` does here. Same arrays → same bytes.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from yushu_circle.errors import DataError

CODEC = "deflate"
"""The packed stream's compression: zlib (RFC 1950), the browser's ``"deflate"`` format."""
LEVEL = 6
"""zlib's level: 9 gave 0.5 % fewer bytes than 6 on a 1M-edge city in 4× the time."""
DTYPES = ("uint8", "int32", "uint32", "float32", "float64")
"""The element types a block may have."""


def _shuffled(raw: np.ndarray) -> bytes:
    width = raw.dtype.itemsize
    if width == 1:
        return raw.tobytes()
    return np.ascontiguousarray(raw.view(np.uint8).reshape(-1, width).T).tobytes()


def _unshuffled(data: bytes, dtype: np.dtype, count: int) -> np.ndarray:
    width = dtype.itemsize
    planes = np.frombuffer(data, dtype=np.uint8).reshape(width, count)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(count)


def _zigzag(values: np.ndarray) -> np.ndarray:
    signed = values.astype(np.int32)
    return ((signed.astype(np.int64) << 1) ^ (signed.astype(np.int64) >> 31)).astype(np.uint32)


def _unzigzag(values: np.ndarray) -> np.ndarray:
    z = values.astype(np.int64)
    return ((z >> 1) ^ -(z & 1)).astype(np.int32)


def _wrapped(values: np.ndarray) -> np.ndarray:
    """int64 → int32 modulo 2³² (differences of int32s wrap, as the page's ``| 0`` does)."""
    return ((values.astype(np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def along(
    nodes: np.ndarray, edge_u: np.ndarray, edge_v: np.ndarray, edge: np.ndarray, frac: np.ndarray
) -> np.ndarray:
    """The int32 coordinate a snap names: ``floor(a + f·(b − a) + 0.5)`` along its edge's
    end nodes ``a``, ``b`` at fraction ``f`` (float32); 0 for points off the network."""
    on = edge >= 0
    safe = np.where(on, edge, 0)
    a = nodes[edge_u[safe]].astype(np.float64)
    b = nodes[edge_v[safe]].astype(np.float64)
    f = np.asarray(frac, dtype=np.float32).astype(np.float64)
    # (b - a) is exact in float64; the page does the same three operations in this order.
    return np.where(on, np.floor(a + f * (b - a) + 0.5), 0).astype(np.int64)


class Packer:
    """Blocks added in order (a block may refer to earlier ones), packed by :meth:`packed`."""

    def __init__(self) -> None:
        self._blocks: list[list[Any]] = []
        self._parts: list[bytes] = []
        self._arrays: dict[str, np.ndarray] = {}

    def add(self, name: str, values: Any, dtype: str, code: str = "plain") -> None:
        """Add one array as block ``name``, coded by ``code`` (see the module's docstring)."""
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype} is not one of {DTYPES}")
        array = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
        self._arrays[name] = array
        coded = self._coded(name, array, code)
        self._blocks.append([name, dtype, code, int(array.size)])
        self._parts.append(_shuffled(coded))

    def _coded(self, name: str, array: np.ndarray, code: str) -> np.ndarray:
        if code == "plain":
            return array
        if code == "delta" and array.dtype.kind == "f":
            steps = np.diff(array, prepend=0.0)
            if not np.array_equal(np.cumsum(steps), array):
                raise ValueError(f"block {name}: float64 steps are not exact")
            return steps.astype("<f8")
        if code == "delta":
            return _zigzag(_wrapped(np.diff(array.astype(np.int64), prepend=0)))
        kind, _, ref = code.partition(":")
        if kind == "minus":
            return _zigzag(_wrapped(array.astype(np.int64) - self._arrays[ref]))
        if kind == "xor":
            return array.view(np.uint32) ^ self._arrays[ref].view(np.uint32)
        if kind == "along":
            return _zigzag(_wrapped(array.astype(np.int64) - self._along(name)))
        raise ValueError(f"block {name}: unknown code {code}")

    def _along(self, name: str) -> np.ndarray:
        group, axis = name.rsplit(".", 1)
        arrays = self._arrays
        return along(
            arrays[f"nodes.{axis}"],
            arrays["edges.u"],
            arrays["edges.v"],
            arrays[f"{group}.edge"],
            arrays[f"{group}.frac"],
        )

    def packed(self, level: int = LEVEL) -> dict[str, Any]:
        """The blocks as one JSON-ready entry: their list and the deflated, base64 bytes."""
        raw = b"".join(self._parts)
        data = zlib.compress(raw, level)
        return {
            "codec": CODEC,
            "blocks": self._blocks,
            "bytes": len(raw),
            "data": {"dtype": "uint8", "count": len(data), "b64": base64.b64encode(data).decode()},
        }


def unpack(packed: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The arrays of a :meth:`Packer.packed` entry, by block name (tests and tools).

    Raises
    ------
    DataError
        When the entry is damaged (wrong length, unknown code or type).
    """
    if packed.get("codec") != CODEC:
        raise DataError(f"packed arrays in codec {packed.get('codec')!r}", "rebuild the file")
    try:
        raw = zlib.decompress(base64.b64decode(packed["data"]["b64"]))
    except (zlib.error, ValueError, KeyError) as err:
        raise DataError(f"packed arrays do not inflate ({err})", "rebuild the file") from None
    if len(raw) != packed["bytes"]:
        raise DataError(f"packed arrays hold {len(raw)} bytes, not {packed['bytes']}", "rebuild")
    out: dict[str, np.ndarray] = {}
    offset = 0
    for name, dtype, code, count in packed["blocks"]:
        if dtype not in DTYPES:
            raise DataError(f"block {name}: dtype {dtype}", "rebuild the file")
        kind = np.dtype(dtype).newbyteorder("<")
        stored = np.dtype("<u4") if code != "plain" and kind.kind in "iu" else kind
        if code.startswith("xor:"):
            stored = np.dtype("<u4")
        size = stored.itemsize * count
        coded = _unshuffled(raw[offset : offset + size], stored, count)
        offset += size
        out[name] = _decoded(out, name, kind, code, coded)
    return out


def _decoded(
    arrays: Mapping[str, np.ndarray], name: str, kind: np.dtype, code: str, coded: np.ndarray
) -> np.ndarray:
    if code == "plain":
        return coded
    if code == "delta" and kind.kind == "f":
        return np.cumsum(coded).astype(kind)
    if code == "delta":
        return _wrapped(np.cumsum(_unzigzag(coded).astype(np.int64))).astype(kind)
    ref_kind, _, ref = code.partition(":")
    if ref_kind == "minus":
        return _wrapped(arrays[ref].astype(np.int64) + _unzigzag(coded)).astype(kind)
    if ref_kind == "xor":
        return (arrays[ref].view(np.uint32) ^ coded).view(kind)
    if ref_kind == "along":
        group, axis = name.rsplit(".", 1)
        base = along(
            arrays[f"nodes.{axis}"],
            arrays["edges.u"],
            arrays["edges.v"],
            arrays[f"{group}.edge"],
            arrays[f"{group}.frac"],
        )
        return _wrapped(base + _unzigzag(coded)).astype(kind)
    raise DataError(f"block {name}: unknown code {code}", "rebuild the file")
