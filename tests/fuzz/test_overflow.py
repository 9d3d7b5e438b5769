"""Shape arithmetic on absurd dimensions, pads and repeats (a hostile model may declare them up to
2^63 - 1): the core's shape inference raises IrconvError instead of overflowing int64 (found by
UndefinedBehaviorSanitizer with tests/fuzz/asan.sh and a probe of these ops; in a release build the
overflow wrapped around silently)."""
import numpy as np
import pytest

import irconv
from irconv import _core

BIG = (1 << 63) - 1
B41 = 1 << 40


def _p(g, shape, name="x"):
    return g.parameter(name, "f32", shape).output(0)


def _c(g, arr):
    return g.constant(np.asarray(arr)).output(0)


CASES = {
    "conv-attrs": lambda g: g.op("Convolution", [_p(g, [1, 3, 8, 8]), _c(g, np.ones((4, 3, 3, 3), np.float32))],
                                 {"strides": [1, 1], "pads_begin": [BIG, BIG], "pads_end": [BIG, BIG],
                                  "dilations": [1, 1], "auto_pad": "explicit"}),
    "conv-dilation": lambda g: g.op("Convolution", [_p(g, [1, 3, 8, 8]), _c(g, np.ones((4, 3, 3, 3), np.float32))],
                                    {"strides": [1, 1], "pads_begin": [0, 0], "pads_end": [0, 0],
                                     "dilations": [BIG, BIG], "auto_pad": "explicit"}),
    "conv-data": lambda g: g.op("Convolution", [_p(g, [1, 3, BIG, BIG]), _c(g, np.ones((4, 3, 3, 3), np.float32))],
                                {"strides": [2, 2], "pads_begin": [1, 1], "pads_end": [1, 1], "dilations": [1, 1],
                                 "auto_pad": "explicit"}),
    "maxpool-attrs": lambda g: g.op("MaxPool", [_p(g, [1, 3, 8, 8])],
                                    {"strides": [1, 1], "pads_begin": [0, 0], "pads_end": [0, 0], "kernel": [B41, B41],
                                     "dilations": [B41, B41], "rounding_type": "ceil", "auto_pad": "explicit"},
                                    version="opset8"),
    "deconv": lambda g: g.op("ConvolutionBackpropData", [_p(g, [1, 3, BIG, BIG]), _c(g, np.ones((3, 4, 3, 3), np.float32))],
                             {"strides": [2, 2], "pads_begin": [1, 1], "pads_end": [1, 1], "dilations": [1, 1],
                              "auto_pad": "explicit", "output_padding": [1, 1]}),
    "concat": lambda g: g.op("Concat", [_p(g, [BIG, 2]), _p(g, [BIG, 2], "y")], {"axis": 0}),
    "reshape": lambda g: g.op("Reshape", [_p(g, [B41, B41]), _c(g, np.array([-1], np.int64))], {"special_zero": False}),
    "tile": lambda g: g.op("Tile", [_p(g, [B41, 2]), _c(g, np.array([B41, 1], np.int64))], {}),
    "pad": lambda g: g.op("Pad", [_p(g, [BIG, 2]), _c(g, np.array([BIG, 1], np.int64)), _c(g, np.array([1, 1], np.int64)),
                                  _c(g, np.float32(0))], {"pad_mode": "constant"}, version="opset12"),
    "depth-to-space": lambda g: g.op("DepthToSpace", [_p(g, [1, 4, BIG, BIG])], {"block_size": 2, "mode": "blocks_first"}),
    "space-to-depth": lambda g: g.op("SpaceToDepth", [_p(g, [1, BIG, 4, 4])], {"block_size": 2, "mode": "blocks_first"}),
    # block_size^(rank - 2) (found by the fuzzer: a 800-dim input, before inputs were limited to rank 64)
    "depth-to-space-rank": lambda g: g.op("DepthToSpace", [_p(g, [1] * 66)], {"block_size": 1 << 31, "mode": "blocks_first"}),
    "split": lambda g: g.op("VariadicSplit", [_p(g, [BIG, 4]), _c(g, np.int64(0)), _c(g, np.array([BIG, BIG, -1], np.int64))], {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_shape_arithmetic_overflow_is_an_error(case):
    g = _core.Graph("g")
    with pytest.raises(irconv.IrconvError, match="overflow"):
        CASES[case](g)


def test_numel_of_a_huge_static_shape():
    """A Reshape to -1 of a 2^40 x 2^40 input: 2^80 elements."""
    g = _core.Graph("g")
    with pytest.raises(irconv.IrconvError, match="overflow"):
        g.op("Reshape", [_p(g, [B41, B41, 0 + 1]), _c(g, np.array([-1, 1], np.int64))], {"special_zero": False})


def test_large_but_representable_shapes_still_infer():
    g = _core.Graph("g")
    n = g.op("Concat", [_p(g, [1 << 61, 2]), _p(g, [1 << 61, 2], "y")], {"axis": 0})
    assert n.output(0).shape == [1 << 62, 2]
    m = g.op("Tile", [_p(g, [1 << 31, 2], "z"), _c(g, np.array([1 << 31, 1], np.int64))], {})
    assert m.output(0).shape == [1 << 62, 2]
