"""Reduction ops (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogicalAnd/LogicalOr) and CumSum.

Inferred shapes/types must equal OpenVINO's for the saved IR (known and unknown axes, keep_dims,
dynamic dims and rank); folded values must equal what OpenVINO computes for the unfolded IR."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import ov_shape, read_ir, run_ir

RNG = np.random.default_rng(11)

NUMERIC = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2"]
LOGICAL = ["ReduceLogicalAnd", "ReduceLogicalOr"]


def _inputs(g, inputs):
    ins = []
    for i, x in enumerate(inputs):
        if isinstance(x, np.ndarray):
            ins.append(g.constant(np.array(x, order="C"), name="c%d" % i).output(0))
        else:
            ins.append(g.parameter("p%d" % i, x[0], x[1]).output(0))
    return ins


def infer_vs_ov(type_, inputs, attrs=None):
    """inputs: (element type, shape) Parameters or numpy arrays (Consts)."""
    g = _core.Graph("infer")
    n = g.op(type_, _inputs(g, inputs), attrs or {}, name="op")
    ours = (n.output(0).shape, n.output(0).element_type)
    g.result(n.output(0), name="out")
    p = read_ir(g).outputs[0]
    theirs = (ov_shape(p), p.get_element_type().get_type_name())
    assert ours == theirs, "%s %s: irconv %s vs OpenVINO %s" % (type_, attrs, ours, theirs)
    return ours


def fold_vs_ov(type_, arrays, attrs=None, rtol=1e-5, atol=1e-5):
    g = _core.Graph("fold")
    n = g.op(type_, _inputs(g, arrays), attrs or {}, name="op")
    known = n.output(0).value()
    g.result(n.output(0), name="out")
    expected = np.asarray(run_ir(g)[0])
    g.run_pass("ConstantFolding")
    src = g.results[0].inputs[0]
    assert src.node.type == "Const", "%s was not folded" % type_
    got = src.value()
    assert known is not None and np.array_equal(known, got, equal_nan=True)
    assert got.shape == expected.shape and got.dtype == expected.dtype, \
        "%s: %s %s vs OpenVINO %s %s" % (type_, got.shape, got.dtype, expected.shape, expected.dtype)
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=type_)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=type_)
    return got


def axes(*v, dtype=np.int64):
    return np.array(v, dtype)


# ----------------------------------------------------------------------------------------------
# shape / type inference

def test_registered_versions():
    reg = set(_core.registered_ops())
    for t in NUMERIC[:5] + LOGICAL:
        assert (t, "opset1") in reg
    assert ("ReduceL1", "opset4") in reg and ("ReduceL2", "opset4") in reg and ("CumSum", "opset3") in reg


# An empty Const must be written with one byte (the reader refuses size="0").
EMPTY_AXES = pytest.param(axes(), id="empty")
AXES_CASES = [pytest.param(axes(1), id="1"), pytest.param(axes(-1, 0), id="-1,0"), EMPTY_AXES,
              pytest.param(np.array(2, np.int64), id="scalar"), pytest.param(axes(1, 1), id="dup"),
              pytest.param(axes(0, dtype=np.int32), id="i32")]


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("ax", AXES_CASES)
@pytest.mark.parametrize("op", NUMERIC)
def test_known_axes(op, ax, keep):
    infer_vs_ov(op, [("f32", [2, -1, 4]), ax], {"keep_dims": keep})


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("axes_shape", [[1], [2], [], [-1], None])
def test_unknown_axes(axes_shape, keep):
    infer_vs_ov("ReduceSum", [("f32", [2, 3, 4]), ("i64", axes_shape)], {"keep_dims": keep})
    infer_vs_ov("ReduceMax", [("i32", None), ("i64", axes_shape)], {"keep_dims": keep})


@pytest.mark.parametrize("keep", [False, True])
def test_dynamic_rank_and_logical(keep):
    infer_vs_ov("ReduceMean", [("f16", None), axes(1)], {"keep_dims": keep})
    for op in LOGICAL:
        infer_vs_ov(op, [("boolean", [-1, 3]), axes(-1)], {"keep_dims": keep})
    if not keep:  # OpenVINO's own shape inference crashes on a scalar with keep_dims=true
        infer_vs_ov("ReduceProd", [("i64", []), axes(0)], {"keep_dims": keep})


def test_cumsum_shapes():
    assert infer_vs_ov("CumSum", [("f32", [2, -1, 3]), np.array(1, np.int64)]) == ([2, -1, 3], "f32")
    assert infer_vs_ov("CumSum", [("i32", None), ("i32", [])], {"reverse": True}) == (None, "i32")
    g = _core.Graph("g")
    with pytest.raises(IrconvError, match="cs1"):  # OpenVINO cannot read a one-input CumSum
        g.op("CumSum", [g.parameter("x", "f32", [5]).output(0)], {}, name="cs1")


def test_errors():
    g = _core.Graph("e")
    f = g.parameter("f", "f32", [2, 3]).output(0)
    b = g.parameter("b", "boolean", [2, 3]).output(0)
    c = lambda a: g.constant(a).output(0)  # noqa: E731
    cases = [
        ("ReduceSum", [f, c(axes(2))]),                      # axis out of range
        ("ReduceSum", [f, c(axes(-3))]),
        ("ReduceMean", [f, c(np.array([1.0], np.float32))]),  # axes not integer
        ("ReduceMax", [f, c(np.array([[1]], np.int64))]),      # axes not 0-D/1-D
        ("ReduceLogicalAnd", [f, c(axes(0))]),                # logical on f32
        ("ReduceSum", [b, c(axes(0))]),                       # numeric on boolean
        ("CumSum", [f, c(np.array(1.0, np.float32))]),       # axis not integer
    ]
    for k, (op, ins) in enumerate(cases):
        with pytest.raises(IrconvError, match="case%d" % k):
            g.op(op, ins, {}, name="case%d" % k)


# ----------------------------------------------------------------------------------------------
# eval kernels vs OpenVINO

@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("ax", [axes(1), axes(0, 2), axes(-1), axes(), np.array(0, np.int32)],
                         ids=["1", "0,2", "-1", "empty", "scalar"])
@pytest.mark.parametrize("op", NUMERIC)
def test_fold_float(op, ax, keep):
    x = RNG.uniform(-2, 2, (2, 3, 4)).astype(np.float32)
    if op == "ReduceProd":
        x = RNG.uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    fold_vs_ov(op, [x, ax], {"keep_dims": keep})


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1"])
def test_fold_int(op):
    x = RNG.integers(-9, 10, (3, 4)).astype(np.int32)
    fold_vs_ov(op, [x, axes(1)])
    fold_vs_ov(op, [x.astype(np.uint8) % 7, axes(0)], {"keep_dims": True})


def test_fold_logical_and_empty():
    x = np.array([[True, False, True], [True, True, True]])
    for op in LOGICAL:
        fold_vs_ov(op, [x, axes(1)], {"keep_dims": True})
        fold_vs_ov(op, [x, axes(0, 1)])
    e = np.zeros((0, 3), np.float32)
    for op in ["ReduceSum", "ReduceProd", "ReduceMax", "ReduceMean"]:
        fold_vs_ov(op, [e, axes(0)])
    fold_vs_ov("ReduceMin", [np.zeros((0, 3), np.int32), axes(0)])


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_fold_cumsum(exclusive, reverse):
    attrs = {"exclusive": exclusive, "reverse": reverse}
    fold_vs_ov("CumSum", [RNG.uniform(-2, 2, (2, 3, 4)).astype(np.float32), np.array(1, np.int64)], attrs)
    fold_vs_ov("CumSum", [RNG.uniform(-2, 2, (2, 3, 4)).astype(np.float32), np.array(-1, np.int32)], attrs)
    # integers: OpenVINO folds no integer CumSum, so numpy is the oracle
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    g = _core.Graph("cs")
    n = g.op("CumSum", [g.constant(x).output(0), g.constant(np.array(0, np.int64)).output(0)], attrs, name="cs")
    ref = x[::-1] if reverse else x
    ref = np.cumsum(ref, axis=0) - (ref if exclusive else 0)
    ref = ref[::-1] if reverse else ref
    assert n.output(0).value().tolist() == ref.tolist()


def test_known_value_feeds_shape_inference():
    # axes computed by a foldable sub-graph (Add of two Consts) are seen through as known values
    g = _core.Graph("kv")
    p = g.parameter("x", "f32", [2, -1, 4]).output(0)
    a = g.op("Add", [g.constant(axes(1)).output(0), g.constant(axes(1)).output(0)], {}, name="ax")
    r = g.op("ReduceSum", [p, a.output(0)], {"keep_dims": False}, name="rs")
    assert r.output(0).shape == [2, -1]
