"""Loads the C++ core. Developers may point IRCONV_CORE_PATH at a freshly built _core*.so."""
import importlib.util
import os
import sys


def load_core():
    path = os.environ.get("IRCONV_CORE_PATH")
    if path:
        if "irconv._core" in sys.modules:
            return sys.modules["irconv._core"]
        spec = importlib.util.spec_from_file_location("irconv._core", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["irconv._core"] = mod
        spec.loader.exec_module(mod)
        return mod
    from . import _core  # noqa: PLC0415

    return _core
