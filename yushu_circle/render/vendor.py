"""The vendored web assets (Leaflet) and the map's own JS/CSS, read from the package to inline."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from branca.element import Element

from yushu_circle._resources import data_path
from yushu_circle.errors import DataError

_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png")


class RawElement(Element):
    """A header or body element whose text is written as is (no template, no escaping).

    Only for text this package ships (vendored files, its own JS/CSS), never for data.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """The text itself."""
        return self._text


def manifest() -> dict[str, Any]:
    """The vendored files' versions, origins and sha256 (``data/vendor/MANIFEST.json``)."""
    result: dict[str, Any] = json.loads(
        data_path("vendor", "MANIFEST.json").read_text(encoding="utf-8")
    )["files"]
    return result


@cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images as ``data:`` URIs."""
    css = _checked("leaflet.css").decode("utf-8")
    for name in _IMAGES:
        encoded = base64.b64encode(_checked(name)).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{encoded})")
    return css


@cache
def leaflet_js() -> str:
    """Leaflet's script, its trailing source-map comment removed."""
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", _checked("leaflet.js").decode("utf-8"))
    return _script_safe(js, "leaflet.js")


@cache
def asset(name: str) -> str:
    """One of the map's own files under ``render/assets/`` (``yushu_core.js``, …)."""
    text = (Path(str(resources.files("yushu_circle.render"))) / "assets" / name).read_text(
        encoding="utf-8"
    )
    return _script_safe(text, name)


def script(text: str) -> RawElement:
    """A ``<script>`` element holding ``text`` (shipped code only)."""
    return RawElement(f"<script>\n{text}\n</script>\n")


def style(text: str) -> RawElement:
    """A ``<style>`` element holding ``text`` (shipped CSS only)."""
    return RawElement(f"<style>\n{text}\n</style>\n")


def _checked(name: str) -> bytes:
    """A vendored file's bytes, refused when they differ from the manifest's sha256."""
    content = data_path("vendor", name).read_bytes()
    expected = manifest()[name]["sha256"]
    if hashlib.sha256(content).hexdigest() != expected:
        raise DataError(
            f"vendored file data/vendor/{name} does not match its sha256 in MANIFEST.json",
            "reinstall yushu_circle, or re-vendor the file and record its new sha256",
        )
    return content


def _script_safe(text: str, name: str) -> str:
    if "</script" in text.lower() or "</style" in text.lower():
        raise DataError(f"shipped web asset {name} contains '</script' or '</style'", "fix it")
    return text
