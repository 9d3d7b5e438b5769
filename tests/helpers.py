"""Test helpers: save a core graph as IR, run it on the OpenVINO runtime (the test oracle)."""
import os
import tempfile

import numpy as np

import openvino as ov

_core_obj = None


def core():
    global _core_obj
    if _core_obj is None:
        _core_obj = ov.Core()
    return _core_obj


def save_ir(graph, directory, name="model", compress_to_fp16=False):
    xml = os.path.join(directory, name + ".xml")
    graph.save(xml, xml[:-4] + ".bin", compress_to_fp16=compress_to_fp16)
    return xml


def compile_xml(xml):
    m = core().read_model(xml)
    return m, core().compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})


def infer_xml(xml, feeds):
    """Runs an IR file; feeds by input tensor name (or position); returns {result name or
    first tensor name: array} in output order, and also by position under integer keys."""
    m, cm = compile_xml(xml)
    req = cm.create_infer_request()
    feed = {}
    for i, (k, v) in enumerate(feeds.items()):
        port = None
        for p in cm.inputs:
            if k in p.get_names():
                port = p
        feed[port if port is not None else i] = np.asarray(v)
    res = req.infer(feed)
    out = {}
    for i, p in enumerate(cm.outputs):
        arr = np.asarray(res[p])
        out[i] = arr
        for n in p.get_names():
            out[n] = arr
    return out


def run_ir(graph, feeds=None, compress_to_fp16=False):
    """Saves `graph` (an irconv._core.Graph) as IR in a temp dir, runs it on CPU (f32 precision),
    returns outputs keyed by tensor name and by position."""
    with tempfile.TemporaryDirectory() as d:
        xml = save_ir(graph, d, compress_to_fp16=compress_to_fp16)
        return infer_xml(xml, feeds or {})


def read_ir(graph, compress_to_fp16=False):
    """Saves `graph` and returns the ov.Model read back from disk (for shape/type checks)."""
    with tempfile.TemporaryDirectory() as d:
        xml = save_ir(graph, d, compress_to_fp16=compress_to_fp16)
        return core().read_model(xml)


def ov_shape(port):
    """OpenVINO partial shape of a port as a list with -1 for dynamic dims (None = dynamic rank)."""
    ps = port.get_partial_shape()
    if ps.rank.is_dynamic:
        return None
    return [d.get_length() if d.is_static else -1 for d in ps]
