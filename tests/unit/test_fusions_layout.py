"""Layout passes: TransposeSinking, ReshapeTransposeFusion (cpp/src/passes/transpose_sinking.cpp),
PadFusion and MatMulTransposeFusion (linear_fusions.cpp). Each rewritten graph runs on OpenVINO and
matches the same graph with every fusion switched off; near-misses stay as they are."""
import numpy as np
import pytest

from helpers import run_ir

from irconv import _core

NOT_FUSIONS = {"DeadCodeElimination", "ConstantFolding", "ConstantFoldingFinal", "DeadCodeEliminationFinal"}
FUSIONS = [p for p in _core.passes() if p not in NOT_FUSIONS]
rng = np.random.default_rng(0)
CONV = {"strides": [1, 1], "dilations": [1, 1], "pads_begin": [0, 0], "pads_end": [0, 0], "auto_pad": "explicit"}


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def i64(g, v):
    return c(g, v, np.int64)


def both(build, feeds, disabled=()):
    """(rewritten graph, its outputs, reference outputs with every fusion off)."""
    g = build()
    g.run_passes(disabled=list(disabled))
    ref_g = build()
    ref_g.run_passes(disabled=FUSIONS)
    return g, run_ir(g, feeds), run_ir(ref_g, feeds)


def types(g):
    return [n.type for n in g.topo_order()]


def close(got, ref, rtol=1e-4, atol=1e-5):
    assert len(got) == len(ref)
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=rtol, atol=atol)


# ---------------------------------------------------------------- TransposeSinking

def nhwc_block(residual=False, pad=True, reduce_keep=None):
    """What a TF graph looks like after translation: NHWC tensors, each convolution wrapped in
    NHWC->NCHW / NCHW->NHWC Transposes, batch-norm as Multiply/Add by [C] vectors, Relu6, Pad."""
    def build():
        r = np.random.default_rng(1)
        g = _core.Graph("nhwc")
        x = g.parameter("x", "f32", [1, 6, 6, 4]).output(0)           # NHWC

        def conv(t, cout, cin, k):
            t = g.op("Transpose", [t, i64(g, [0, 3, 1, 2])]).output(0)
            w = c(g, r.standard_normal((cout, cin, k, k)) * 0.3)
            y = g.op("Convolution", [t, w], CONV).output(0)
            return g.op("Transpose", [y, i64(g, [0, 2, 3, 1])]).output(0)

        y = conv(x, 4, 4, 1)
        y = g.op("Multiply", [y, c(g, r.uniform(0.5, 2, 4))]).output(0)
        y = g.op("Add", [y, c(g, r.standard_normal(4))]).output(0)
        y = g.op("Clamp", [y], {"min": 0.0, "max": 6.0}).output(0)
        if pad:
            y = g.op("Pad", [y, i64(g, [0, 1, 1, 0]), i64(g, [0, 1, 1, 0]), c(g, 0.0)], {"pad_mode": "constant"}).output(0)
        y = conv(y, 4, 4, 3 if pad else 1)
        y = g.op("Multiply", [y, c(g, r.uniform(0.5, 2, 4))]).output(0)
        if residual:
            y = g.op("Add", [y, x]).output(0)
        if reduce_keep is not None:
            y = g.op("ReduceMean", [y, i64(g, [1, 2])], {"keep_dims": reduce_keep}).output(0)
        g.result(y, "y")
        return g
    return build


def test_tf_style_transposes_cancel_and_pad_and_scale_fold():
    x = rng.standard_normal((1, 6, 6, 4)).astype(np.float32)
    g, got, ref = both(nhwc_block(reduce_keep=False), {"x": x})
    t = types(g)
    # only the input's NHWC->NCHW Transpose is left; the reduction over H, W needs none after it
    assert t.count("Transpose") == 1 and "Pad" not in t and t.count("Multiply") == 0
    assert t.count("Convolution") == 2
    close(got, ref)


def test_transposes_of_a_residual_add_meet_and_move_on():
    x = rng.standard_normal((1, 6, 6, 4)).astype(np.float32)
    g, got, ref = both(nhwc_block(residual=True, pad=False), {"x": x})
    # the skip connection brings x in NHWC: one Transpose in front of the convolutions and one
    # after the Add, which the output needs in NHWC
    assert types(g).count("Transpose") == 2
    close(got, ref)


@pytest.mark.parametrize("keep", [True, False])
def test_reduction_axes_follow_the_permutation(keep):
    def build():
        g = _core.Graph("red")
        x = g.parameter("x", "f32", [2, 3, 4, 5]).output(0)
        t = g.op("Transpose", [x, i64(g, [0, 2, 3, 1])]).output(0)      # [2,4,5,3]
        y = g.op("ReduceSum", [t, i64(g, [1])], {"keep_dims": keep}).output(0)
        g.result(g.op("Exp", [y]).output(0), "y")
        return g
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    red = [n for n in g.topo_order() if n.type == "ReduceSum"][0]
    assert red.inputs[0].node.type == "Parameter"          # the Transpose moved below the reduction
    assert types(g).count("Transpose") == 1
    close(got, ref)


def test_transpose_feeding_a_result_or_a_reshape_stays():
    def build():
        g = _core.Graph("stay")
        x = g.parameter("x", "f32", [2, 3, 4]).output(0)
        t = g.op("Transpose", [x, i64(g, [0, 2, 1])]).output(0)
        g.result(g.op("Reshape", [t, i64(g, [2, 12])], {"special_zero": False}).output(0), "a")
        t2 = g.op("Transpose", [x, i64(g, [1, 0, 2])]).output(0)
        g.result(t2, "b")
        return g
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    assert types(g).count("Transpose") == 2
    close(got, ref)


def test_a_consumer_that_cannot_take_the_transpose_keeps_it_where_it_is():
    def build():
        g = _core.Graph("mixed")
        x = g.parameter("x", "f32", [2, 3, 4]).output(0)
        z = g.parameter("z", "f32", [2, 4, 3]).output(0)
        t = g.op("Transpose", [x, i64(g, [0, 2, 1])]).output(0)
        a = g.op("ReLU", [t]).output(0)
        b = g.op("Add", [t, z]).output(0)          # z has no Transpose: the Add cannot take t's
        g.result(a, "a")
        g.result(b, "b")
        return g
    feeds = {"x": rng.standard_normal((2, 3, 4)).astype(np.float32), "z": rng.standard_normal((2, 4, 3)).astype(np.float32)}
    g, got, ref = both(build, feeds)
    relu = [n for n in g.topo_order() if n.type == "ReLU"][0]
    assert relu.inputs[0].node.type == "Transpose" and types(g).count("Transpose") == 1
    close(got, ref)


def test_fan_out_that_would_add_transposes_is_left():
    def build():
        g = _core.Graph("fan")
        x = g.parameter("x", "f32", [2, 3, 4]).output(0)
        t = g.op("Transpose", [x, i64(g, [0, 2, 1])]).output(0)
        g.result(g.op("ReLU", [t]).output(0), "a")
        g.result(g.op("Sigmoid", [t]).output(0), "b")
        return g
    g, got, ref = both(build, {"x": rng.standard_normal((2, 3, 4)).astype(np.float32)})
    assert types(g).count("Transpose") == 1
    close(got, ref)


def test_transpose_sinking_can_be_disabled():
    g = nhwc_block()()
    g.run_passes(disabled=["TransposeSinking"])
    assert types(g).count("Transpose") == 4


# ---------------------------------------------------------------- ReshapeTransposeFusion

def rtr(shape1, perm, shape2, xshape=(2, 3, 5, 8)):
    def build():
        g = _core.Graph("rtr")
        x = g.parameter("x", "f32", list(xshape)).output(0)
        y = g.op("Reshape", [x, i64(g, shape1)], {"special_zero": False}).output(0)
        y = g.op("Transpose", [y, i64(g, perm)]).output(0)
        y = g.op("Reshape", [y, i64(g, shape2)], {"special_zero": False}, name="r2").output(0)
        y.add_names(["y"])
        g.result(y, "y")
        return g
    return build


@pytest.mark.parametrize("shape1,perm,shape2,want", [
    ([6, 5, 8], [0, 2, 1], [2, 3, 8, 5], [0, 1, 3, 2]),     # torch's batched transpose of K
    ([6, 5, 8], [1, 0, 2], [5, 2, 3, 8], [2, 0, 1, 3]),
    ([2, 15, 8], [0, 1, 2], [2, 3, 5, 8], None),             # reshapes that cancel: no op at all
])
def test_reshape_transpose_reshape_is_one_transpose(shape1, perm, shape2, want):
    x = rng.standard_normal((2, 3, 5, 8)).astype(np.float32)
    g, got, ref = both(rtr(shape1, perm, shape2), {"x": x})
    t = types(g)
    assert "Reshape" not in t
    if want is None:
        assert "Transpose" not in t
    else:
        tr = [n for n in g.topo_order() if n.type == "Transpose"]
        assert len(tr) == 1 and tr[0].inputs[1].value().tolist() == want and tr[0].name == "r2"
    np.testing.assert_array_equal(got["y"], ref["y"])


@pytest.mark.parametrize("shape1,perm,shape2", [
    ([6, 40], [1, 0], [5, 8, 6]),          # the last reshape splits 6 = 2*3 differently: not a transpose
    ([3, 10, 8], [1, 0, 2], [30, 8]),      # [2,3,5,8] -> [3,10,8] regroups across dims
])
def test_reshapes_that_regroup_dims_stay(shape1, perm, shape2):
    x = rng.standard_normal((2, 3, 5, 8)).astype(np.float32)
    g, got, ref = both(rtr(shape1, perm, shape2), {"x": x})
    assert types(g).count("Reshape") == 2
    np.testing.assert_array_equal(got["y"], ref["y"])


# ---------------------------------------------------------------- PadFusion

def pad_conv(pads_b, pads_e, value=0.0, mode="constant", group=False, auto_pad="explicit"):
    def build():
        r = np.random.default_rng(2)
        g = _core.Graph("padconv")
        x = g.parameter("x", "f32", [1, 4, 7, 7]).output(0)
        ins = [x, i64(g, pads_b), i64(g, pads_e)]
        if mode == "constant":
            ins.append(c(g, value))
        y = g.op("Pad", ins, {"pad_mode": mode}).output(0)
        attrs = dict(CONV, pads_begin=[1, 0], pads_end=[0, 0], auto_pad=auto_pad)
        if group:
            y = g.op("GroupConvolution", [y, c(g, r.standard_normal((4, 1, 1, 3, 3)))], attrs, name="conv").output(0)
        else:
            y = g.op("Convolution", [y, c(g, r.standard_normal((6, 4, 3, 3)))], attrs, name="conv").output(0)
        g.result(y, "y")
        return g
    return build


@pytest.mark.parametrize("group", [False, True])
def test_zero_pad_folds_into_the_convolution(group):
    x = rng.standard_normal((1, 4, 7, 7)).astype(np.float32)
    g, got, ref = both(pad_conv([0, 0, 1, 2], [0, 0, 2, 1], group=group), {"x": x})
    assert "Pad" not in types(g)
    conv = [n for n in g.topo_order() if n.type in ("Convolution", "GroupConvolution")][0]
    assert conv.name == "conv" and conv.attrs["pads_begin"] == [2, 2] and conv.attrs["pads_end"] == [2, 1]
    close(got, ref)


@pytest.mark.parametrize("kw", [dict(value=1.0), dict(mode="reflect"), dict(auto_pad="same_upper")])
def test_pads_a_convolution_cannot_express_stay(kw):
    args = dict(pads_b=[0, 0, 1, 1], pads_e=[0, 0, 1, 1])
    args.update(kw)
    x = rng.standard_normal((1, 4, 7, 7)).astype(np.float32)
    g, got, ref = both(pad_conv(**args), {"x": x})
    assert "Pad" in types(g)
    close(got, ref)


def test_channel_padding_stays():
    def build():
        r = np.random.default_rng(3)
        g = _core.Graph("cpad")
        x = g.parameter("x", "f32", [1, 3, 5, 5]).output(0)
        y = g.op("Pad", [x, i64(g, [0, 1, 0, 0]), i64(g, [0, 0, 0, 0]), c(g, 0.0)], {"pad_mode": "constant"}).output(0)
        g.result(g.op("Convolution", [y, c(g, r.standard_normal((2, 4, 1, 1)))], CONV).output(0), "y")
        return g
    g, got, ref = both(build, {"x": rng.standard_normal((1, 3, 5, 5)).astype(np.float32)})
    assert "Pad" in types(g)
    close(got, ref)


# ---------------------------------------------------------------- MatMulTransposeFusion

def test_transposed_matmul_inputs_become_transpose_flags():
    def build():
        r = np.random.default_rng(4)
        g = _core.Graph("mm")
        x = g.parameter("x", "f32", [2, 5, 3]).output(0)
        w = c(g, r.standard_normal((7, 5)), np.float32)        # stored [N, K], as torch's Linear
        xt = g.op("Transpose", [x, i64(g, [0, 2, 1])]).output(0)
        wt = g.op("Transpose", [w, i64(g, [1, 0])]).output(0)
        y = g.op("MatMul", [xt, wt], name="mm").output(0)
        g.result(y, "y")
        return g
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    mm = [n for n in g.topo_order() if n.type == "MatMul"][0]
    assert "Transpose" not in types(g) and mm.name == "mm"
    assert mm.attrs["transpose_a"] is True and mm.attrs["transpose_b"] is True
    assert mm.inputs[1].shape == [7, 5]                         # the weights were not copied transposed
    close(got, ref, rtol=1e-5)


def test_transposes_of_other_axes_stay():
    def build():
        g = _core.Graph("mm2")
        x = g.parameter("x", "f32", [3, 2, 5]).output(0)
        w = g.parameter("w", "f32", [2, 5, 4]).output(0)
        xt = g.op("Transpose", [x, i64(g, [1, 0, 2])]).output(0)  # batch axes swapped: not a MatMul flag
        g.result(g.op("MatMul", [xt, w]).output(0), "y")
        return g
    feeds = {"x": rng.standard_normal((3, 2, 5)).astype(np.float32), "w": rng.standard_normal((2, 5, 4)).astype(np.float32)}
    g, got, ref = both(build, feeds)
    mm = [n for n in g.topo_order() if n.type == "MatMul"][0]
    assert mm.inputs[0].node.type == "Transpose" and mm.attrs.get("transpose_a", False) is False
    close(got, ref, rtol=1e-5)
