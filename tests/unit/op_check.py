"""Shared checks of op schemas against OpenVINO: inferred shapes/types must equal what OpenVINO
infers for the saved IR; folded values must equal what OpenVINO computes on the unfolded IR."""
import numpy as np

from irconv import _core
from helpers import ov_shape, read_ir, run_ir

I64 = np.int64
MAX = np.iinfo(np.int64).max
MIN = np.iinfo(np.int64).min
RNG = np.random.default_rng(7)
ET = {np.dtype(k): v for k, v in [("float32", "f32"), ("float16", "f16"), ("float64", "f64"), ("int8", "i8"),
                                  ("int16", "i16"), ("int32", "i32"), ("int64", "i64"), ("uint8", "u8"),
                                  ("uint16", "u16"), ("uint32", "u32"), ("uint64", "u64"), ("bool", "boolean")]}


def a(*v, dtype=I64):
    return np.array(v, dtype)


def _inputs(g, inputs, params=()):
    """numpy arrays become Consts (Parameters where their index is in `params`); (type, shape)
    tuples become Parameters. Returns (outputs, feeds)."""
    ins, feeds = [], {}
    for i, x in enumerate(inputs):
        if isinstance(x, np.ndarray):
            x = np.array(x, order="C")
            if i in params:
                p = g.parameter("p%d" % i, ET[x.dtype], list(x.shape))
                feeds["p%d" % i] = x
                ins.append(p.output(0))
            else:
                ins.append(g.constant(x, name="c%d" % i).output(0))
        else:
            ins.append(g.parameter("p%d" % i, x[0], x[1]).output(0))
    return ins, feeds


def infer_vs_ov(type_, inputs, attrs=None, version=""):
    """Every output's (shape, element type) of our inference equals OpenVINO's for the saved IR."""
    g = _core.Graph("infer")
    ins, _ = _inputs(g, inputs)
    n = g.op(type_, ins, attrs or {}, name="op", version=version)
    ours = []
    for i in range(n.num_outputs):
        ours.append((n.output(i).shape, n.output(i).element_type))
        g.result(n.output(i), name="out%d" % i)
    m = read_ir(g)
    theirs = [(ov_shape(p), p.get_element_type().get_type_name()) for p in m.outputs]
    assert ours == theirs, "%s %s: irconv %s vs OpenVINO %s" % (type_, attrs, ours, theirs)
    return ours[0] if len(ours) == 1 else ours


def fold_vs_ov(type_, arrays, attrs=None, data=(0,), version=""):
    """Folds the op over Const inputs and compares every output with OpenVINO running the unfolded
    op, the inputs listed in `data` fed as Parameters."""
    g = _core.Graph("fold")
    ins, _ = _inputs(g, arrays)
    n = g.op(type_, ins, attrs or {}, name="op", version=version)
    nout = n.num_outputs
    known = [n.output(i).value() for i in range(nout)]
    for i in range(nout):
        g.result(n.output(i), name="out%d" % i)
    g.run_pass("ConstantFolding")
    got = []
    for r in g.results:
        src = r.inputs[0]
        assert src.node.type == "Const", "%s was not folded" % type_
        got.append(src.value())

    ref = _core.Graph("ref")
    rins, feeds = _inputs(ref, arrays, params=data)
    rn = ref.op(type_, rins, attrs or {}, name="op", version=version)
    for i in range(nout):
        ref.result(rn.output(i), name="out%d" % i)
    res = run_ir(ref, feeds)
    for i in range(nout):
        exp = np.asarray(res[i])
        assert known[i] is not None and np.array_equal(known[i], got[i])
        assert got[i].shape == exp.shape and got[i].dtype == exp.dtype, \
            "%s output %d: %s %s vs OpenVINO %s %s" % (type_, i, got[i].shape, got[i].dtype, exp.shape, exp.dtype)
        np.testing.assert_array_equal(got[i], exp, err_msg="%s output %d" % (type_, i))
    return got[0] if nout == 1 else got


def rand(shape, dtype=np.float32):
    if np.dtype(dtype).kind == "f":
        return RNG.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return RNG.integers(0, 2, shape).astype(bool)
    return RNG.integers(-50, 50, shape).astype(dtype)
