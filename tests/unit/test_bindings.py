"""Binding surface: handles to nodes and outputs keep their graph alive however they were reached."""
import gc

import numpy as np

from irconv import _core


def _make():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2])
    r = g.op("ReLU", [x.output(0)], name="r")
    g.result(r.output(0))
    return g


def test_handles_outlive_the_graph_variable():
    nodes = _make().topo_order()
    gc.collect()
    assert [n.type for n in nodes] == ["Parameter", "ReLU", "Result"]
    ins = _make().topo_order()[1].inputs
    gc.collect()
    assert ins[0].node.name == "x" and ins[0].shape == [2]
    out = _make().results[0].inputs[0]
    gc.collect()
    assert out.consumers()[0][0].type == "Result" and out.node.type == "ReLU"


def test_constant_borrows_numpy_memory_and_values_are_read_only():
    g = _core.Graph("t")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    c = g.constant(a, name="c")
    v = c.output(0).value()
    assert np.shares_memory(v, a) and not v.flags.writeable
    del a
    gc.collect()
    np.testing.assert_array_equal(c.value, np.arange(6, dtype=np.float32).reshape(2, 3))


def test_attribute_round_trip():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [1, 3, 8, 8])
    w = g.constant(np.ones((4, 3, 3, 3), np.float32))
    attrs = {"strides": [1, 1], "dilations": [1, 1], "pads_begin": [1, 1], "pads_end": [1, 1], "auto_pad": "explicit"}
    n = g.op("Convolution", [x.output(0), w.output(0)], attrs)
    assert n.attrs == attrs and n.output(0).shape == [1, 4, 8, 8]
