"""Neural-network op schemas (convolution, pooling, matmul, interpolate, normalization,
quantization): the shapes/types irconv infers must equal what OpenVINO infers when it reads the
saved IR, and a few ops are checked numerically (OpenVINO CPU run vs numpy, folded values)."""
import itertools

import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import ov_shape, read_ir, run_ir

RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------------------------
# helpers

class B:
    """Tiny graph builder: params/consts with unique names, then check against OpenVINO."""

    def __init__(self):
        self.g = _core.Graph("nn")
        self.k = 0

    def p(self, shape, et="f32"):
        self.k += 1
        return self.g.parameter("p%d" % self.k, et, shape).output(0)

    def c(self, arr):
        self.k += 1
        return self.g.constant(np.ascontiguousarray(arr), name="c%d" % self.k).output(0)

    def w(self, shape, dtype=np.float32):
        return self.c(RNG.standard_normal(shape).astype(dtype))

    def op(self, type_, inputs, attrs=None, version=""):
        self.k += 1
        return self.g.op(type_, inputs, attrs or {}, name="%s_%d" % (type_, self.k), version=version)


def check_vs_ov(b, node):
    """Adds a Result per output of `node`; the IR read by OpenVINO must report the same shapes/types."""
    ours = []
    for i in range(node.num_outputs):
        o = node.output(i)
        ours.append((o.shape, o.element_type))
        b.g.result(o, name="out%d" % i)
    m = read_ir(b.g)
    theirs = [(ov_shape(p), p.get_element_type().get_type_name()) for p in m.outputs]
    assert ours == theirs, "irconv %s vs OpenVINO %s" % (ours, theirs)
    return ours


def conv_attrs(ns, strides=None, dil=None, pb=None, pe=None, auto_pad="explicit", **extra):
    a = {"strides": strides or [1] * ns, "dilations": dil or [1] * ns,
         "pads_begin": pb or [0] * ns, "pads_end": pe or [0] * ns, "auto_pad": auto_pad}
    a.update(extra)
    return a


# ----------------------------------------------------------------------------------------------
# Convolution / GroupConvolution

CONV_CASES = [
    # data shape, weights shape, attrs
    ([1, 3, 17, 19], [8, 3, 3, 3], conv_attrs(2, [2, 2], [1, 1], [1, 0], [1, 2])),
    ([1, 3, 17, 19], [8, 3, 3, 3], conv_attrs(2, [2, 3], [2, 2], [0, 0], [0, 0])),
    ([1, 3, 17, 19], [8, 3, 4, 3], conv_attrs(2, [2, 2], auto_pad="same_upper")),
    ([1, 3, 17, 19], [8, 3, 4, 3], conv_attrs(2, [2, 2], auto_pad="same_lower", pb=[5, 5], pe=[5, 5])),
    ([1, 3, 17, 19], [8, 3, 3, 3], conv_attrs(2, [3, 3], [2, 1], pb=[4, 4], pe=[4, 4], auto_pad="valid")),
    ([2, 5, 31], [4, 5, 5], conv_attrs(1, [3], [2], [2], [1])),                     # 1D
    ([1, 2, 9, 10, 11], [4, 2, 3, 2, 3], conv_attrs(3, [2, 1, 2], [1, 2, 1], [1, 0, 1], [0, 1, 1])),  # 3D
    ([1, 2, 9, 10, 11], [4, 2, 3, 3, 3], conv_attrs(3, [2, 2, 2], auto_pad="same_upper")),
    ([-1, 3, 17, 19], [8, 3, 3, 3], conv_attrs(2, [2, 2], pb=[1, 1], pe=[1, 1])),  # dynamic batch
    ([1, 3, -1, 19], [8, 3, 3, 3], conv_attrs(2, [2, 2], pb=[1, 1], pe=[1, 1])),   # dynamic spatial
    ([-1, -1, -1, -1], [8, 3, 3, 3], conv_attrs(2, [2, 2], auto_pad="same_lower")),
    (None, [8, 3, 3, 3], conv_attrs(2, [2, 2])),                                    # dynamic rank data
]


@pytest.mark.parametrize("dshape,wshape,attrs", CONV_CASES)
def test_convolution_shape_matches_openvino(dshape, wshape, attrs):
    b = B()
    n = b.op("Convolution", [b.p(dshape), b.w(wshape)], attrs)
    check_vs_ov(b, n)


def test_convolution_dynamic_rank_both_inputs_uses_attribute_rank():
    b = B()
    n = b.op("Convolution", [b.p(None), b.p(None)], conv_attrs(3, [2, 2, 2]))
    assert check_vs_ov(b, n)[0][0] == [-1] * 5


def test_convolution_dynamic_filter_same_pad_keeps_spatial():
    b = B()
    n = b.op("Convolution", [b.p([-1, 3, 10, 7]), b.p(None)], conv_attrs(2, [2, 2], auto_pad="same_upper"))
    assert check_vs_ov(b, n)[0][0] == [-1, -1, 5, 4]


def test_convolution_integer_types():
    b = B()
    n = b.op("Convolution", [b.p([1, 4, 6, 6], "i8"), b.c(np.ones((2, 4, 3, 3), np.int8))], conv_attrs(2))
    assert check_vs_ov(b, n)[0] == ([1, 2, 4, 4], "i8")


def test_convolution_channel_mismatch_names_node_and_values():
    b = B()
    with pytest.raises(IrconvError, match=r"Convolution 'bad'.*\(4\).*\(3\)"):
        b.g.op("Convolution", [b.p([1, 4, 8, 8]), b.w([8, 3, 3, 3])], conv_attrs(2), name="bad")


def test_convolution_type_mismatch_and_kernel_too_large():
    b = B()
    with pytest.raises(IrconvError, match="element types"):
        b.op("Convolution", [b.p([1, 3, 8, 8]), b.w([8, 3, 3, 3], np.float16)], conv_attrs(2))
    with pytest.raises(IrconvError, match="larger than the padded data"):
        b.op("Convolution", [b.p([1, 3, 4, 8]), b.w([8, 3, 3, 3])], conv_attrs(2, dil=[2, 1]))
    with pytest.raises(IrconvError, match="strides"):
        b.op("Convolution", [b.p([1, 3, 8, 8]), b.w([8, 3, 3, 3])], conv_attrs(3))
    with pytest.raises(IrconvError, match="auto_pad"):
        b.op("Convolution", [b.p([1, 3, 8, 8]), b.w([8, 3, 3, 3])], conv_attrs(2, auto_pad="same"))


GROUP_CASES = [
    ([1, 8, 9, 9], [2, 4, 4, 3, 3], conv_attrs(2, [2, 2], pb=[1, 1], pe=[1, 1])),
    ([1, 6, 10, 11], [6, 1, 1, 3, 3], conv_attrs(2, [1, 2], [2, 2], auto_pad="same_upper")),  # depthwise
    ([1, -1, 9, 9], [2, 3, 4, 3, 3], conv_attrs(2)),           # channels unknown
    ([2, 6, 15], [3, 2, 2, 4], conv_attrs(1, [3], auto_pad="same_lower")),
    ([1, 4, 5, 6, 7], [2, 3, 2, 2, 2, 2], conv_attrs(3, [1, 2, 2], auto_pad="valid")),
]


@pytest.mark.parametrize("dshape,wshape,attrs", GROUP_CASES)
def test_group_convolution_shape_matches_openvino(dshape, wshape, attrs):
    b = B()
    n = b.op("GroupConvolution", [b.p(dshape), b.w(wshape)], attrs)
    check_vs_ov(b, n)


def test_group_convolution_groups_inferred_from_data_channels():
    b = B()
    n = b.op("GroupConvolution", [b.p([1, 8, 5, 5]), b.p([-1, 3, 4, 3, 3])], conv_attrs(2))
    assert check_vs_ov(b, n)[0][0] == [1, 6, 3, 3]


def test_group_convolution_bad_channels():
    b = B()
    with pytest.raises(IrconvError, match=r"GroupConvolution.*\(9\)"):
        b.op("GroupConvolution", [b.p([1, 9, 5, 5]), b.w([2, 4, 4, 3, 3])], conv_attrs(2))


BACKPROP_CASES = [
    # data, weights, output_shape (None / list / "param"), attrs
    ([1, 4, 5, 5], [4, 8, 3, 3], None, conv_attrs(2, [2, 2], pb=[1, 1], pe=[1, 1], output_padding=[1, 1])),
    ([1, 4, 5, 6], [4, 8, 3, 3], None, conv_attrs(2, [3, 2], [2, 1], pb=[0, 1], pe=[2, 0])),
    ([1, 4, 5, 6], [4, 8, 3, 3], None, conv_attrs(2, [2, 2], pb=[3, 3], pe=[3, 3], auto_pad="same_upper")),
    ([1, 4, 5, 6], [4, 8, 3, 3], [10, 12], conv_attrs(2, [2, 2], auto_pad="same_upper")),
    ([1, 4, 5, 6], [4, 8, 3, 3], [11, 12], conv_attrs(2, [2, 2], auto_pad="same_lower")),
    ([1, 4, 5, 6], [4, 8, 3, 3], "param", conv_attrs(2, [2, 2])),
    ([-1, 4, 7], [4, 2, 4], None, conv_attrs(1, [2], [1], [1], [1])),
    ([1, 2, 3, 4, 5], [2, 3, 3, 3, 3], None, conv_attrs(3, [2, 2, 2], auto_pad="valid", output_padding=[1, 0, 1])),
    (None, [4, 8, 3, 3], None, conv_attrs(2, [2, 2])),
]


@pytest.mark.parametrize("dshape,wshape,oshape,attrs", BACKPROP_CASES)
def test_convolution_backprop_shape_matches_openvino(dshape, wshape, oshape, attrs):
    b = B()
    ins = [b.p(dshape), b.w(wshape)]
    if oshape == "param":
        ins.append(b.p([len(wshape) - 2], "i64"))
    elif oshape is not None:
        ins.append(b.c(np.array(oshape, np.int64)))
    n = b.op("ConvolutionBackpropData", ins, attrs)
    check_vs_ov(b, n)


GROUP_BACKPROP_CASES = [
    ([1, 4, 5, 5], [2, 2, 3, 3, 3], None, conv_attrs(2, [2, 2], pb=[1, 0], pe=[0, 1], output_padding=[1, 1])),
    ([1, 6, 5, 7], [3, 2, 1, 3, 3], [9, 13], conv_attrs(2, [2, 2], auto_pad="same_upper")),
    ([1, -1, 5], [2, 2, 3, 3], None, conv_attrs(1, [3], [2])),
]


@pytest.mark.parametrize("dshape,wshape,oshape,attrs", GROUP_BACKPROP_CASES)
def test_group_convolution_backprop_shape_matches_openvino(dshape, wshape, oshape, attrs):
    b = B()
    ins = [b.p(dshape), b.w(wshape)]
    if oshape is not None:
        ins.append(b.c(np.array(oshape, np.int32)))
    n = b.op("GroupConvolutionBackpropData", ins, attrs)
    check_vs_ov(b, n)


def test_backprop_channel_mismatch():
    b = B()
    with pytest.raises(IrconvError, match=r"ConvolutionBackpropData.*\(4\).*\(3\)"):
        b.op("ConvolutionBackpropData", [b.p([1, 4, 5, 5]), b.w([3, 8, 3, 3])], conv_attrs(2))


@pytest.mark.parametrize("dshape,oshape,attrs,mask", [
    ([1, 4, 8, 8], [1, 18, 6, 6], conv_attrs(2, group=1, deformable_group=1), False),
    ([1, 4, 8, 9], [1, 36, 4, 5], conv_attrs(2, [2, 2], pb=[1, 1], pe=[1, 1], group=1, deformable_group=2), True),
    ([-1, 4, 8, 8], [-1, 18, -1, -1], conv_attrs(2, auto_pad="same_upper", group=2, deformable_group=1), False),
])
def test_deformable_convolution_shape_matches_openvino(dshape, oshape, attrs, mask):
    b = B()
    w = [6, 4 // attrs.get("group", 1), 3, 3]
    ins = [b.p(dshape), b.p(oshape), b.w(w)]
    if mask:
        ms = list(oshape)
        ms[1] = oshape[1] // 2
        ins.append(b.p(ms))
    n = b.op("DeformableConvolution", ins, attrs)
    check_vs_ov(b, n)


# ---- numeric: OpenVINO CPU result vs a numpy reference ----

def same_pads(d, k, s, dil, upper):
    total = max(0, (-(-d // s) - 1) * s + dil * (k - 1) + 1 - d)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


def np_conv(x, w, strides, dil, pb, pe, groups=1):
    ns = x.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0)] + list(zip(pb, pe)))
    n, c = x.shape[:2]
    cout, cg = w.shape[:2]
    k = w.shape[2:]
    osz = [(x.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // strides[i] + 1 for i in range(ns)]
    out = np.zeros([n, cout] + osz)
    wg = w.reshape((groups, cout // groups, cg) + tuple(k)).astype(np.float64)
    for kk in itertools.product(*[range(v) for v in k]):
        sl = tuple(slice(kk[i] * dil[i], kk[i] * dil[i] + strides[i] * (osz[i] - 1) + 1, strides[i])
                   for i in range(ns))
        xs = x[(slice(None), slice(None)) + sl].reshape([n, groups, c // groups] + osz)
        wk = wg[(slice(None),) * 3 + kk]
        out += np.einsum("ngc...,goc->ngo...", xs, wk).reshape([n, cout] + osz)
    return out


@pytest.mark.parametrize("dshape,wshape,groups,strides,dil,auto_pad,pb,pe", [
    ([2, 3, 11, 12], [4, 3, 3, 3], 1, [2, 1], [1, 2], "explicit", [1, 2], [2, 0]),
    ([1, 4, 9, 10], [6, 2, 3, 2], 2, [2, 2], [1, 1], "same_upper", None, None),
    ([1, 4, 9, 10], [6, 2, 3, 2], 2, [2, 3], [2, 1], "same_lower", None, None),
    # pads given with auto_pad are ignored (by irconv's inference and by OpenVINO)
    ([1, 3, 10, 9], [2, 3, 3, 4], 1, [2, 2], [1, 1], "same_upper", [3, 3], [3, 3]),
    ([1, 3, 10, 9], [2, 3, 3, 4], 1, [1, 2], [1, 1], "valid", [2, 1], [1, 2]),
    ([1, 2, 13], [3, 2, 4], 1, [3], [2], "valid", None, None),
    ([1, 2, 5, 6, 7], [2, 2, 2, 3, 2], 1, [1, 2, 2], [1, 1, 2], "explicit", [0, 1, 1], [1, 0, 1]),
])
def test_convolution_numeric_vs_numpy(dshape, wshape, groups, strides, dil, auto_pad, pb, pe):
    ns = len(dshape) - 2
    x = RNG.standard_normal(dshape).astype(np.float32)
    w = RNG.standard_normal(wshape).astype(np.float32)
    b = B()
    p = b.g.parameter("x", "f32", dshape).output(0)
    if groups > 1:
        wt = w.reshape([groups, wshape[0] // groups] + wshape[1:])
        n = b.op("GroupConvolution", [p, b.c(wt)], conv_attrs(ns, strides, dil, pb, pe, auto_pad))
    else:
        n = b.op("Convolution", [p, b.c(w)], conv_attrs(ns, strides, dil, pb, pe, auto_pad))
    b.g.result(n.output(0), name="y")
    if auto_pad in ("same_upper", "same_lower"):
        pp = [same_pads(dshape[2 + i], wshape[2 + i], strides[i], dil[i], auto_pad == "same_upper") for i in range(ns)]
        pb, pe = [a for a, _ in pp], [e for _, e in pp]
    elif auto_pad == "valid":
        pb, pe = [0] * ns, [0] * ns
    ref = np_conv(x, w, strides, dil, pb, pe, groups)
    assert n.output(0).shape == list(ref.shape)
    got = run_ir(b.g, {"x": x})[0]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_convolution_backprop_numeric_vs_numpy():
    x = RNG.standard_normal([1, 3, 4, 5]).astype(np.float32)
    w = RNG.standard_normal([3, 2, 3, 2]).astype(np.float32)
    s, d, pb, pe, op = [2, 3], [1, 2], [1, 0], [0, 2], [1, 2]
    b = B()
    p = b.g.parameter("x", "f32", list(x.shape)).output(0)
    n = b.op("ConvolutionBackpropData", [p, b.c(w)], conv_attrs(2, s, d, pb, pe, output_padding=op))
    b.g.result(n.output(0), name="y")
    full = [(x.shape[2 + i] - 1) * s[i] + d[i] * (w.shape[2 + i] - 1) + 1 + op[i] for i in range(2)]
    acc = np.zeros([1, 2] + full)
    for kh, kw in itertools.product(range(w.shape[2]), range(w.shape[3])):
        contrib = np.einsum("nchw,co->nohw", x.astype(np.float64), w[:, :, kh, kw].astype(np.float64))
        acc[:, :, kh * d[0]: kh * d[0] + s[0] * (x.shape[2] - 1) + 1: s[0],
            kw * d[1]: kw * d[1] + s[1] * (x.shape[3] - 1) + 1: s[1]] += contrib
    osz = [full[i] - pb[i] - pe[i] for i in range(2)]
    ref = acc[:, :, pb[0]:pb[0] + osz[0], pb[1]:pb[1] + osz[1]]
    assert n.output(0).shape == list(ref.shape)
    got = run_ir(b.g, {"x": x})[0]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------------------------
# Pooling

def pool_attrs(kernel, strides=None, pb=None, pe=None, rounding="floor", auto_pad="explicit", **extra):
    ns = len(kernel)
    a = {"kernel": kernel, "strides": strides or [1] * ns, "pads_begin": pb or [0] * ns,
         "pads_end": pe or [0] * ns, "rounding_type": rounding, "auto_pad": auto_pad}
    a.update(extra)
    return a


POOL_CASES = [
    # version, data, attrs
    ("opset1", [1, 3, 10, 11], pool_attrs([3, 3], [2, 2])),
    ("opset1", [1, 3, 10, 11], pool_attrs([3, 3], [2, 2], rounding="ceil")),
    ("opset1", [1, 3, 5, 5], pool_attrs([2, 2], [2, 2], [1, 1], [1, 1], rounding="ceil")),
    ("opset1", [1, 3, 9, 8], pool_attrs([3, 2], [2, 3], auto_pad="same_upper")),
    ("opset1", [1, 3, 9, 8], pool_attrs([4, 2], [2, 3], auto_pad="same_lower", rounding="ceil")),
    ("opset1", [1, 3, 9, 8], pool_attrs([3, 2], [2, 3], [1, 1], [1, 1], auto_pad="valid", rounding="ceil")),
    ("opset1", [2, 4, 17], pool_attrs([4], [3], [1], [2], rounding="ceil")),
    ("opset1", [1, 2, 7, 8, 9], pool_attrs([2, 3, 2], [2, 2, 2], [0, 1, 0], [1, 1, 0], rounding="ceil")),
    ("opset1", [-1, 3, -1, 11], pool_attrs([3, 3], [2, 2], [1, 1], [1, 1])),
    ("opset1", [1, 3, -1, 11], pool_attrs([3, 3], [2, 2], auto_pad="same_upper")),
    ("opset1", None, pool_attrs([3, 3], [2, 2])),
    ("opset8", [1, 3, 12, 13], pool_attrs([3, 3], [2, 2], [1, 1], [1, 1], dilations=[2, 2])),
    ("opset8", [1, 3, 12, 13], pool_attrs([3, 2], [2, 2], rounding="ceil", dilations=[2, 3],
                                          index_element_type="i32", axis=2)),
    ("opset8", [1, 3, 12, 13], pool_attrs([3, 3], [3, 2], auto_pad="same_lower", dilations=[1, 2], axis=-3)),
    ("opset14", [1, 3, 5, 5], pool_attrs([2, 2], [2, 2], [1, 1], [1, 1], rounding="ceil_torch")),
    ("opset14", [1, 3, 10, 11], pool_attrs([3, 3], [2, 2], [1, 0], [0, 1], rounding="ceil_torch",
                                           dilations=[1, 2])),
    ("opset14", [1, 3, 6, 7], pool_attrs([3, 3], [2, 2], [1, 1], [1, 1], rounding="ceil")),
    ("opset14", [1, 3, -1, 7], pool_attrs([3, 3], [2, 2], [1, 1], [1, 1], rounding="ceil_torch")),
]


@pytest.mark.parametrize("version,dshape,attrs", POOL_CASES)
def test_maxpool_shape_matches_openvino(version, dshape, attrs):
    b = B()
    n = b.op("MaxPool", [b.p(dshape)], attrs, version=version)
    assert n.num_outputs == (1 if version == "opset1" else 2)
    check_vs_ov(b, n)


AVG_CASES = [
    ("opset1", [1, 3, 10, 11], pool_attrs([3, 3], [2, 2], [1, 1], [1, 1], **{"exclude-pad": True})),
    ("opset1", [1, 3, 10, 11], pool_attrs([3, 3], [2, 2], [1, 1], [1, 1], rounding="ceil", **{"exclude-pad": False})),
    ("opset1", [1, 3, 10, 11], pool_attrs([2, 3], [2, 2], auto_pad="same_upper", rounding="ceil", **{"exclude-pad": True})),
    ("opset1", [1, 3, 7], pool_attrs([3], [2], auto_pad="valid", **{"exclude-pad": True})),
    ("opset14", [1, 3, 5, 5], pool_attrs([2, 2], [2, 2], [1, 1], [1, 1], rounding="ceil_torch", **{"exclude-pad": True})),
    ("opset14", [1, 3, 9, 6, 7], pool_attrs([2, 2, 2], [2, 2, 2], [1, 0, 1], [1, 1, 0], rounding="ceil_torch",
                                            **{"exclude-pad": False})),
    ("opset16", [1, 3, 32, 32], pool_attrs([5, 5], [2, 2], [1, 1], [1, 1], dilations=[2, 2], **{"exclude-pad": False})),
    ("opset16", [1, 3, 11, 12], pool_attrs([3, 2], [2, 2], [1, 1], [1, 0], rounding="ceil_torch", dilations=[2, 3],
                                           **{"exclude-pad": True})),
    ("opset16", [1, 3, 11, 12], pool_attrs([3, 2], [2, 2], auto_pad="same_lower", **{"exclude-pad": True})),
]


@pytest.mark.parametrize("version,dshape,attrs", AVG_CASES)
def test_avgpool_shape_matches_openvino(version, dshape, attrs):
    b = B()
    n = b.op("AvgPool", [b.p(dshape)], attrs, version=version)
    check_vs_ov(b, n)


def test_pooling_errors():
    b = B()
    with pytest.raises(IrconvError, match="ceil_torch"):
        b.op("MaxPool", [b.p([1, 3, 5, 5])], pool_attrs([2, 2], [2, 2], rounding="ceil_torch"), version="opset8")
    with pytest.raises(IrconvError, match="larger than the padded data"):
        b.op("MaxPool", [b.p([1, 3, 4, 5])], pool_attrs([9, 2], [2, 2]), version="opset1")
    with pytest.raises(IrconvError, match="padding"):
        b.op("AvgPool", [b.p([1, 3, 5, 5])], pool_attrs([2, 2], [2, 2], [2, 2], **{"exclude-pad": True}),
             version="opset1")
    with pytest.raises(IrconvError, match="axis"):
        b.op("MaxPool", [b.p([1, 3, 5, 5])], pool_attrs([2, 2], axis=4), version="opset8")


def np_maxpool_2d(x, k, s, pb, pe, out_hw):
    xp = np.pad(x, [(0, 0), (0, 0), (pb[0], pe[0] + k[0] * 2), (pb[1], pe[1] + k[1] * 2)],
                constant_values=-np.inf)
    # windows are clipped to the input + padding area, like OpenVINO
    hp, wp = x.shape[2] + pb[0] + pe[0], x.shape[3] + pb[1] + pe[1]
    out = np.full(x.shape[:2] + tuple(out_hw), -np.inf, np.float32)
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            h0, w0 = i * s[0], j * s[1]
            win = xp[:, :, h0:min(h0 + k[0], hp), w0:min(w0 + k[1], wp)]
            out[:, :, i, j] = win.max(axis=(2, 3))
    return out


@pytest.mark.parametrize("rounding,version", [("floor", "opset1"), ("ceil", "opset1"), ("ceil_torch", "opset14")])
def test_maxpool_numeric_odd_sizes(rounding, version):
    x = RNG.standard_normal([1, 2, 7, 9]).astype(np.float32)
    k, s, pb, pe = [2, 3], [2, 2], [0, 1], [0, 1]
    b = B()
    p = b.g.parameter("x", "f32", list(x.shape)).output(0)
    n = b.op("MaxPool", [p], pool_attrs(k, s, pb, pe, rounding=rounding), version=version)
    b.g.result(n.output(0), name="y")
    shape = n.output(0).shape
    if version == "opset14":  # the spec default is written out (OpenVINO CPU needs it for ceil_torch)
        assert n.attrs["dilations"] == [1, 1]
    got = run_ir(b.g, {"x": x})[0]
    assert list(got.shape) == shape
    np.testing.assert_allclose(got, np_maxpool_2d(x, k, s, pb, pe, shape[2:]))


@pytest.mark.parametrize("op", ["AdaptiveAvgPool", "AdaptiveMaxPool"])
@pytest.mark.parametrize("dshape,osz", [([1, 3, 10, 11], [4, 5]), ([2, 3, 9], [3]),
                                        ([1, 2, 6, 7, 8], [2, 3, 4]), ([-1, 3, -1, -1], [2, 2]),
                                        ([1, 3, 10, 11], "param"), (None, [2, 2])])
def test_adaptive_pool_shape_matches_openvino(op, dshape, osz):
    b = B()
    if osz == "param":
        s = b.p([2], "i64")
    else:
        s = b.c(np.array(osz, np.int32))
    attrs = {"index_element_type": "i32"} if op == "AdaptiveMaxPool" else {}
    n = b.op(op, [b.p(dshape), s], attrs)
    check_vs_ov(b, n)


# ----------------------------------------------------------------------------------------------
# MatMul / Einsum

MATMUL_CASES = [
    ([2, 3], [3, 4], False, False),
    ([3, 2], [3, 4], True, False),
    ([2, 3], [4, 3], False, True),
    ([3, 2], [4, 3], True, True),
    ([3], [3, 4], False, False),
    ([3], [4, 3], True, True),
    ([2, 3], [3], False, False),
    ([3], [3], False, False),
    ([2, 1, 3, 4], [5, 4, 6], False, False),
    ([5, 4, 3], [1, 3, 2], False, False),
    ([7, 2, 3], [3], False, False),
    ([3], [7, 3, 2], False, False),
    ([-1, 3, 4], [4, -1], False, False),
    ([-1, -1, -1], [2, 5, 6], False, True),
    ([1, -1, 3, 4], [5, 1, 4, 6], False, False),
    (None, [3, 4], False, False),
]


@pytest.mark.parametrize("a,bshape,ta,tb", MATMUL_CASES)
def test_matmul_shape_matches_openvino(a, bshape, ta, tb):
    b = B()
    n = b.op("MatMul", [b.p(a), b.p(bshape)], {"transpose_a": ta, "transpose_b": tb})
    check_vs_ov(b, n)


def test_matmul_errors():
    b = B()
    with pytest.raises(IrconvError, match=r"MatMul 'mm'.*K=3.*K=4"):
        b.g.op("MatMul", [b.p([2, 3]), b.p([4, 5])], {}, name="mm")
    with pytest.raises(IrconvError, match="batch"):
        b.op("MatMul", [b.p([2, 2, 3]), b.p([3, 3, 4])])
    with pytest.raises(IrconvError, match="scalar"):
        b.op("MatMul", [b.p([]), b.p([3, 4])])


def np_matmul(a, b, ta, tb):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if ta and a.ndim > 1:
        a = np.swapaxes(a, -1, -2)
    if tb and b.ndim > 1:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


@pytest.mark.parametrize("a,bshape,ta,tb", [c for c in MATMUL_CASES if c[0] and -1 not in c[0] + c[1]])
def test_matmul_folded_vs_numpy_and_openvino(a, bshape, ta, tb):
    av = RNG.standard_normal(a).astype(np.float32)
    bv = RNG.standard_normal(bshape).astype(np.float32)
    ref = np_matmul(av, bv, ta, tb)

    def build():
        b = B()
        n = b.op("MatMul", [b.c(av), b.c(bv)], {"transpose_a": ta, "transpose_b": tb})
        b.g.result(n.output(0), name="mm")
        return b, n

    b, n = build()
    assert n.output(0).shape == list(ref.shape)
    b.g.run_pass("ConstantFolding")
    folded = b.g.results[0].inputs[0]
    assert folded.is_const
    got = folded.value()
    assert got.dtype == np.float32 and got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)

    b2, _ = build()  # unfolded: OpenVINO computes the MatMul itself
    np.testing.assert_allclose(run_ir(b2.g)[0], ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(run_ir(b.g)[0], got)


@pytest.mark.parametrize("dtype,et", [(np.int32, "i32"), (np.int64, "i64"), (np.float64, "f64")])
def test_matmul_eval_other_types(dtype, et):
    av = (RNG.standard_normal([2, 3, 4]) * 5).astype(dtype)
    bv = (RNG.standard_normal([4, 2]) * 5).astype(dtype)
    b = B()
    n = b.op("MatMul", [b.c(av), b.c(bv)], {"transpose_a": False, "transpose_b": False})
    assert n.output(0).element_type == et
    b.g.result(n.output(0), name="mm")
    b.g.run_pass("ConstantFolding")
    got = b.g.results[0].inputs[0].value()
    assert got.dtype == dtype
    if dtype == np.float64:
        np.testing.assert_allclose(got, np.matmul(av, bv), rtol=1e-12)
    else:
        np.testing.assert_array_equal(got, np.matmul(av, bv))


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [[2, 3], [3, 4]]),
    ("bij,bjk->bik", [[5, 2, 3], [5, 3, 4]]),
    ("...ij,...jk->...ik", [[2, 1, 2, 3], [4, 3, 4]]),
    ("ij,jk", [[2, 3], [3, 4]]),
    ("i,i->", [[3], [3]]),
    ("abc->cba", [[2, 3, 4]]),
    ("ij,kj->ik", [[-1, 3], [4, -1]]),
    ("a...,...b->ab...", [[2, 3, 4], [3, 4, 5]]),
    ("ij, jk -> ik", [None, [3, 4]]),
])
def test_einsum_shape_matches_openvino(eq, shapes):
    b = B()
    n = b.op("Einsum", [b.p(s) for s in shapes], {"equation": eq})
    check_vs_ov(b, n)


def test_einsum_errors():
    b = B()
    with pytest.raises(IrconvError, match="label 'j'"):
        b.op("Einsum", [b.p([2, 3]), b.p([4, 5])], {"equation": "ij,jk->ik"})
    with pytest.raises(IrconvError, match="input subscripts"):
        b.op("Einsum", [b.p([2, 3])], {"equation": "ij,jk->ik"})


# ----------------------------------------------------------------------------------------------
# Interpolate

def interp_attrs(mode="linear", scm="sizes", **extra):
    a = {"mode": mode, "shape_calculation_mode": scm, "coordinate_transformation_mode": "half_pixel",
         "nearest_mode": "round_prefer_floor", "antialias": False, "pads_begin": [0, 0, 0, 0],
         "pads_end": [0, 0, 0, 0], "cube_coeff": -0.75}
    a.update(extra)
    return a


I4_CASES = [
    # data, sizes, scales, axes, attrs
    ([1, 3, 10, 12], [20, 24], [2.0, 2.0], [2, 3], interp_attrs("nearest", "sizes")),
    ([1, 3, 10, 12], [1, 1], [1.5, 0.75], [2, 3], interp_attrs("linear", "scales")),
    ([1, 3, 10, 12], [1, 1], [1.33, 0.1], [3, 2], interp_attrs("cubic", "scales", pads_begin=[0, 0, 1, 1],
                                                                   pads_end=[0, 1, 1])),
    ([1, 3, 10, 12], [1, 3, 5, 7], [1, 1, 0.5, 0.6], None, interp_attrs("linear_onnx", "sizes")),
    ([1, 3, 10, 12], [1, 3, 5, 7], [1.0, 1.0, 0.5, 0.6], None, interp_attrs("nearest", "scales",
                                                                              pads_begin=[0, 0, 2, 2])),
    ([-1, 3, 10, 12], [20, 30], [2.0, 2.5], [2, 3], interp_attrs("linear", "scales")),
    ([-1, 3, -1, 12], [20, 30], [2.0, 2.5], [2, 3], interp_attrs("linear", "sizes")),
    ([1, 3, 10, 12], "param", [2.0, 2.5], [2, 3], interp_attrs("linear", "sizes")),
    ([1, 3, 10, 12], [20, 30], "param", [2, 3], interp_attrs("linear", "scales")),
    ([1, 3, 10, 12], [20, 30], [2.0, 2.0], "param", interp_attrs("linear", "sizes")),
    ([2, 7], [5], [0.5], [1], interp_attrs("nearest", "scales", pads_begin=[0], pads_end=[0])),
    (None, [20, 30], [2.0, 2.5], [2, 3], interp_attrs("linear", "scales")),
]


def _interp_inputs(b, sizes, scales, axes, scales_dtype=np.float32):
    ins = []
    if sizes is not None:
        ins.append(b.p([2], "i64") if sizes == "param" else b.c(np.array(sizes, np.int64)))
    if scales is not None:
        ins.append(b.p([2], "f32") if scales == "param" else b.c(np.array(scales, scales_dtype)))
    if axes is not None:
        ins.append(b.p([2], "i64") if axes == "param" else b.c(np.array(axes, np.int64)))
    return ins


@pytest.mark.parametrize("dshape,sizes,scales,axes,attrs", I4_CASES)
def test_interpolate4_shape_matches_openvino(dshape, sizes, scales, axes, attrs):
    b = B()
    n = b.op("Interpolate", [b.p(dshape)] + _interp_inputs(b, sizes, scales, axes), attrs, version="opset4")
    check_vs_ov(b, n)


I11_CASES = [
    ([1, 3, 10, 12], [20, 24], None, [2, 3], interp_attrs("bilinear_pillow", "sizes")),
    ([1, 3, 10, 12], None, [1.5, 2.5], [2, 3], interp_attrs("bicubic_pillow", "scales")),
    ([1, 3, 10, 12], None, [1.3333333, 0.1], [2, 3], interp_attrs("linear", "scales", pads_begin=[0, 0, 1, 1],
                                                                  pads_end=[0, 1, 1])),
    ([1, 3, 10, 12], [1, 3, 7, 8], None, None, interp_attrs("nearest", "sizes")),
    ([-1, 3, 10, 12], None, [2.0, 3.0], [2, 3], interp_attrs("nearest", "scales")),
    ([1, 3, 10, 12], "param", None, [2, 3], interp_attrs("cubic", "sizes")),
    ([1, 3, 10, 12], None, [2.0, 3.0], "param", interp_attrs("nearest", "scales")),
]


@pytest.mark.parametrize("dshape,sizes,scales,axes,attrs", I11_CASES)
def test_interpolate11_shape_matches_openvino(dshape, sizes, scales, axes, attrs):
    b = B()
    n = b.op("Interpolate", [b.p(dshape)] + _interp_inputs(b, sizes, scales, axes), attrs, version="opset11")
    check_vs_ov(b, n)


def test_interpolate11_f16_scales():
    b = B()
    ins = [b.p([1, 3, 10, 12])] + _interp_inputs(b, None, [1.5, 2.5], [2, 3], np.float16)
    n = b.op("Interpolate", ins, interp_attrs("linear", "scales"), version="opset11")
    assert check_vs_ov(b, n)[0][0] == [1, 3, 15, 30]


def test_interpolate_errors():
    b = B()
    with pytest.raises(IrconvError, match="mode"):
        b.op("Interpolate", [b.p([1, 3, 4, 4])] + _interp_inputs(b, [8, 8], [2.0, 2.0], [2, 3]),
             interp_attrs("bilinear_pillow", "sizes"), version="opset4")
    with pytest.raises(IrconvError, match="axes"):
        b.op("Interpolate", [b.p([1, 3, 4, 4])] + _interp_inputs(b, [8], None, [4]),
             interp_attrs("nearest", "sizes"), version="opset11")
    with pytest.raises(IrconvError, match="sizes element type"):
        b.op("Interpolate", [b.p([1, 3, 4, 4]), b.c(np.array([8.0, 8.0], np.float32))],
             interp_attrs("nearest", "sizes"), version="opset11")


def test_interpolate_run_nearest_by_scales():
    x = RNG.standard_normal([1, 2, 3, 4]).astype(np.float32)
    b = B()
    p = b.g.parameter("x", "f32", list(x.shape)).output(0)
    ins = [p] + _interp_inputs(b, None, [2.0, 2.0], [2, 3])
    n = b.op("Interpolate", ins, interp_attrs("nearest", "scales", coordinate_transformation_mode="asymmetric",
                                              nearest_mode="floor"), version="opset11")
    b.g.result(n.output(0), name="y")
    assert n.output(0).shape == [1, 2, 6, 8]
    got = run_ir(b.g, {"x": x})[0]
    np.testing.assert_array_equal(got, x.repeat(2, axis=2).repeat(2, axis=3))


# ----------------------------------------------------------------------------------------------
# Normalization

@pytest.mark.parametrize("dshape,cshape", [([2, 4, 5, 5], [4]), ([2, -1, 5], [4]), ([2, -1, 5], [-1]),
                                            (None, [4]), ([3, 4], [4])])
def test_batch_norm_inference_shape_matches_openvino(dshape, cshape):
    b = B()
    ins = [b.p(dshape)] + [b.p(cshape) for _ in range(4)]
    n = b.op("BatchNormInference", ins, {"epsilon": 1e-5})
    check_vs_ov(b, n)


def test_batch_norm_errors():
    b = B()
    with pytest.raises(IrconvError, match=r"\(4\).*\(3\)"):
        b.op("BatchNormInference", [b.p([1, 4, 2])] + [b.p([3]) for _ in range(4)], {"epsilon": 1e-5})
    with pytest.raises(IrconvError, match="f16"):
        b.op("BatchNormInference", [b.p([1, 4, 2]), b.p([4], "f16")] + [b.p([4]) for _ in range(3)],
             {"epsilon": 1e-5})


@pytest.mark.parametrize("mode", ["inside_sqrt", "outside_sqrt"])
@pytest.mark.parametrize("dshape,axes", [([1, 3, 8, 8], [2, 3]), ([-1, 3, 8], [1, 2]), (None, [1])])
def test_mvn_shape_matches_openvino(mode, dshape, axes):
    b = B()
    n = b.op("MVN", [b.p(dshape), b.c(np.array(axes, np.int64))],
             {"eps": 1e-9, "normalize_variance": True, "eps_mode": mode})
    check_vs_ov(b, n)


def test_lrn_grn_normalize_l2_group_norm_shapes():
    b = B()
    nodes = [
        b.op("LRN", [b.p([1, 6, 5, 5]), b.c(np.array([1], np.int64))],
             {"alpha": 1e-4, "beta": 0.75, "bias": 1.0, "size": 3}),
        b.op("LRN", [b.p([-1, 6, -1, 5]), b.c(np.array([2, 3], np.int64))],
             {"alpha": 1e-4, "beta": 0.75, "bias": 2.0, "size": 5}),
        b.op("GRN", [b.p([2, 5, 3])], {"bias": 1e-6}),
        b.op("NormalizeL2", [b.p([2, 5, 3, 3]), b.c(np.array([-1], np.int64))], {"eps": 1e-6, "eps_mode": "add"}),
        b.op("NormalizeL2", [b.p([2, -1, 3]), b.c(np.array([1, 2], np.int32))], {"eps": 1e-6, "eps_mode": "max"}),
        b.op("GroupNormalization", [b.p([2, 6, 4, 4]), b.p([6]), b.p([6])], {"num_groups": 3, "epsilon": 1e-5}),
        b.op("GroupNormalization", [b.p([2, -1, 4]), b.p([-1]), b.p([6])], {"num_groups": 2, "epsilon": 1e-5}),
    ]
    ours = []
    for i, n in enumerate(nodes):
        ours.append((n.output(0).shape, n.output(0).element_type))
        b.g.result(n.output(0), name="r%d" % i)
    m = read_ir(b.g)
    assert ours == [(ov_shape(p), p.get_element_type().get_type_name()) for p in m.outputs]


def test_normalization_errors():
    b = B()
    with pytest.raises(IrconvError, match="axis 4"):
        b.op("LRN", [b.p([1, 6, 5, 5]), b.c(np.array([4], np.int64))],
             {"alpha": 1e-4, "beta": 0.75, "bias": 1.0, "size": 3})
    with pytest.raises(IrconvError, match="2D, 3D or 4D"):
        b.op("GRN", [b.p([1, 2, 3, 4, 5])], {"bias": 1e-6})
    with pytest.raises(IrconvError, match="divisible"):
        b.op("GroupNormalization", [b.p([2, 6, 4]), b.p([6]), b.p([6])], {"num_groups": 4, "epsilon": 1e-5})
    with pytest.raises(IrconvError, match="eps_mode"):
        b.op("MVN", [b.p([1, 3]), b.c(np.array([1], np.int64))],
             {"eps": 1e-9, "normalize_variance": True, "eps_mode": "inside"})


# ----------------------------------------------------------------------------------------------
# FakeQuantize

@pytest.mark.parametrize("dshape,rshapes", [
    ([1, 3, 4, 4], [[], [], [], []]),
    ([1, 3, 4, 4], [[1, 3, 1, 1], [3, 1, 1], [1], [1, 1, 1, 4]]),
    ([-1, 3, -1, 4], [[1, 3, 1, 1], [1, 3, 1, 1], [], []]),
    (None, [[1, 3, 1, 1], [1, 3, 1, 1], [], []]),
])
def test_fake_quantize_shape_matches_openvino(dshape, rshapes):
    b = B()
    n = b.op("FakeQuantize", [b.p(dshape)] + [b.p(s) for s in rshapes], {"levels": 256, "auto_broadcast": "numpy"})
    check_vs_ov(b, n)


def test_fake_quantize_bad_range_shape():
    b = B()
    with pytest.raises(IrconvError, match="input_low"):
        b.op("FakeQuantize", [b.p([1, 3, 4, 4]), b.p([1, 2, 1, 1])] + [b.p([]) for _ in range(3)], {"levels": 256})


def _fq_build(w, ranges, levels, const_data):
    b = B()
    x = b.c(w) if const_data else b.g.parameter("x", "f32", list(w.shape)).output(0)
    n = b.op("FakeQuantize", [x] + [b.c(r) for r in ranges], {"levels": levels, "auto_broadcast": "numpy"})
    b.g.result(n.output(0), name="y")
    return b


def _fq_fold(w, ranges, levels):
    b = _fq_build(w, ranges, levels, True)
    b.g.run_pass("ConstantFolding")
    src = b.g.results[0].inputs[0]
    assert src.is_const
    v = src.value()
    assert v.dtype == w.dtype and v.shape == w.shape
    return v


def np_fake_quantize(x, il, ih, ol, oh, levels):
    q = np.round((x - il) / (ih - il) * (levels - 1)) / (levels - 1) * (oh - ol) + ol
    return np.where(x <= np.minimum(il, ih), ol, np.where(x > np.maximum(il, ih), oh, q))


@pytest.mark.parametrize("levels", [2, 16, 255, 256])
def test_fake_quantize_folded_vs_openvino_folding(levels):
    """Ranges broadcast on different axes (per-channel, scalar, last axis); OpenVINO folds the same
    constant sub-graph with its reference kernel when it compiles the IR."""
    w = (RNG.standard_normal([2, 3, 5, 4]) * 1.5).astype(np.float32)
    ranges = (np.array([-1.0, -0.5, 0.0], np.float32).reshape(1, 3, 1, 1),
              np.array([1.0, 0.7, 2.0], np.float32).reshape(1, 3, 1, 1),
              np.array(-2.0, np.float32),
              np.array([0.5, 1.5, 3.0, 4.0], np.float32))
    ours = _fq_fold(w, ranges, levels)
    np.testing.assert_allclose(ours, np_fake_quantize(w, *ranges, levels), rtol=1e-6, atol=1e-6)
    ov_folded = run_ir(_fq_build(w, ranges, levels, True).g)[0]
    np.testing.assert_allclose(ours, ov_folded, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("levels", [2, 255, 256])
def test_fake_quantize_folded_vs_openvino_cpu_run(levels):
    """Per-channel weight quantization: the folded constant equals OpenVINO CPU's FakeQuantize run
    on the same values fed at runtime. (The CPU plugin of 2026.4 mishandles a scalar output_low
    with a per-channel output_high, so all ranges here are per-channel.)"""
    w = (RNG.standard_normal([4, 3, 3, 3]) * 0.2).astype(np.float32)
    lo = w.min(axis=(1, 2, 3), keepdims=True)
    hi = w.max(axis=(1, 2, 3), keepdims=True)
    ranges = (lo, hi, lo * 0.9, hi * 1.1)
    ours = _fq_fold(w, ranges, levels)
    ov_run = run_ir(_fq_build(w, ranges, levels, False).g, {"x": w})[0]
    np.testing.assert_allclose(ours, ov_run, rtol=1e-5, atol=1e-6)


def test_fake_quantize_f64_folds_integers_do_not():
    b = B()
    w = RNG.standard_normal([4]).astype(np.float64)
    n = b.op("FakeQuantize", [b.c(w)] + [b.c(np.array(v, np.float64)) for v in (-1, 1, 0, 255)], {"levels": 256})
    b.g.result(n.output(0), name="y")
    b.g.run_pass("ConstantFolding")
    got = b.g.results[0].inputs[0].value()
    ref = np.where(w <= -1, 0.0, np.where(w > 1, 255.0, np.round((w + 1) / 2 * 255) / 255 * 255))
    np.testing.assert_allclose(got, ref)

    b = B()
    n = b.op("FakeQuantize", [b.c(np.arange(4, dtype=np.int32))] + [b.c(np.array(v, np.int32)) for v in (0, 3, 0, 3)],
             {"levels": 4})
    b.g.result(n.output(0), name="y")
    b.g.run_pass("ConstantFolding")
    assert not b.g.results[0].inputs[0].is_const
