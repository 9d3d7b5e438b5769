"""Caffe frontend: deploy.prototxt + .caffemodel -> irconv core graph, without Caffe.

    from irconv.frontends.caffe import convert
    graph = convert("weights.caffemodel", {"input_proto": "deploy.prototxt"})
"""
from .converter import convert
from .registry import caffe_layer, supported_layers

__all__ = ["convert", "caffe_layer", "supported_layers"]
