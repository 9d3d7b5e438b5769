"""The one exception type irconv raises for bad input, unsupported models and I/O failures."""


class IrconvError(Exception):
    """A conversion failed for a reason a user can act on (file, node, what was expected)."""
