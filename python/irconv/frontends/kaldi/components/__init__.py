"""Kaldi component translators, one module per family; every module here is imported (and so
registers its components) when the package is imported."""
import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    if not _m.name.startswith("_"):
        importlib.import_module(__name__ + "." + _m.name)
