// The map page: MapLibre GL JS over the server's vector tiles (/tiles/{layer}/{z}/{x}/{y}.pbf).
// No base map unless the province names its own (data-base); no external request otherwise.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.maplibregl) { return; }
  maplibregl.setWorkerUrl(box.dataset.worker);
  var origin = window.location.origin;
  var records = box.dataset.records === "yes";
  function source(layer, minzoom, maxzoom) {
    return { type: "vector", tiles: [origin + "/tiles/" + layer + "/{z}/{x}/{y}.pbf"],
             minzoom: minzoom, maxzoom: maxzoom };
  }
  var sources = { communes: source("communes", 0, 14) };
  var layers = [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }];
  if (box.dataset.base) {
    sources.base = { type: "raster", tiles: [box.dataset.base], tileSize: 256 };
    layers.push({ id: "base", type: "raster", source: "base" });
  }
  layers.push(
    { id: "communes-fill", type: "fill", source: "communes", "source-layer": "communes", maxzoom: 15,
      paint: { "fill-color": ["interpolate", ["linear"], ["coalesce", ["get", "share_usable"], 0],
                              0, "#c0392b", 0.5, "#e67e22", 0.9, "#27ae60"],
               "fill-opacity": ["interpolate", ["linear"], ["zoom"], 8, 0.45, 15, 0.08] } },
    { id: "communes-line", type: "line", source: "communes", "source-layer": "communes",
      paint: { "line-color": "#34495e", "line-width": 1.2 } }
  );
  if (records) {
    sources.sheets = source("sheets", 12, 16);
    sources.parcels = source("parcels", 15, 18);
    sources.problems = source("problems", 12, 18);
    layers.push(
      { id: "sheets-line", type: "line", source: "sheets", "source-layer": "sheets",
        paint: { "line-color": "#2c3e50", "line-width": 1, "line-dasharray": [3, 2] } },
      { id: "parcels-fill", type: "fill", source: "parcels", "source-layer": "parcels",
        paint: { "fill-color": ["match", ["get", "grp"], 1, "#27ae60", 2, "#e67e22", 3, "#c0392b", "#95a5a6"],
                 "fill-opacity": 0.45 } },
      { id: "parcels-line", type: "line", source: "parcels", "source-layer": "parcels",
        paint: { "line-color": ["case", [">", ["get", "open_findings"], 0], "#7b241c", "#1e8449"],
                 "line-width": 0.8 } },
      { id: "problems-fill", type: "fill", source: "problems", "source-layer": "problems",
        paint: { "fill-color": "#ff0055", "fill-opacity": 0.55 } },
      { id: "problems-line", type: "line", source: "problems", "source-layer": "problems",
        paint: { "line-color": "#ff0055", "line-width": 2.5 } }
    );
  }
  var b = box.dataset.bounds.split(",").map(Number);
  var map = new maplibregl.Map({
    container: box, style: { version: 8, sources: sources, layers: layers },
    bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: { padding: 30, maxZoom: 18 },
    maxZoom: 20, attributionControl: false, preserveDrawingBuffer: true
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
  window.landcleanMap = map; // (the tests wait on it)

  var rule = box.dataset.rule;
  map.on("load", function () {
    if (rule && records) {
      map.setFilter("problems-fill", ["==", ["get", "rule_id"], rule]);
      map.setFilter("problems-line", ["==", ["get", "rule_id"], rule]);
    }
    box.dataset.loaded = "yes";
  });
  var clickable = records ? ["parcels-fill", "problems-fill"] : ["communes-fill"];
  map.on("click", function (e) {
    var hit = map.queryRenderedFeatures(e.point, { layers: clickable.filter(function (id) { return map.getLayer(id); }) });
    if (!hit.length) { return; }
    var p = hit[0].properties;
    if (p.parcel_id) { window.location.href = "/records/parcel/" + encodeURIComponent(p.parcel_id); }
    else if (p.unit_code && records) { window.location.href = "/communes/" + encodeURIComponent(p.unit_code); }
  });
  clickable.forEach(function (id) {
    map.on("mouseenter", id, function () { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, function () { map.getCanvas().style.cursor = ""; });
  });
  document.querySelectorAll("input[data-layer]").forEach(function (input) {
    input.addEventListener("change", function () {
      var name = input.dataset.layer;
      map.getStyle().layers.forEach(function (layer) {
        if (layer.source === name) { map.setLayoutProperty(layer.id, "visibility", input.checked ? "visible" : "none"); }
      });
    });
  });
  function groups() {
    var chosen = [];
    document.querySelectorAll("input[data-group]").forEach(function (input) {
      if (input.checked) { chosen.push(Number(input.dataset.group)); }
    });
    var filter = ["in", ["coalesce", ["get", "grp"], 0], ["literal", chosen]];
    ["parcels-fill", "parcels-line"].forEach(function (id) { map.setFilter(id, filter); });
  }
  document.querySelectorAll("input[data-group]").forEach(function (input) {
    input.addEventListener("change", groups);
  });
  document.querySelectorAll("a.problem").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      map.flyTo({ center: [Number(a.dataset.lon), Number(a.dataset.lat)], zoom: 18 });
    });
  });
})();
