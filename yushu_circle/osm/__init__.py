"""Reading OSM: XML, PBF, Overpass JSON and GraphML into one ``OSMData``; the walk filter."""
