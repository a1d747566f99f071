"""The routing core: every compiled (numba) kernel — heap, searches, the edge-end → point rule."""
