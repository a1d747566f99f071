"""The planner map's folium elements: inlined Leaflet, the data and layers, and each control.

Each element is a folium ``MacroElement`` whose script calls the page's JavaScript (the ES
modules of ``render/js/``, bundled into one inline script by :func:`page_script`); that script,
Leaflet and the stylesheet are inlined from files shipped in the package instead of linked
from a CDN, so the page makes no request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.template import Template

from yushu_circle.render import vendor
from yushu_circle.render._encode import script_json
from yushu_circle.render.bundle import bundle
from yushu_circle.render.network_payload import ENGINE_MODULES, payload_script
from yushu_circle.render.payload import MapPayload

MAP_CSS = "yushu_map.css"
"""The map's stylesheet (``render/assets/``)."""


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose Leaflet is inlined from the package: no CDN link at all.

    folium links Leaflet, jQuery, Bootstrap and Awesome Markers from CDNs; this map needs
    Leaflet only, and writes it (and its CSS, images as ``data:`` URIs) into the page.
    """

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 (folium's own attribute)
    default_css: list[tuple[str, str]] = []  # noqa: RUF012

    def render(self, **kwargs: Any) -> Any:
        """Render into the figure: Leaflet, the map's stylesheet and script in its header."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "an OfflineMap renders inside a Figure"
        figure.header.add_child(vendor.style(vendor.leaflet_css()), name="leaflet_css")
        figure.header.add_child(vendor.script(vendor.leaflet_js()), name="leaflet")
        if any(isinstance(child, PlannerLayers) for child in self._children.values()):
            live = any(isinstance(child, LiveEngine) for child in self._children.values())
            figure.header.add_child(vendor.style(vendor.asset(MAP_CSS)), name=MAP_CSS)
            figure.header.add_child(vendor.script(page_script(live)), name="yushu_map")
        # Layers an analyst added after the map was built must exist before the layer
        # control lists them, and the controls stack under it: those render last, then the
        # opening view (it measures the controls), an analyst's own fit_bounds, and start.
        late = (
            folium.LayerControl,
            Legend,
            CoverageTable,
            LiveEngine,
            OpeningView,
            folium.FitBounds,
            MapReady,
        )
        for kind in late:
            for name, child in list(self._children.items()):
                if isinstance(child, kind):
                    self._children.move_to_end(name)
        return super().render(**kwargs)


class PlannerLayers(MacroElement):
    """The map's data (JSON) and its drawing into folium feature groups.

    Parameters
    ----------
    payload : MapPayload
        What to draw.
    groups : mapping
        folium layers by role: ``basemap``, ``streets``, ``residences``, ``isochrones``
        (each a ``FeatureGroup``), ``facilities`` (category → group) and ``overlays``
        (a list, one per payload overlay).
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.get_name() }}_data">{{ this.data }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = YushuMap.create(
            {{ this._parent.get_name() }}, "{{ this.get_name() }}_data", {{ this.groups }});
        YushuMap.drawLayers({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: MapPayload, groups: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "PlannerLayers"
        self.data = payload.to_json()
        self.layers = groups

    def render(self, **kwargs: Any) -> Any:
        """Name the layers' variables now: their names are final only at render time."""
        self.groups = _js_groups(self.layers)
        return super().render(**kwargs)


class _AppControl(MacroElement):
    """A control driven by the page's :class:`PlannerLayers` application."""

    call = ""
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        YushuMap.{{ this.call }}({{ this.app.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, app: PlannerLayers) -> None:
        super().__init__()
        self._name = type(self).__name__
        self.app = app


class SyntheticBanner(_AppControl):
    """The red banner of synthetic data (shown only when the data is synthetic)."""

    call = "addBanner"


class CategorySwitcher(_AppControl):
    """Title, subtitle, the category switcher and the "only residences beyond N min" filter."""

    call = "addSwitcher"


class Legend(_AppControl):
    """The legend: minutes or score classes, isochrone colours, facilities, shown overlays."""

    call = "addLegend"


class CoverageTable(_AppControl):
    """The coverage table (share of population within 5/10/15 min), notes and data label."""

    call = "addTable"


class LiveEngine(MacroElement):
    """The in-page engine (render/js/) with the study's network: reach and route of any
    residence, and the what-if panel (add, remove, reset, download scenario).

    Parameters
    ----------
    app : PlannerLayers
        The page's application.
    engine : str
        The engine's payload as JSON text (``StudyResults.engine``).
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        {{ this.data }}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        YushuMap.addLive({{ this.app.get_name() }}, "{{ this.get_name() }}_network");
        {% endmacro %}
        """
    )

    def __init__(self, app: PlannerLayers, engine: str) -> None:
        super().__init__()
        self._name = "LiveEngine"
        self.app = app
        self.engine = engine

    def render(self, **kwargs: Any) -> Any:
        """The network as inert JSON in the body (the engine is in the page's script)."""
        self.data = payload_script(self.engine, element_id=f"{self.get_name()}_network")
        return super().render(**kwargs)


class OpeningView(_AppControl):
    """The opening view (``opening.mjs``): every residence in the part of the screen the
    panels leave free (on a phone, zoomed in until residences can be tapped), set at once.

    folium's ``fit_bounds`` animates the zoom, and an animated zoom that ends a moment after
    the page is ready puts back its own target, undoing a planner's (or a test's) first pan
    or zoom made meanwhile. An analyst's own ``fit_bounds`` added later still wins.
    """

    call = "openingView"


class MapReady(_AppControl):
    """Colours the map for the opening category and publishes ``window.yushuMap``."""

    call = "start"


def page_script(live: bool) -> str:
    """The page's JavaScript: ``window.YushuMap`` (``map.mjs``, and ``live.mjs`` with the
    engine) and, with the engine, ``window.yushuEngine`` — one bundle, each module once."""
    if not live:
        return bundle({"YushuMap": ("map.mjs",)})
    return bundle({"YushuMap": ("map.mjs", "live.mjs"), "yushuEngine": ENGINE_MODULES})


def _js_groups(groups: Mapping[str, Any]) -> str:
    """The layers' JavaScript variable names as an object literal (keys JSON-quoted)."""

    def name(layer: Any) -> str:
        return str(layer.get_name()) if layer is not None else "null"

    parts = []
    for role, value in groups.items():
        if isinstance(value, Mapping):
            inner = ", ".join(f"{script_json(str(k))}: {name(v)}" for k, v in value.items())
            parts.append(f"{script_json(role)}: {{{inner}}}")
        elif isinstance(value, Sequence):
            parts.append(f"{script_json(role)}: [{', '.join(name(v) for v in value)}]")
        else:
            parts.append(f"{script_json(role)}: {name(value)}")
    return "{" + ", ".join(parts) + "}"
