"""Identity, Dropout, Constant, Softmax/LogSoftmax/Hardmax, TopK, CumSum, NonZero, OneHot,
Einsum, EyeLike, Trilu, window functions."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import ET_TO_NP, RawConst, StringConst, et_of_onnx
from ..registry import onnx_op
from .shape import flatten_to_2d


@onnx_op("Identity")
def identity(ctx, node):
    return node.input_required(0)


def _all_true_like(ctx, x):
    return ctx.op1("Broadcast", [ctx.const(np.array(True)), ctx.shape_of(x)], {"mode": "numpy"}, version="opset3")


@onnx_op("Dropout", until=11)
def dropout(ctx, node):
    # inference: output = input; mask (if used) = all true
    x = node.input_required(0)
    return [x, _all_true_like(ctx, x) if node.output_used(1) else None]


@onnx_op("Dropout", since=12)
def dropout_12(ctx, node):
    """Dropout with inputs ratio and training_mode: when training, y = mask * x / (1 - ratio) with
    mask = u >= ratio for uniform u in [0, 1). With a seed and a static shape, u is the stream of
    numpy's RandomState(seed) (ONNX's reference), fixed at conversion time (rounded down to f32 so
    that the comparison with an f32 ratio is exact); otherwise OpenVINO's RandomUniform draws it."""
    x, ratio, training = node.input_required(0), node.input(1), node.input(2)
    tv = ctx.value(training) if training is not None else np.array(False)
    rv = ctx.value(ratio) if ratio is not None else np.array(0.5)
    if (tv is not None and not bool(np.asarray(tv).reshape(-1)[0])) or \
            (rv is not None and float(np.asarray(rv).reshape(-1)[0]) == 0.0):
        return [x, _all_true_like(ctx, x) if node.output_used(1) else None]
    et = ctx.et(x)
    r = ctx.convert(ctx.to_scalar(ratio), "f32") if ratio is not None else ctx.const(np.float32(0.5))
    seed = node.attr("seed")
    xs = ctx.static_shape(x)
    if seed is not None and xs is not None:
        u = np.random.RandomState(seed).uniform(0, 1.0, xs)
        u32 = u.astype(np.float32)
        u32 = np.where(u32.astype(np.float64) > u, np.nextafter(u32, np.float32(-1)), u32)   # round down
        u = ctx.const(np.ascontiguousarray(u32, np.float32))
    else:
        u = ctx.op1("RandomUniform", [ctx.shape_of(x), ctx.const(np.float32(0)), ctx.const(np.float32(1))],
                    {"output_type": "f32", "global_seed": int(seed or 0), "op_seed": 0}, version="opset8")
    keep = ctx.binary("LessEqual", r, u)                               # u >= ratio
    one = ctx.const(np.float32(1))
    scale = ctx.convert(ctx.binary("Divide", one, ctx.binary("Subtract", one, r)), et)
    y = ctx.binary("Multiply", ctx.binary("Multiply", ctx.convert(keep, et), x), scale)
    if tv is None:           # training_mode known only at run time
        t = ctx.convert(ctx.to_scalar(training), "boolean")
        y = ctx.op1("Select", [t, y, x], {"auto_broadcast": "numpy"})
        keep = ctx.binary("LogicalOr", keep, ctx.op1("LogicalNot", [t]))
    return [y, keep if node.output_used(1) else None]


@onnx_op("Constant")
def constant(ctx, node):
    name = node.outputs[0] if node.outputs else node.name
    for key in ("value", "sparse_value"):
        if node.has_attr(key):
            v = node.attr(key)
            return ctx.make_const(v, name)
    if node.has_attr("value_float"):
        return ctx.make_const(np.array(node.attr("value_float"), np.float32), name)
    if node.has_attr("value_floats"):
        return ctx.make_const(np.array(node.attr("value_floats"), np.float32), name)
    if node.has_attr("value_int"):
        return ctx.make_const(np.array(node.attr("value_int"), np.int64), name)
    if node.has_attr("value_ints"):
        return ctx.make_const(np.array(node.attr("value_ints"), np.int64), name)
    if node.has_attr("value_string"):
        return ctx.make_const(StringConst([node.attr("value_string")], []), name)
    if node.has_attr("value_strings"):
        s = node.attr("value_strings")
        return ctx.make_const(StringConst(s, [len(s)]), name)
    raise IrconvError("%s: no value attribute" % node.describe())


# ---------------------------------------------------------------- Softmax family
def _coerced_2d(ctx, node, x, fn):
    """Opset < 13 Softmax/LogSoftmax/Hardmax: the input is seen as 2-D
    [prod(d[:axis]), prod(d[axis:])] and normalised along the second dim."""
    axis = node.attr("axis", 1)
    r = ctx.rank(x)
    if r is not None:
        axis = ctx.norm_axis(axis, r) if r > 0 else 0
        if axis == r - 1:
            return fn(x, r - 1)
    elif axis < 0:
        raise IrconvError("%s: negative axis with an input of unknown rank" % node.describe())
    flat = flatten_to_2d(ctx, x, axis)
    y = fn(flat, 1)
    s = ctx.static_shape(x)
    return ctx.reshape(y, s if s is not None else ctx.shape_of(x))


def _softmax(ctx, x, axis):
    return ctx.op1("SoftMax", [x], {"axis": axis}, version="opset8")


def _log_softmax(ctx, x, axis):
    return ctx.op1("LogSoftmax", [x], {"axis": axis}, version="opset5")


def _hardmax(ctx, x, axis):
    r = ctx.rank(x)
    if axis < 0:
        axis = ctx.norm_axis(axis, r)
    topk = ctx.op("TopK", [x, ctx.const(np.array(1, np.int64))],
                  {"axis": axis, "mode": "max", "sort": "value", "index_element_type": "i64",
                   "stable": True}, version="opset11")
    idx = ctx.squeeze(topk.output(1), [axis])
    depth = ctx.to_scalar(ctx.gather(ctx.shape_of(x), [axis]))
    return ctx.op1("OneHot", [idx, depth, ctx.const(1, x), ctx.const(0, x)], {"axis": axis})


def _softmax_like(fn):
    def old(ctx, node):
        return _coerced_2d(ctx, node, node.input_required(0), lambda t, a: fn(ctx, t, a))

    def new(ctx, node):
        return fn(ctx, node.input_required(0), node.attr("axis", -1))
    return old, new


for _name, _fn in (("Softmax", _softmax), ("LogSoftmax", _log_softmax), ("Hardmax", _hardmax)):
    _old, _new = _softmax_like(_fn)
    onnx_op(_name, until=12)(_old)
    onnx_op(_name, since=13)(_new)


# ---------------------------------------------------------------- TopK / CumSum / NonZero / OneHot
@onnx_op("TopK")
def topk(ctx, node):
    x = node.input_required(0)
    if ctx.opset < 10:
        k = ctx.const(np.array(node.attr_required("k"), np.int64))
    else:
        k = ctx.to_scalar(ctx.convert(node.input_required(1), "i64"))
    largest = node.attr("largest", 1)
    n = ctx.op("TopK", [x, k], {"axis": node.attr("axis", -1), "mode": "max" if largest else "min",
                                "sort": "value", "index_element_type": "i64", "stable": True},
               version="opset11")
    return [n.output(0), n.output(1)]


@onnx_op("CumSum", since=11)
def cumsum(ctx, node):
    x, axis = node.input_required(0), ctx.to_scalar(node.input_required(1))
    return ctx.op1("CumSum", [x, axis], {"exclusive": bool(node.attr("exclusive", 0)),
                                         "reverse": bool(node.attr("reverse", 0))})


@onnx_op("NonZero", since=9)
def non_zero(ctx, node):
    return ctx.op1("NonZero", [node.input_required(0)], {"output_type": "i64"}, version="opset3")


@onnx_op("OneHot", since=9)
def one_hot(ctx, node):
    idx, depth, values = node.input_required(0), node.input_required(1), node.input_required(2)
    idx = ctx.convert(idx, "i64")
    dv = ctx.value(depth)
    if dv is not None:
        depth = ctx.const(np.array(int(dv.reshape(-1)[0]), np.int64))
    else:
        depth = ctx.to_scalar(ctx.convert(depth, "i64"))
    # negative indices count from the end (opset 11)
    neg = ctx.binary("Less", idx, ctx.const(np.array(0, np.int64)))
    idx = ctx.op1("Select", [neg, ctx.binary("Add", idx, depth), idx], {"auto_broadcast": "numpy"})
    vv = ctx.value(values)
    if vv is not None:
        off, on = ctx.const(vv.reshape(-1)[0]), ctx.const(vv.reshape(-1)[1])
    else:
        off = ctx.to_scalar(ctx.gather(values, [0]))
        on = ctx.to_scalar(ctx.gather(values, [1]))
    return ctx.op1("OneHot", [idx, depth, on, off], {"axis": node.attr("axis", -1)})


@onnx_op("Einsum", since=12)
def einsum(ctx, node):
    ins = [node.input(i) for i in range(len(node.inputs)) if node.has_input(i)]
    eq = node.attr_required("equation").replace(" ", "")
    return ctx.op1("Einsum", ins, {"equation": eq}, version="opset7")


# ---------------------------------------------------------------- EyeLike / Trilu
def _range_1d(ctx, n):
    return ctx.op1("Range", [ctx.const(np.array(0, np.int64)), n, ctx.const(np.array(1, np.int64))],
                   {"output_type": "i64"}, version="opset4")


@onnx_op("EyeLike", since=9)
def eye_like(ctx, node):
    x = node.input_required(0)
    k = node.attr("k", 0)
    dt = node.attr("dtype")
    et = et_of_onnx(dt, node.describe()) if dt is not None else ctx.et(x)
    s = ctx.static_shape(x)
    if s is not None and et in ET_TO_NP:
        return ctx.const(np.eye(s[0], s[1], k, dtype=ET_TO_NP[et]))
    sh = ctx.shape_of(x)
    rows = _range_1d(ctx, ctx.to_scalar(ctx.gather(sh, [0])))
    cols = _range_1d(ctx, ctx.to_scalar(ctx.gather(sh, [1])))
    diag = ctx.binary("Equal", ctx.binary("Add", ctx.unsqueeze(rows, [1]), ctx.i64(k)), ctx.unsqueeze(cols, [0]))
    return ctx.op1("Convert", [diag], {"destination_type": et})


@onnx_op("Trilu", since=14)
def trilu(ctx, node):
    x = node.input_required(0)
    k = node.input(1)
    k = ctx.const(np.array(0, np.int64)) if k is None else ctx.to_scalar(ctx.convert(k, "i64"))
    upper = node.attr("upper", 1)
    sh = ctx.shape_of(x)
    rows = _range_1d(ctx, ctx.to_scalar(ctx.gather(sh, [-2])))
    cols = _range_1d(ctx, ctx.to_scalar(ctx.gather(sh, [-1])))
    diff = ctx.binary("Subtract", ctx.unsqueeze(cols, [0]), ctx.unsqueeze(rows, [1]))  # j - i
    mask = ctx.binary("GreaterEqual" if upper else "LessEqual", diff, k)
    return ctx.op1("Select", [mask, x, ctx.const(0, x)], {"auto_broadcast": "numpy"})


# ---------------------------------------------------------------- window functions (constant size)
def _window(coeffs):
    # w[n] = sum_m (-1)^m a_m cos(2 pi m n / N'), N' = size (periodic) or size - 1 (symmetric)
    def translate(ctx, node):
        size = node.input_required(0)
        periodic = node.attr("periodic", 1)
        et = et_of_onnx(node.attr("output_datatype", 1), node.describe())
        n = ctx.to_scalar(ctx.convert(size, "i64"))
        idx = ctx.convert(_range_1d(ctx, n), "f32")
        denom = ctx.convert(n, "f32") if periodic else ctx.binary("Subtract", ctx.convert(n, "f32"),
                                                                  ctx.const(np.float32(1)))
        phase = ctx.binary("Divide", ctx.binary("Multiply", idx, ctx.const(np.float32(2 * np.pi))), denom)
        w = ctx.const(np.float32(coeffs[0]))
        for m, a in enumerate(coeffs[1:], start=1):
            term = ctx.op1("Cos", [ctx.binary("Multiply", phase, ctx.const(np.float32(m)))])
            w = ctx.binary("Add" if m % 2 == 0 else "Subtract", w,
                           ctx.binary("Multiply", term, ctx.const(np.float32(a))))
        return ctx.convert(w, et)
    return translate


onnx_op("HannWindow", since=17)(_window([0.5, 0.5]))
onnx_op("HammingWindow", since=17)(_window([25.0 / 46.0, 21.0 / 46.0]))
onnx_op("BlackmanWindow", since=17)(_window([0.42, 0.5, 0.08]))

__all__ = ["RawConst"]
