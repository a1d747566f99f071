"""The planner map's folium elements: inlined Leaflet, the data and layers, and each control.

Each element is a folium ``MacroElement`` carrying its own script, as folium's ``plugins/``
do, except that its JavaScript and CSS are inlined from files shipped in the package
(``render/assets/``) instead of linked from a CDN, so the page makes no request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.template import Template

from yushu_circle.render import vendor
from yushu_circle.render._encode import script_json
from yushu_circle.render.network_payload import engine_script, payload_script
from yushu_circle.render.payload import MapPayload

_CORE = ("yushu_core.js",)


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose Leaflet is inlined from the package: no CDN link at all.

    folium links Leaflet, jQuery, Bootstrap and Awesome Markers from CDNs; this map needs
    Leaflet only, and writes it (and its CSS, images as ``data:`` URIs) into the page.
    """

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 (folium's own attribute)
    default_css: list[tuple[str, str]] = []  # noqa: RUF012

    def render(self, **kwargs: Any) -> Any:
        """Render into the figure, Leaflet first in its header."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "an OfflineMap renders inside a Figure"
        figure.header.add_child(vendor.style(vendor.leaflet_css()), name="leaflet_css")
        figure.header.add_child(vendor.script(vendor.leaflet_js()), name="leaflet")
        # Layers an analyst added after the map was built must exist before the layer
        # control lists them, and the controls stack under it: those render last.
        for name, child in list(self._children.items()):
            if isinstance(
                child, folium.LayerControl | Legend | CoverageTable | LiveEngine | MapReady
            ):
                self._children.move_to_end(name)
        return super().render(**kwargs)


class _Inlined(MacroElement):
    """A MacroElement that inlines its shipped JS and CSS files into the figure's header once."""

    js_files: tuple[str, ...] = ()
    css_files: tuple[str, ...] = ()

    def render(self, **kwargs: Any) -> Any:
        """Add the files (once per page, by name), then render the element's macros."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "a map element renders inside a Figure"
        for name in self.css_files:
            figure.header.add_child(vendor.style(vendor.asset(name)), name=name)
        for name in self.js_files:
            figure.header.add_child(vendor.script(vendor.asset(name)), name=name)
        return super().render(**kwargs)


class PlannerLayers(_Inlined):
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

    js_files = (*_CORE, "yushu_layers.js")
    css_files = ("yushu_map.css",)
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


class _AppControl(_Inlined):
    """A control driven by the page's :class:`PlannerLayers` application."""

    js_files = (*_CORE, "yushu_controls.js")
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


class LiveEngine(_Inlined):
    """The in-page engine (render/js/) with the study's network: reach and route of any
    residence, and the what-if panel (add, remove, reset, download scenario).

    Parameters
    ----------
    app : PlannerLayers
        The page's application.
    engine : str
        The engine's payload as JSON text (``StudyResults.engine``).
    """

    js_files = (*_CORE, "yushu_controls.js", "yushu_live.js")
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
        """Inline the engine once in the header; the network as inert JSON in the body."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "a map element renders inside a Figure"
        figure.header.add_child(vendor.script(engine_script()), name="yushu_engine")
        self.data = payload_script(self.engine, element_id=f"{self.get_name()}_network")
        return super().render(**kwargs)


class OpeningView(MacroElement):
    """The opening view: the map fitted to ``bounds``, at once rather than animated.

    folium's ``fit_bounds`` animates the zoom, and an animated zoom that ends a moment after
    the page is ready puts back its own target, undoing a planner's (or a test's) first pan
    or zoom made meanwhile.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds(
                {{ this.bounds|tojson }}, {padding: {{ this.padding|tojson }}, animate: false}
            );
        {% endmacro %}
        """
    )

    def __init__(self, bounds: Sequence[Sequence[float]], padding: tuple[int, int]) -> None:
        super().__init__()
        self._name = "OpeningView"
        self.bounds = [list(map(float, corner)) for corner in bounds]
        self.padding = list(padding)


class MapReady(_AppControl):
    """Colours the map for the opening category and publishes ``window.yushuMap``."""

    call = "start"


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
