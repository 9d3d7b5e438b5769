"""TensorFlow frontend: frozen GraphDef (.pb), text GraphDef (.pbtxt), SavedModel, MetaGraph +
checkpoint, GraphDef + checkpoint -> irconv core graph, without importing tensorflow.

    from irconv.frontends.tensorflow import convert
    graph = convert("frozen.pb", {"inputs": [...], "outputs": [...]})   # irconv._core.Graph
"""
from .converter import convert
from .registry import supported_ops, tf_op

__all__ = ["convert", "tf_op", "supported_ops"]
