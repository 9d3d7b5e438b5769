"""Block/patch ops and others (misc2.cpp): Col2Im, ExtractImagePatches, SpaceToBatch, BatchToSpace,
ShuffleChannels, Identity, ScaledDotProductAttention, Inverse.

Inferred shapes/types must equal what OpenVINO infers for the saved IR; folded values must equal
OpenVINO's on the unfolded IR; Col2Im, SpaceToBatch, SDPA and Inverse values against numpy."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import run_ir

from op_check import _inputs, a, fold_vs_ov, infer_vs_ov, rand

DYN = None


def err(type_, inputs, attrs, match, version=""):
    g = _core.Graph("t")
    ins, _ = _inputs(g, inputs)
    with pytest.raises(IrconvError, match=match):
        g.op(type_, ins, attrs, name="op", version=version)


def test_registered_versions():
    reg = set(_core.registered_ops())
    for t, v in [("Col2Im", "opset15"), ("ExtractImagePatches", "opset3"), ("SpaceToBatch", "opset2"),
                 ("BatchToSpace", "opset2"), ("ShuffleChannels", "opset1"), ("Identity", "opset16"),
                 ("ScaledDotProductAttention", "opset13"), ("Inverse", "opset14")]:
        assert (t, v) in reg


def _run1(op, data, consts, attrs):
    g = _core.Graph("t")
    p = g.parameter("x", "f32", list(data.shape))
    n = g.op(op, [p.output(0)] + [g.constant(c).output(0) for c in consts], attrs, name="op")
    g.result(n.output(0), name="y")
    return n, run_ir(g, {"x": data})[0]


# ----------------------------------------------------------------------------------------- Col2Im

COL2IM = [
    ([1, 12, 9], a(4, 4), a(2, 2), {}),
    ([12, 9], a(4, 4), a(2, 2), {}),
    ([-1, 12, -1], a(4, 4), a(2, 2), {}),
    ([1, 12, 9], ("i64", [2]), ("i64", [2]), {}),
    ([2, 18, 4], a(5, 5), a(3, 3), {"strides": [2, 2]}),
    ([1, 8, 24], a(5, 6), a(2, 2), {"dilations": [2, 1], "pads_begin": [1, 0], "pads_end": [0, 1]}),
    (DYN, a(4, 4), a(2, 2), {}),
]


@pytest.mark.parametrize("data,size,kernel,attrs", COL2IM)
def test_col2im_infer(data, size, kernel, attrs):
    infer_vs_ov("Col2Im", [("f32", data), size, kernel], attrs)


def _col2im_ref(x, size, kernel, strides=(1, 1), dil=(1, 1), pb=(0, 0), pe=(0, 0)):
    n, ck, _ = x.shape
    kh, kw = kernel
    c = ck // (kh * kw)
    H, W = size
    oh = (H + pb[0] + pe[0] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (W + pb[1] + pe[1] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, c, H + pb[0] + pe[0], W + pb[1] + pe[1]), np.float32)
    cols = x.reshape(n, c, kh, kw, oh, ow)
    for i in range(kh):
        for j in range(kw):
            for y in range(oh):
                for z in range(ow):
                    out[:, :, y * strides[0] + i * dil[0], z * strides[1] + j * dil[1]] += cols[:, :, i, j, y, z]
    return out[:, :, pb[0]:pb[0] + H, pb[1]:pb[1] + W]


def test_col2im_values():
    x = rand((2, 8, 24))
    attrs = {"strides": [1, 1], "dilations": [2, 1], "pads_begin": [1, 0], "pads_end": [0, 1]}
    _, y = _run1("Col2Im", x, [a(5, 6), a(2, 2)], attrs)
    np.testing.assert_allclose(y, _col2im_ref(x, (5, 6), (2, 2), (1, 1), (2, 1), (1, 0), (0, 1)), rtol=1e-5, atol=1e-5)


def test_col2im_errors():
    err("Col2Im", [("f32", [1, 12, 8]), a(4, 4), a(2, 2)], {}, "number of blocks")
    err("Col2Im", [("f32", [1, 10, 9]), a(4, 4), a(2, 2)], {}, "divisible")


# ----------------------------------------------------------------------------------------- ExtractImagePatches

@pytest.mark.parametrize("shape,pad", [([1, 3, 10, 10], "valid"), ([2, 3, 10, 9], "same_upper"),
                                       ([1, 3, -1, 10], "same_lower"), ([1, -1, 10, -1], "valid"), (DYN, "valid")])
def test_extract_image_patches_infer(shape, pad):
    infer_vs_ov("ExtractImagePatches", [("f32", shape)], {"sizes": [3, 2], "strides": [5, 3], "rates": [1, 2],
                                                          "auto_pad": pad})


# ----------------------------------------------------------------------------------------- SpaceToBatch / BatchToSpace

S2B = [
    ([1, 2, 4, 6], a(1, 1, 2, 3), a(0, 0, 0, 0), a(0, 0, 0, 0)),
    ([2, 3, 3, 5], a(1, 1, 2, 2), a(0, 0, 1, 0), a(0, 0, 0, 1)),
    ([-1, 2, -1, 4], a(1, 1, 2, 2), a(0, 0, 0, 0), a(0, 0, 0, 0)),
    ([1, 2, 4, 6], ("i64", [4]), a(0, 0, 0, 0), a(0, 0, 0, 0)),
    (DYN, a(1, 1, 2, 2), a(0, 0, 0, 0), a(0, 0, 0, 0)),
]


@pytest.mark.parametrize("shape,block,pb,pe", S2B)
def test_space_to_batch_infer(shape, block, pb, pe):
    infer_vs_ov("SpaceToBatch", [("f32", shape), block, pb, pe])


B2S = [
    ([6, 2, 2, 2], a(1, 1, 2, 3), a(0, 0, 0, 0), a(0, 0, 0, 0)),
    ([8, 3, 3, 5], a(1, 1, 2, 2), a(0, 0, 1, 0), a(0, 0, 0, 1)),
    ([-1, 2, -1, 4], a(1, 1, 2, 2), a(0, 0, 0, 0), a(0, 0, 1, 0)),
    ([4, 2, 3, 4], a(1, 1, 2, 2), ("i64", [4]), a(0, 0, 0, 0)),
    (DYN, a(1, 1, 2, 2), a(0, 0, 0, 0), a(0, 0, 0, 0)),
]


@pytest.mark.parametrize("shape,block,cb,ce", B2S)
def test_batch_to_space_infer(shape, block, cb, ce):
    infer_vs_ov("BatchToSpace", [("f32", shape), block, cb, ce])


def _s2b_ref(x, block, pb, pe):
    x = np.pad(x, list(zip(pb, pe)))
    n = x.shape[0]
    sp = x.shape[1:]
    k = len(sp)
    shape = [n]
    for d, b in zip(sp, block[1:]):
        shape += [d // b, b]
    y = x.reshape(shape)
    perm = [2 + 2 * i for i in range(k)] + [0] + [1 + 2 * i for i in range(k)]
    y = y.transpose(perm)
    return y.reshape([n * int(np.prod(block))] + [d // b for d, b in zip(sp, block[1:])])


@pytest.mark.parametrize("shape,block,pb,pe", [([2, 3, 3, 5], (1, 1, 2, 2), (0, 0, 1, 0), (0, 0, 0, 1)),
                                               ([1, 2, 4, 6], (1, 2, 2, 3), (0, 0, 0, 0), (0, 0, 0, 0))])
def test_space_batch_values_and_fold(shape, block, pb, pe):
    x = rand(shape)
    c = [np.array(v, np.int64) for v in (block, pb, pe)]
    n, y = _run1("SpaceToBatch", x, c, {})
    ref = _s2b_ref(x, block, pb, pe)
    np.testing.assert_array_equal(y, ref)
    folded = fold_vs_ov("SpaceToBatch", [x] + c)
    np.testing.assert_array_equal(folded, ref)
    # BatchToSpace inverts it (crops = pads)
    back = fold_vs_ov("BatchToSpace", [ref] + c)
    np.testing.assert_array_equal(back, x)
    fold_vs_ov("BatchToSpace", [rand(list(ref.shape), np.int32)] + c)


# ----------------------------------------------------------------------------------------- ShuffleChannels / Identity

@pytest.mark.parametrize("shape,axis,group", [([1, 6, 2, 2], 1, 2), ([1, 6, -1], -2, 3), (DYN, 1, 2), ([12], 0, 4)])
def test_shuffle_channels_infer(shape, axis, group):
    infer_vs_ov("ShuffleChannels", [("f32", shape)], {"axis": axis, "group": group})


def test_shuffle_channels_fold():
    fold_vs_ov("ShuffleChannels", [rand([2, 6, 3])], {"axis": 1, "group": 3})
    fold_vs_ov("ShuffleChannels", [rand([2, 3, 4], np.int8)], {"axis": -1, "group": 2})
    err("ShuffleChannels", [("f32", [1, 5, 2])], {"axis": 1, "group": 2}, "divisible")


def test_identity():
    infer_vs_ov("Identity", [("f32", [2, -1])])
    fold_vs_ov("Identity", [rand([2, 3], np.int32)])


# ----------------------------------------------------------------------------------------- SDPA

SDPA = [
    ([2, 1, 4, 8], [1, 3, 6, 8], [1, 1, 6, 5], None, None, False),
    ([2, 1, 4, 8], [1, 3, 6, 8], [1, 1, 6, 5], [4, 1], [], False),
    ([2, 4, 8], [2, 6, 8], [2, 6, 5], [2, 4, 6], None, True),
    ([-1, 4, 8], [2, -1, 8], [2, 6, -1], [], None, False),
    (DYN, [1, 3, 6, 8], [1, 1, 6, 5], None, None, False),
]


@pytest.mark.parametrize("q,k,v,mask,scale,causal", SDPA)
def test_sdpa_infer(q, k, v, mask, scale, causal):
    ins = [("f32", q), ("f32", k), ("f32", v)]
    if mask is not None:
        ins.append(("f32", mask))
    if scale is not None:
        ins.append(("f32", scale))
    infer_vs_ov("ScaledDotProductAttention", ins, {"causal": causal})


def test_sdpa_values():
    q, k, v = rand((2, 4, 8)), rand((2, 6, 8)), rand((2, 6, 5))
    g = _core.Graph("t")
    ins = [g.parameter(nm, "f32", list(t.shape)).output(0) for nm, t in (("q", q), ("k", k), ("v", v))]
    n = g.op("ScaledDotProductAttention", ins, {"causal": False})
    g.result(n.output(0), name="y")
    y = run_ir(g, {"q": q, "k": k, "v": v})[0]
    s = q @ k.transpose(0, 2, 1) / np.sqrt(8)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(y, p @ v, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------------------- Inverse

@pytest.mark.parametrize("shape", [[3, 3], [2, -1, 3], [-1, -1], DYN])
def test_inverse_infer(shape):
    infer_vs_ov("Inverse", [("f32", shape)], {"adjoint": False})


def test_inverse_values():
    x = rand((2, 4, 4)) + 4 * np.eye(4, dtype=np.float32)
    _, y = _run1("Inverse", x, [], {"adjoint": False})
    np.testing.assert_allclose(y, np.linalg.inv(x), rtol=1e-4, atol=1e-5)
    err("Inverse", [("f32", [3, 4])], {}, "square")
