"""TensorFlow op translators, one module per op family; importing this package registers them
all (every module in this folder is imported, so a new family only needs its file)."""
import importlib
import pkgutil

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(__name__ + "." + _m)
