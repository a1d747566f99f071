"""Drawing results values (``StudyResults``, ``PlanResults``): the HTML maps, PNGs, the report.

Nothing here takes a ``Study`` or computes a walk search (``tests/test_architecture.py``).
"""
