"""The map: the workspace's geometries in Web Mercator (the ``map`` stage), vector tiles
cut from them (``maps.tiles``), and the same layers for desktop GIS (``maps.layers``)."""
