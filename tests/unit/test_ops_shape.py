"""Shape-manipulation ops (shape.cpp): ShapeOf, Reshape, Squeeze (1, 15), Unsqueeze, Concat, Split,
VariadicSplit, Range, Broadcast, Tile, Transpose, Pad, DepthToSpace, SpaceToDepth; and the
known/partial-value propagation through shape sub-graphs (ShapeOf -> Gather -> Concat -> Reshape).

Inferred shapes/types must equal what OpenVINO infers for the saved IR (read_model); folded values
must equal what OpenVINO computes when the same data are fed as Parameters of the unfolded IR."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import ov_shape, read_ir, run_ir

from op_check import ET, I64, MAX, MIN, RNG, _inputs, a, fold_vs_ov, infer_vs_ov, rand  # noqa: F401


def test_registered_versions():
    reg = set(_core.registered_ops())
    for t, v in [("ShapeOf", "opset3"), ("Reshape", "opset1"), ("Squeeze", "opset1"), ("Squeeze", "opset15"),
                 ("Unsqueeze", "opset1"), ("Concat", "opset1"), ("Split", "opset1"), ("VariadicSplit", "opset1"),
                 ("Range", "opset4"), ("Broadcast", "opset3"), ("Tile", "opset1"), ("Transpose", "opset1"),
                 ("Pad", "opset12"), ("DepthToSpace", "opset1"), ("SpaceToDepth", "opset1")]:
        assert (t, v) in reg


# ---------------------------------------------------------------------------------------- ShapeOf

@pytest.mark.parametrize("shape", [[2, -1, 4], [], None, [0, 3]])
@pytest.mark.parametrize("ot", [None, "i32", "i64"])
def test_shapeof_infer(shape, ot):
    infer_vs_ov("ShapeOf", [("f32", shape)], {} if ot is None else {"output_type": ot})


def test_shapeof_known_value_without_folding():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2, 3, 4])
    s = g.op("ShapeOf", [x.output(0)], {"output_type": "i32"})
    np.testing.assert_array_equal(s.output(0).value(), np.array([2, 3, 4], np.int32))
    assert s.output(0).value().dtype == np.int32
    d = g.parameter("d", "f32", [2, -1])
    assert g.op("ShapeOf", [d.output(0)]).output(0).value() is None


def test_shapeof_bad_output_type():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2])
    with pytest.raises(IrconvError, match="ShapeOf 'bad'.*output_type"):
        g.op("ShapeOf", [x.output(0)], {"output_type": "f32"}, name="bad")


# ---------------------------------------------------------------------------------------- Reshape

RESHAPE_INFER = [
    ([2, 3, 4], a(4, -1), False),
    ([2, 3, 4], a(0, -1), True),
    ([-1, 3, 4], a(0, -1), True),
    ([-1, 3, 4], a(-1, 0), True),
    ([-1, -1, 4], a(0, 0, -1, 2), True),
    ([-1, 6, 4], a(-1, 2, 3, 4), True),
    ([-1, 6, 4], a(0, 2, -1), True),
    ([0, 3], a(-1, 0), False),
    ([0, 3], a(-1, 3), False),
    ([2, 3], a(6), False),
    (None, a(0, -1), True),
    (None, a(2, -1, 3), False),
    ([2, 3, 4], a(2, 12, dtype=np.int32), False),
    ([1], a(dtype=I64), False),
]


@pytest.mark.parametrize("shape,target,sz", RESHAPE_INFER)
def test_reshape_infer(shape, target, sz):
    infer_vs_ov("Reshape", [("f32", shape), target], {"special_zero": sz})


@pytest.mark.parametrize("tshape", [[2], [-1]])
def test_reshape_unknown_target(tshape):
    assert infer_vs_ov("Reshape", [("f32", [2, 3]), ("i64", tshape)], {"special_zero": True}) == \
        ([-1, -1] if tshape == [2] else None, "f32")


@pytest.mark.parametrize("shape,target,sz", [([2, 3], a(4, -1), False), ([2, 3], a(0, -1), False),
                                             ([2, 3], a(-1, -1), False), ([2, 3], a(5), False),
                                             ([2, 3], a(0, 0, 0), True), ([2, 3], a(-2, 3), False),
                                             ([-1, 3, 4], a(0, -1), False)])
def test_reshape_errors(shape, target, sz):
    g = _core.Graph("t")
    x = g.parameter("x", "f32", shape)
    c = g.constant(target)
    with pytest.raises(IrconvError, match="Reshape 'r'"):
        g.op("Reshape", [x.output(0), c.output(0)], {"special_zero": sz}, name="r")


@pytest.mark.parametrize("dtype", [np.float32, np.int8, np.float16, np.bool_, np.int64])
def test_reshape_fold(dtype):
    fold_vs_ov("Reshape", [rand([2, 3, 4], dtype), a(0, -1, 2)], {"special_zero": True})


# ---------------------------------------------------------------------------------------- Squeeze

SQUEEZE_CASES = [
    ([1, 3, 1, 2], None),
    ([1, 3, -1, 2], None),
    ([2, 3, -1], None),
    ([2, 3, 4], None),
    ([1, 3, -1, 2], a(2)),
    ([1, 3, 1, 2], a(1)),
    ([1, 3, 1, 2], a(-2, 0)),
    ([1, 3, 1, 2], a(2, -2)),
    ([1, 3, 1, 2], np.array(0, I64)),
    ([1, 3, 1, 2], a(dtype=I64)),
    ([1], a(0)),
    (None, a(0)),
    ([1, 3, 1, 2], ("i64", [1])),
    ([1, 3, 1, 2], ("i64", [])),
    ([2, 3, 4], ("i64", [1])),
    ([1, 3, 1, 2], ("i64", [2])),
    ([1, 3, 1, 2], ("i64", [-1])),
]


@pytest.mark.parametrize("version", ["opset1", "opset15"])
@pytest.mark.parametrize("shape,axes", SQUEEZE_CASES)
def test_squeeze_infer(shape, axes, version):
    ins = [("f32", shape)] + ([] if axes is None else [axes])
    infer_vs_ov("Squeeze", ins, {}, version=version)


@pytest.mark.parametrize("shape,axes", [([1, 3, -1, 2], a(2)), ([1, 3, 4, 2], a(2)), ([1, 3, 1, 2], a(2, 1)),
                                        ([1, -1, 1], a(0))])
def test_squeeze15_allow_axis_skip(shape, axes):
    infer_vs_ov("Squeeze", [("f32", shape), axes], {"allow_axis_skip": True}, version="opset15")


def test_squeeze_default_version_is_opset1():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [1, 2])
    assert g.op("Squeeze", [x.output(0)]).version == "opset1"


@pytest.mark.parametrize("version", ["opset1", "opset15"])
@pytest.mark.parametrize("axes", [None, a(0, -2), a(1)])
def test_squeeze_fold(version, axes):
    ins = [rand([1, 3, 1, 2])] + ([] if axes is None else [axes])
    fold_vs_ov("Squeeze", ins, {}, version=version)


# -------------------------------------------------------------------------------------- Unsqueeze

@pytest.mark.parametrize("shape,axes", [([3, 4], a(0, -1)), ([3, 4], a(0, 0)), ([3, 4], a(0, -4)),
                                        ([3, 4], np.array(1, I64)), ([-1, 4], a(1, 3)), ([], a(0)),
                                        ([3, 4], ("i64", [2])), ([3, 4], ("i64", [1])), ([3, 4], ("i64", [])),
                                        (None, a(0))])
def test_unsqueeze_infer(shape, axes):
    infer_vs_ov("Unsqueeze", [("f32", shape), axes])


def test_unsqueeze_axis_out_of_range():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [3, 4])
    with pytest.raises(IrconvError, match="Unsqueeze 'u'.*axis 3"):
        g.op("Unsqueeze", [x.output(0), g.constant(a(3)).output(0)], name="u")


def test_unsqueeze_fold():
    fold_vs_ov("Unsqueeze", [rand([3, 4], np.int32), a(-1, 1)])


# ----------------------------------------------------------------------------------------- Concat

@pytest.mark.parametrize("shapes,axis", [([[2, -1, 3], [-1, 4, 3], None], -2), ([None, None], 0),
                                         ([None, [2, 3]], 1), ([[2, 3], [2, 5], [2, 0]], 1),
                                         ([[2, 3], [4, 3]], -2), ([[-1], [3]], 0)])
def test_concat_infer(shapes, axis):
    infer_vs_ov("Concat", [("f32", s) for s in shapes], {"axis": axis})


@pytest.mark.parametrize("shapes,axis", [([[2, 3], [2, 3, 1]], 0), ([[2, 3], [3, 3]], 1), ([[2, 3]], 2)])
def test_concat_errors(shapes, axis):
    g = _core.Graph("t")
    ins = [g.parameter("x%d" % i, "f32", s).output(0) for i, s in enumerate(shapes)]
    with pytest.raises(IrconvError, match="Concat 'c'"):
        g.op("Concat", ins, {"axis": axis}, name="c")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_fold(axis):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    fold_vs_ov("Concat", [rand(s, np.int64) for s in shapes], {"axis": axis}, data=(0, 1, 2))
    fold_vs_ov("Concat", [rand([2, 1], np.float16), rand([2, 3], np.float16)], {"axis": 1}, data=(0, 1))


# ----------------------------------------------------------------------------------- Split family

@pytest.mark.parametrize("shape,axis,num", [([6, -1], np.array(-2, I64), 3), ([6, -1], np.array(1, I64), 3),
                                            ([6, -1, 5], ("i64", []), 3), (None, np.array(0, I64), 2),
                                            ([4, 2], np.array(0, np.int32), 4)])
def test_split_infer(shape, axis, num):
    infer_vs_ov("Split", [("f32", shape), axis], {"num_splits": num})


def test_split_not_divisible():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [5])
    with pytest.raises(IrconvError, match="Split 's'.*num_splits=3"):
        g.op("Split", [x.output(0), g.constant(np.array(0, I64)).output(0)], {"num_splits": 3}, name="s")


def test_split_fold():
    fold_vs_ov("Split", [rand([4, 6, 2]), np.array(1, I64)], {"num_splits": 3})


@pytest.mark.parametrize("shape,axis,lengths", [([6, -1], np.array(0, I64), a(1, -1, 2)),
                                                ([-1, 4], np.array(0, I64), a(1, -1, 2)),
                                                ([-1, 4], np.array(0, I64), a(1, 3, 2)),
                                                ([6, 4], ("i64", []), a(1, 1, 2)),
                                                ([6, 4], np.array(-1, I64), ("i64", [3])),
                                                ([6, 4], np.array(1, I64), a(0, 4)),
                                                (None, np.array(0, I64), a(1, 2))])
def test_variadic_split_infer(shape, axis, lengths):
    infer_vs_ov("VariadicSplit", [("f32", shape), axis, lengths])


def test_variadic_split_fold():
    fold_vs_ov("VariadicSplit", [rand([3, 7], np.int32), np.array(-1, I64), a(2, -1, 0, 1)])


def test_variadic_split_bad_sum():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [6])
    with pytest.raises(IrconvError, match="VariadicSplit 'v'.*sum to 5"):
        g.op("VariadicSplit", [x.output(0), g.constant(np.array(0, I64)).output(0),
                               g.constant(a(2, 3)).output(0)], name="v")


# ------------------------------------------------------------------------------------------ Range

RANGE_CASES = [
    (np.float32(0.5), np.float32(3.0), np.float32(0.7), "f32", True),
    # OpenVINO's evaluate truncates start/stop/step to the integer output type, its CPU kernel
    # fed by Parameters does not: compare with OpenVINO's own folding of the constant graph
    (np.float32(0.5), np.float32(7.9), np.float32(2.7), "i32", "const"),
    (I64(5), I64(0), I64(-2), "i64", True),
    (I64(5), I64(9), I64(-2), "i64", False),  # empty; OpenVINO's CPU kernel gives 2 elements at run time
    (np.int32(-3), np.int32(7), np.int32(3), "f32", True),
    (np.float32(1), np.float32(-2), np.float32(-0.25), "f32", True),
]


@pytest.mark.parametrize("start,stop,step,ot,fold", RANGE_CASES)
def test_range_infer_and_fold(start, stop, step, ot, fold):
    arrays = [np.array(start), np.array(stop), np.array(step)]
    infer_vs_ov("Range", arrays, {"output_type": ot}, version="opset4")
    if fold:
        fold_vs_ov("Range", arrays, {"output_type": ot}, data=() if fold == "const" else (0, 1, 2))


def test_range_unknown_stop():
    assert infer_vs_ov("Range", [np.array(0, I64), ("i64", []), np.array(1, I64)], {"output_type": "i64"}) == \
        ([-1], "i64")


def test_range_zero_step():
    g = _core.Graph("t")
    c = [g.constant(np.array(v, I64)).output(0) for v in (0, 4, 0)]
    with pytest.raises(IrconvError, match="Range 'r'.*step"):
        g.op("Range", c, {"output_type": "i64"}, name="r")


# -------------------------------------------------------------------------------------- Broadcast

BROADCAST_CASES = [
    ([3, 1], a(2, 3, 4), "numpy", None),
    ([-1, 1], a(2, 3, 4), "numpy", None),
    ([3, 1, 4], a(-1, 3, 5, 4), "numpy", None),
    ([3, 1], ("i64", [3]), "numpy", None),
    ([3, 1, 4], ("i64", [2]), "numpy", None),
    ([3, 1], ("i64", [-1]), "numpy", None),
    (None, a(2, 3, 4), "numpy", None),
    ([3, 5], a(2, 1, 1), "bidirectional", None),
    ([-1, 5], a(2, 1, 1), "bidirectional", None),
    ([-1, 5], a(2, 3, 1), "bidirectional", None),
    ([-1, 1], a(2, 4, 3), "bidirectional", None),
    ([3, 1], ("i64", [3]), "bidirectional", None),
    ([3, 1, 4], ("i64", [2]), "bidirectional", None),
    ([3, 1, 4], ("i64", [-1]), "bidirectional", None),
    (None, a(2, 1, 4), "bidirectional", None),
    ([3], a(2, 3, 4), "explicit", a(1)),
    ([3], ("i64", [3]), "explicit", a(1)),
    ([3], a(2, 3, 4), "explicit", ("i64", [1])),
    ([1, 4], a(2, 3, 4), "explicit", a(1, 2)),
    ([3, 4], ("i64", [-1]), "explicit", a(1, 2)),
]


@pytest.mark.parametrize("shape,target,mode,axes", BROADCAST_CASES)
def test_broadcast_infer(shape, target, mode, axes):
    ins = [("f32", shape), target] + ([] if axes is None else [axes])
    infer_vs_ov("Broadcast", ins, {"mode": mode})


@pytest.mark.parametrize("shape,target,mode,axes", [([3, 2], a(2, 3, 4), "numpy", None),
                                                    ([3, 5], a(3, 1), "numpy", None),
                                                    ([3, 5], a(4, 1), "bidirectional", None),
                                                    ([3], a(2, 4, 4), "explicit", a(1)),
                                                    ([3, 4], a(4, 3, 5), "explicit", a(1, 0))])
def test_broadcast_errors(shape, target, mode, axes):
    g = _core.Graph("t")
    ins = [g.parameter("x", "f32", shape).output(0), g.constant(target).output(0)]
    if axes is not None:
        ins.append(g.constant(axes).output(0))
    with pytest.raises(IrconvError, match="Broadcast 'b'"):
        g.op("Broadcast", ins, {"mode": mode}, name="b")


@pytest.mark.parametrize("shape,target,mode,axes", [([3, 1], a(2, 3, 4), "numpy", None),
                                                    ([3, 1, 5], a(2, 1, 4, 1), "bidirectional", None),
                                                    ([3, 1], a(3, 2, 4), "explicit", a(0, 2)),
                                                    ([], a(2, 2), "numpy", None)])
def test_broadcast_fold(shape, target, mode, axes):
    ins = [rand(shape, np.int32), target] + ([] if axes is None else [axes])
    fold_vs_ov("Broadcast", ins, {"mode": mode})


# ------------------------------------------------------------------------------------------- Tile

@pytest.mark.parametrize("shape,reps", [([2, 3], a(2, 1, 2)), ([2, 3, 4], a(2)), ([-1, 3], a(2, 2)),
                                        ([2, 3], ("i64", [3])), ([2, 3, 4], ("i64", [1])),
                                        ([2, 3, 4], ("i64", [-1])), ([2, 0, 4], ("i64", [3])),
                                        ([2, 3], a(0, 3)), (None, a(2, 2))])
def test_tile_infer(shape, reps):
    infer_vs_ov("Tile", [("f32", shape), reps])


@pytest.mark.parametrize("shape,reps", [([2, 3], a(2, 1, 2)), ([2, 3, 4], a(3)), ([2, 3], a(1, 1))])
def test_tile_fold(shape, reps):
    fold_vs_ov("Tile", [rand(shape, np.float32), reps])


# -------------------------------------------------------------------------------------- Transpose

@pytest.mark.parametrize("shape,order", [([2, 3, 4], a(2, 0, 1)), ([2, 3, 4], a(dtype=I64)),
                                         ([2, 3, -1], ("i64", [3])), (None, ("i64", [3])), (None, a(1, 0)),
                                         ([2, -1, 4, 5], a(0, 2, 3, 1)), ([], a(dtype=I64))])
def test_transpose_infer(shape, order):
    infer_vs_ov("Transpose", [("f32", shape), order])


@pytest.mark.parametrize("order", [a(-1, 0, 1), a(0, 0, 1), a(1, 0)])
def test_transpose_bad_order(order):
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2, 3, 4])
    with pytest.raises(IrconvError, match="Transpose 't'.*order"):
        g.op("Transpose", [x.output(0), g.constant(order).output(0)], name="t")


@pytest.mark.parametrize("shape,order", [([2, 3, 4], a(2, 0, 1)), ([2, 3, 4], a(dtype=I64)),
                                         ([2, 3, 4, 5], a(0, 3, 1, 2)), ([5, 7], a(1, 0))])
@pytest.mark.parametrize("dtype", [np.float32, np.int8, np.float16])
def test_transpose_fold(shape, order, dtype):
    fold_vs_ov("Transpose", [rand(shape, dtype), order])


# -------------------------------------------------------------------------------------------- Pad

PAD_INFER = [
    ([2, 3], a(1, -1), a(0, 2), "constant"),
    ([-1, 3], a(1, -1), a(0, 2), "reflect"),
    ([2, 3], a(2, 0), a(0, 0), "symmetric"),
    ([2, 3], ("i64", [2]), a(0, 2), "constant"),
    ([2, 3], a(-3, 0), a(0, 0), "constant"),
    (None, a(1, 2), a(1, 0), "constant"),
    (None, ("i64", [3]), ("i64", [3]), "edge"),
    ([2, 3, 4], a(0, 1, 2), a(1, 1, 1), "edge"),
]


@pytest.mark.parametrize("shape,pb,pe,mode", PAD_INFER)
def test_pad_infer(shape, pb, pe, mode):
    infer_vs_ov("Pad", [("f32", shape), pb, pe], {"pad_mode": mode})


@pytest.mark.parametrize("shape,pb,pe,mode", [([2, 3], a(2, 0), a(0, 0), "reflect"),
                                              ([2, 3], a(3, 0), a(0, 0), "symmetric"),
                                              ([2, 3], a(1), a(1), "constant")])
def test_pad_errors(shape, pb, pe, mode):
    g = _core.Graph("t")
    ins = [g.parameter("x", "f32", shape).output(0), g.constant(pb).output(0), g.constant(pe).output(0)]
    with pytest.raises(IrconvError, match="Pad 'p'"):
        g.op("Pad", ins, {"pad_mode": mode}, name="p")


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("pb,pe", [(a(1, 2, 0), a(2, 0, 3)), (a(-1, 1, 2), a(1, -2, 0)), (a(0, 0, 0), a(0, 0, 0))])
def test_pad_fold(mode, pb, pe):
    fold_vs_ov("Pad", [rand([3, 4, 5], np.float32), pb, pe], {"pad_mode": mode})


def test_pad_fold_value():
    fold_vs_ov("Pad", [rand([2, 3], np.int32), a(1, 2), a(2, 1), np.array(7, np.int32)], {"pad_mode": "constant"})


# ------------------------------------------------------------------------ DepthToSpace/SpaceToDepth

@pytest.mark.parametrize("shape", [[1, 8, 2, 3], [1, -1, 2, 3], [2, 16, 2, 3, 1], None, [1, 4, 3]])
@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
def test_depth_to_space_infer(shape, mode):
    infer_vs_ov("DepthToSpace", [("f32", shape)], {"mode": mode, "block_size": 2})


@pytest.mark.parametrize("shape", [[1, 2, 4, 6], [1, 2, -1, 6], [2, 1, 2, 4, 2], None, [1, 3, 4]])
@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
def test_space_to_depth_infer(shape, mode):
    infer_vs_ov("SpaceToDepth", [("f32", shape)], {"mode": mode, "block_size": 2})


@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
@pytest.mark.parametrize("shape", [[2, 8, 2, 3], [1, 16, 2, 3, 2], [1, 6, 5]])
def test_depth_to_space_fold(mode, shape):
    bs = 2 if shape[1] % (2 ** (len(shape) - 2)) == 0 else 3
    if len(shape) == 3:
        bs = 3 if shape[1] % 3 == 0 else 2
    fold_vs_ov("DepthToSpace", [rand(shape)], {"mode": mode, "block_size": bs})


@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
@pytest.mark.parametrize("shape", [[2, 3, 4, 6], [1, 2, 2, 4, 6], [1, 2, 9]])
def test_space_to_depth_fold(mode, shape):
    bs = 3 if len(shape) == 3 else 2
    fold_vs_ov("SpaceToDepth", [rand(shape)], {"mode": mode, "block_size": bs})


def test_depth_to_space_bad_channels():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [1, 6, 2, 3])
    with pytest.raises(IrconvError, match="DepthToSpace 'd'.*multiple"):
        g.op("DepthToSpace", [x.output(0)], {"mode": "blocks_first", "block_size": 2}, name="d")


# ------------------------------------------------------------------- shape sub-graphs (no folding)

def _shape_chain(g, x):
    """Reshape(x, Concat(Gather(ShapeOf(x), [0]), [-1]))  (x.view(x.size(0), -1))."""
    s = g.op("ShapeOf", [x.output(0)], name="shape")
    gi = g.op("Gather", [s.output(0), g.constant(a(0)).output(0), g.constant(np.array(0, I64)).output(0)],
              name="gather")
    c = g.op("Concat", [gi.output(0), g.constant(a(-1)).output(0)], {"axis": 0}, name="concat")
    return g.op("Reshape", [x.output(0), c.output(0)], {"special_zero": False}, name="reshape")


def test_shape_chain_static_without_folding_shapeof():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2, 3, 4])
    r = _shape_chain(g, x)
    assert r.output(0).shape == [2, 12]
    g.result(r.output(0), name="out")
    g.run_pass("ConstantFolding")
    g.run_passes()
    types = [n.type for n in g.topo_order()]
    assert "ShapeOf" in types and "Reshape" in types
    assert g.results[0].inputs[0].shape == [2, 12]
    # the IR stays reshapeable: OpenVINO recomputes the target for another input shape
    m = read_ir(g)
    assert ov_shape(m.outputs[0]) == [2, 12]
    m.reshape({m.inputs[0]: [5, 3, 2]})
    assert ov_shape(m.outputs[0]) == [5, 6]
    data = rand([2, 3, 4])
    np.testing.assert_array_equal(run_ir(g, {"x": data})[0], data.reshape(2, 12))


def test_shape_chain_dynamic_batch_matches_openvino():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [-1, 3, 4])
    r = _shape_chain(g, x)
    g.result(r.output(0), name="out")
    assert r.output(0).shape == ov_shape(read_ir(g).outputs[0]) == [-1, -1]


def test_partial_values_through_shape_subgraph():
    """Static dims of a dynamic-batch tensor reach the Reshape target through ShapeOf -> Gather ->
    Multiply -> Concat, as OpenVINO's bounds evaluation makes them do."""
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [-1, 3, 4, 5])
    s = g.op("ShapeOf", [x.output(0)])
    ax = g.constant(np.array(0, I64)).output(0)
    b = g.op("Gather", [s.output(0), g.constant(a(0)).output(0), ax])
    hw = g.op("Gather", [s.output(0), g.constant(a(2, 3)).output(0), ax])
    assert hw.output(0).value() is None  # not a known value: only partially derived
    tail = g.op("Slice", [s.output(0), g.constant(a(1)).output(0), g.constant(a(MAX)).output(0),
                          g.constant(a(1)).output(0)])
    c = g.op("Concat", [b.output(0), tail.output(0)], {"axis": 0})
    r = g.op("Reshape", [x.output(0), c.output(0)], {"special_zero": False})
    assert r.output(0).shape == [-1, 3, 4, 5]
    t = g.op("Transpose", [x.output(0), g.constant(a(0, 2, 3, 1)).output(0)])
    s2 = g.op("ShapeOf", [t.output(0)])
    hw2 = g.op("Gather", [s2.output(0), g.constant(a(1, 2)).output(0), ax])
    # Reshape target [0, H*W, C] written as Concat(batch, Mul(h, w), c)
    h = g.op("Gather", [s2.output(0), g.constant(a(1)).output(0), ax])
    w = g.op("Gather", [s2.output(0), g.constant(a(2)).output(0), ax])
    hw_mul = g.op("Multiply", [h.output(0), w.output(0)], {"auto_broadcast": "numpy"})
    cc = g.op("Gather", [s2.output(0), g.constant(a(3)).output(0), ax])
    tgt = g.op("Concat", [g.constant(a(0)).output(0), hw_mul.output(0), cc.output(0)], {"axis": 0})
    r2 = g.op("Reshape", [t.output(0), tgt.output(0)], {"special_zero": True})
    assert r2.output(0).shape == [-1, 20, 3]
    g.result(r.output(0), name="o1")
    g.result(r2.output(0), name="o2")
    g.result(hw2.output(0), name="o3")
    m = read_ir(g)
    assert [ov_shape(p) for p in m.outputs[:2]] == [r.output(0).shape, r2.output(0).shape]
    data = rand([2, 3, 4, 5])
    res = run_ir(g, {"x": data})
    np.testing.assert_array_equal(res[1], data.transpose(0, 2, 3, 1).reshape(2, 20, 3))


def test_broadcast_target_from_shape_subgraph():
    """ONNX Expand pattern: Broadcast(x, Concat(ShapeOf(y)[0], [1, 4])) keeps the static dims."""
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [1, 1, 4])
    y = g.parameter("y", "f32", [-1, 7])
    s = g.op("ShapeOf", [y.output(0)])
    b0 = g.op("Gather", [s.output(0), g.constant(a(0)).output(0), g.constant(np.array(0, I64)).output(0)])
    tgt = g.op("Concat", [b0.output(0), g.constant(a(3, 4)).output(0)], {"axis": 0})
    br = g.op("Broadcast", [x.output(0), tgt.output(0)], {"mode": "bidirectional"})
    g.result(br.output(0), name="out")
    assert br.output(0).shape == ov_shape(read_ir(g).outputs[0]) == [-1, 3, 4]


def test_shape_subgraph_through_convert_and_i32():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [-1, 3, 4])
    s = g.op("ShapeOf", [x.output(0)], {"output_type": "i32"})
    s64 = g.op("Convert", [s.output(0)], {"destination_type": "i64"})
    tail = g.op("Gather", [s64.output(0), g.constant(a(1, 2)).output(0), g.constant(np.array(0, I64)).output(0)])
    tgt = g.op("Concat", [g.constant(a(-1)).output(0), tail.output(0)], {"axis": 0})
    r = g.op("Reshape", [x.output(0), tgt.output(0)], {"special_zero": False})
    g.result(r.output(0), name="out")
    assert r.output(0).shape == ov_shape(read_ir(g).outputs[0]) == [-1, 3, 4]


def test_partial_value_look_through_is_bounded():
    """A shape sub-graph reaching one node many ways is looked through once per node."""
    import time
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [-1, 3])
    s = g.op("ShapeOf", [x.output(0)])
    ax = g.constant(np.array(0, I64)).output(0)
    v = g.op("Gather", [s.output(0), g.constant(a(1)).output(0), ax])
    for _ in range(24):  # 2^24 paths, 24 nodes
        v = g.op("Maximum", [v.output(0), v.output(0)], {"auto_broadcast": "numpy"})
    one = g.op("Divide", [v.output(0), v.output(0)], {"auto_broadcast": "numpy"})
    b = g.op("Gather", [s.output(0), g.constant(a(0)).output(0), ax])
    t0 = time.time()
    r = g.op("Reshape", [x.output(0), g.op("Concat", [b.output(0), one.output(0), v.output(0)], {"axis": 0}).output(0)],
             {"special_zero": False})
    assert time.time() - t0 < 1.0
    assert r.output(0).shape == [-1, 1, 3]
