"""Rendering results: the planner's HTML maps and the PNG charts (never recomputes results)."""
