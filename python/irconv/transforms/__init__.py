"""Model-level steps driven from Python after a frontend has built the core graph:
--input/--output specs (specs.py), the generic cut on the core graph (cut.py)."""
