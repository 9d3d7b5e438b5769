"""ONNX op translators, one module per op family; importing this package registers them all."""
from . import (activation, contrib, conv, depth_space, elementwise, matmul, misc,  # noqa: F401
               normalization, pool, quantization, reduction, resize, scatter, shape)
