"""Ops whose ONNX semantics OpenVINO's kernels do not give directly (edge values, run-time
attributes-as-inputs, bit-level casts), checked against ONNX's own reference evaluator."""
import numpy as np
import pytest
from onnx import TensorProto as T
from onnx.reference import ReferenceEvaluator

from helpers import run_ir
from onnx_fe_util import helper, make_model, to_graph

R = np.random.RandomState(11)


def _model(op, inputs, attrs=None, opset=28, out_type=None, out_shape=None, n_out=1, domain=""):
    """One node; inputs: {name: array} (graph inputs)."""
    outs = ["y"] if n_out == 1 else ["y%d" % i for i in range(n_out)]
    node = helper.make_node(op, list(inputs), outs, domain=domain, **(attrs or {}))
    ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
           for n, a in inputs.items()]
    if out_type is not None:
        outputs = [helper.make_tensor_value_info(outs[0], out_type, out_shape)]
    else:
        outputs = [helper.make_empty_tensor_value_info(o) for o in outs]
    g = helper.make_graph([node], "t", ins, outputs)
    opsets = [helper.make_opsetid("", opset)]
    if domain:
        opsets.append(helper.make_opsetid(domain, 1))
    m = helper.make_model(g, opset_imports=opsets)
    m.ir_version = 11
    return m


def _run(model, feeds, tmp_path):
    got = run_ir(to_graph(model, tmp_path), feeds)
    ref = ReferenceEvaluator(model).run(None, feeds)
    return got, ref


def _same(got, ref, exact=False):
    got = np.asarray(got)
    assert got.shape == ref.shape
    if exact or ref.dtype.kind in "biu":
        np.testing.assert_array_equal(got, ref)
    else:
        np.testing.assert_allclose(got.astype(np.float64), ref.astype(np.float64), rtol=1e-5, atol=1e-6,
                                   equal_nan=True)


# ---------------------------------------------------------------- shape ops with run-time inputs
def test_tile_runtime_repeats(tmp_path):
    x = R.rand(2, 3, 4).astype(np.float32)
    reps = np.array([3, 1, 2], np.int64)
    got, ref = _run(_model("Tile", {"x": x, "r": reps}, opset=13), {"x": x, "r": reps}, tmp_path)
    _same(got["y"], ref[0], exact=True)


@pytest.mark.parametrize("axes", [[0], [-1], [1, 3], [4, 0, 2]])
def test_unsqueeze_runtime_axes(axes, tmp_path):
    x = R.rand(3, 4).astype(np.float32) if len(axes) < 3 else R.rand(2, 5).astype(np.float32)
    a = np.array(axes, np.int64)
    model = _model("Unsqueeze", {"x": x, "axes": a}, opset=13)
    g = to_graph(model, tmp_path)
    assert len(g.results[0].inputs[0].shape) == x.ndim + len(axes)   # static rank for the CPU plugin
    _same(run_ir(g, {"x": x, "axes": a})["y"], ReferenceEvaluator(model).run(None, {"x": x, "axes": a})[0],
          exact=True)


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceLogSum", "ReduceMax", "ReduceLogSumExp", "ReduceL2"])
@pytest.mark.parametrize("axes", [[2, 0], [-1], [0, 1, 2]])
def test_reduce_runtime_axes_no_keepdims(op, axes, tmp_path):
    x = R.rand(3, 4, 5).astype(np.float32) + 0.5
    a = np.array(axes, np.int64)
    model = _model(op, {"x": x, "axes": a}, {"keepdims": 0}, opset=18)
    g = to_graph(model, tmp_path)
    assert g.results[0].inputs[0].shape is not None
    got = run_ir(g, {"x": x, "axes": a})
    _same(got["y"], ReferenceEvaluator(model).run(None, {"x": x, "axes": a})[0])


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin"])
def test_reduce_max_min_empty_set(op, tmp_path):
    x = np.zeros((2, 0, 4), np.float32)
    a = np.array([1], np.int64)
    got, ref = _run(_model(op, {"x": x, "axes": a}, {"keepdims": 1}, opset=18), {"x": x, "axes": a}, tmp_path)
    _same(got["y"], ref[0])
    assert np.isinf(got["y"]).all()


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin"])
def test_reduce_max_min_rows_of_infinities(op, tmp_path):
    # a row of -inf has max -inf (the CPU kernel alone gives -FLT_MAX); likewise +inf for min
    inf = -np.inf if op == "ReduceMax" else np.inf
    x = np.array([[inf, inf, inf], [1, inf, 2], [-inf, inf, 0], [np.finfo(np.float32).min, inf, inf]], np.float32)
    a = np.array([1], np.int64)
    got, ref = _run(_model(op, {"x": x, "axes": a}, {"keepdims": 0}, opset=18), {"x": x, "axes": a}, tmp_path)
    _same(got["y"], ref[0], exact=True)


@pytest.mark.parametrize("pads", [[0, 1, 0, 2], [1, 3, 2, 4], [0, 0, -1, 1]])
@pytest.mark.parametrize("runtime", [False, True])
def test_wrap_pad(pads, runtime, tmp_path):
    x = R.rand(3, 4).astype(np.float32)
    p = np.array(pads, np.int64)
    if runtime:
        model = _model("Pad", {"x": x, "pads": p}, {"mode": "wrap"}, opset=19)
        feeds = {"x": x, "pads": p}
    else:
        model = make_model([helper.make_node("Pad", ["x", "pads"], ["y"], mode="wrap")], {"x": x}, ["y"],
                           {"pads": p}, opset=19)
        feeds = {"x": x}
    if any(v < 0 for v in pads):   # a negative end pad crops
        ref = np.pad(x[:-1], [(0, 0), (0, 1)], mode="wrap")
    else:
        ref = np.pad(x, [(pads[0], pads[2]), (pads[1], pads[3])], mode="wrap")
    _same(run_ir(to_graph(model, tmp_path), feeds)["y"], ref, exact=True)


# ---------------------------------------------------------------- elementwise edge values
@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int64])
def test_bitshift_out_of_range(direction, dtype, tmp_path):
    bits = np.iinfo(dtype).bits
    x = np.array([-8, 4, -1, 7, 100, 1], dtype=np.int64).astype(dtype)
    s = np.array([-1, bits, bits + 5, 3, bits - 1, 0], dtype=np.int64)
    if np.iinfo(dtype).min == 0:
        s = np.abs(s)
    s = s.astype(dtype)
    got, ref = _run(_model("BitShift", {"x": x, "s": s}, {"direction": direction}, opset=11),
                    {"x": x, "s": s}, tmp_path)
    _same(got["y"], ref[0], exact=True)


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_mod_float_edge_values(fmod, dtype, tmp_path):
    a = np.array([0, -0.0, 0, -0.0, -3, 3, -1, 1, np.inf, -np.inf, 1, 1, np.nan, 1, 5.5, -5.5, 7, -7], dtype)
    b = np.array([-2, 2, 2, -2, np.inf, np.inf, -np.inf, -np.inf, 2, 2, 0, -0.0, 2, np.nan, -2, 2, 2.5, 2.5],
                 dtype)
    got, ref = _run(_model("Mod", {"a": a, "b": b}, {"fmod": fmod}, opset=13), {"a": a, "b": b}, tmp_path)
    _same(got["y"], ref[0])
    np.testing.assert_array_equal(np.signbit(got["y"]), np.signbit(ref[0]))   # signed zeros too


# ---------------------------------------------------------------- Cast to narrow floats
F8_VALUES = np.array([0.47892547, -0.48033667, 0.5, 1e6, -1e6, 1e-7, -1e-7, np.nan, np.inf, -np.inf, 460, 470,
                      500, 57344, 60000, 61440, 0.0, -0.0, 17.5, 240, 248], np.float32)


def _bits(a):
    return np.ascontiguousarray(np.asarray(a)).view(np.uint8)


@pytest.mark.parametrize("to", [T.FLOAT8E4M3FN, T.FLOAT8E5M2])
@pytest.mark.parametrize("saturate", [0, 1])
@pytest.mark.parametrize("src", [np.float32, np.float16])
def test_cast_float8_saturate(to, saturate, src, tmp_path):
    with np.errstate(over="ignore"):
        x = F8_VALUES.astype(src)
    model = _model("Cast", {"x": x}, {"to": to, "saturate": saturate}, opset=21)
    got, ref = _run(model, {"x": x}, tmp_path)
    g, r = _bits(got["y"]), _bits(ref[0])
    nan = np.isnan(ref[0].astype(np.float32))
    assert np.isnan(np.asarray(got["y"]).view(ref[0].dtype).astype(np.float32))[nan].all()
    np.testing.assert_array_equal(g[~nan], r[~nan])


@pytest.mark.parametrize("mode", ["up", "down", "nearest"])
@pytest.mark.parametrize("saturate", [0, 1])
def test_cast_float8e8m0_round_modes(mode, saturate, tmp_path):
    x = np.array([0, 0.124, 0.25, 0.5, 1.1, 1.4, 1.5, 1.6, 2, 3, 3.5, 4, 8, 1000, 3e38, 2 ** 127, 1.7e38,
                  np.inf, np.nan, 2 ** -126, 1.5 * 2 ** -126], np.float32)
    # (no subnormal inputs: the CPU plugin flushes them to zero)
    model = _model("Cast", {"x": x}, {"to": T.FLOAT8E8M0, "saturate": saturate, "round_mode": mode}, opset=24)
    got, ref = _run(model, {"x": x}, tmp_path)
    np.testing.assert_array_equal(_bits(got["y"]), _bits(ref[0]))


def test_cast_float4e2m1(tmp_path):
    x = np.array([0.48, 0.25, 1.05, -3.5, -8, 9, 1e6, 1e-7, np.inf, -np.inf, -4, 0.01, -0.0, 2.5, 0.75, 5,
                  np.nan], np.float32)
    model = _model("Cast", {"x": x}, {"to": T.FLOAT4E2M1}, opset=23)
    got = np.asarray(run_ir(to_graph(model, tmp_path), {"x": x})["y"]).view(np.uint8).reshape(-1)
    codes = np.stack([got & 15, got >> 4], axis=1).reshape(-1)[:x.size]
    import ml_dtypes
    want = x.astype(ml_dtypes.float4_e2m1fn).view(np.uint8) & 15
    # NaN: ONNX's float4 conversion table (docs/technical/float4.md) gives 6, ml_dtypes -0
    want[-1] = 0x7
    np.testing.assert_array_equal(codes, want)


# ---------------------------------------------------------------- BitCast
def _bitcast_values(dtype):
    if np.dtype(dtype).kind == "f":
        f = np.concatenate([R.randn(300) * 10.0 ** R.randint(-40, 38, 300),
                            [0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3.4e38, 1.1754944e-38, 1, -2.5]])
        with np.errstate(over="ignore"):
            return f.astype(np.float32).astype(dtype)
    info = np.iinfo(dtype)
    v = R.randint(info.min, info.max, 300, dtype=np.int64 if info.bits < 64 else dtype)
    return np.concatenate([v, [info.min, info.max, 0, 1]]).astype(dtype)


@pytest.mark.parametrize("src,to", [(np.float32, T.INT32), (np.float32, T.UINT32), (np.int32, T.FLOAT),
                                    (np.uint32, T.FLOAT), (np.float16, T.INT16), (np.float16, T.UINT16),
                                    (np.int16, T.FLOAT16), (np.uint16, T.FLOAT16), (np.int8, T.UINT8),
                                    (np.uint32, T.INT32), (np.bool_, T.UINT8)])
def test_bitcast(src, to, tmp_path):
    x = _bitcast_values(src) if src is not np.bool_ else np.array([True, False, True])
    model = _model("BitCast", {"x": x}, {"to": to}, opset=26)
    got = np.asarray(run_ir(to_graph(model, tmp_path), {"x": x})["y"])
    ref = ReferenceEvaluator(model).run(None, {"x": x})[0]
    assert got.dtype == ref.dtype and got.shape == ref.shape
    if ref.dtype.kind == "f":
        nan = np.isnan(ref)
        assert np.isnan(got[nan]).all()
        np.testing.assert_array_equal(got[~nan].view(np.uint8), ref[~nan].view(np.uint8))
    else:
        np.testing.assert_array_equal(got[~np.isnan(x.astype(np.float64))], ref[~np.isnan(x.astype(np.float64))])


# ---------------------------------------------------------------- pooling indices
@pytest.mark.parametrize("shape,kernel", [((1, 2, 5, 5), [2, 2]), ((2, 1, 4, 3, 5), [2, 2, 2])])
def test_maxpool_indices_column_major(shape, kernel, tmp_path):
    x = R.permutation(int(np.prod(shape))).astype(np.float32).reshape(shape)
    nd = len(kernel)
    model = make_model([helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=kernel, strides=[2] * nd,
                                         storage_order=1)], {"x": x}, ["y", "i"], opset=12)
    got, ref = _run(model, {"x": x}, tmp_path)
    _same(got["y"], ref[0], exact=True)
    _same(got["i"], ref[1], exact=True)


# ---------------------------------------------------------------- 2-bit unsigned integers
def _u2_codes(a):
    a = np.asarray(a).view(np.uint8).reshape(-1)
    return np.stack([(a >> (2 * k)) & 3 for k in range(4)], axis=1).reshape(-1)


def test_cast_to_and_from_uint2(tmp_path):
    import ml_dtypes
    from onnx import numpy_helper
    x = np.array([-3, -2, -1, 0, 1, 2, 3, 5.7], np.float32)
    model = make_model([helper.make_node("Cast", ["x"], ["q"], to=T.UINT2),
                        helper.make_node("Cast", ["q"], ["y"], to=T.FLOAT)], {"x": x}, ["q", "y"], opset=25)
    got = run_ir(to_graph(model, tmp_path), {"x": x})
    want = x.astype(np.int64).astype(ml_dtypes.uint2)            # the low two bits
    np.testing.assert_array_equal(_u2_codes(got["q"])[:x.size], want.astype(np.uint8))
    np.testing.assert_array_equal(got["y"], want.astype(np.float32))
    # a uint2 initializer feeding DequantizeLinear
    q = np.array([0, 1, 2, 3, 3], ml_dtypes.uint2)
    model = make_model([helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])], {}, ["y"], opset=25)
    model.graph.initializer.extend([numpy_helper.from_array(q, "q"), numpy_helper.from_array(np.float32(0.5), "s"),
                                    numpy_helper.from_array(np.array(1, ml_dtypes.uint2), "z")])
    np.testing.assert_array_equal(run_ir(to_graph(model, tmp_path), {})["y"], (np.array([0, 1, 2, 3, 3]) - 1) * 0.5)


def test_quantize_float4e2m1_saturates(tmp_path):
    import ml_dtypes
    from onnx import numpy_helper
    x = np.array([0, 2.5, 4.8, 8.6, -30, -20, 6, 9, -0.0, -2.5, -4.8, -8.6], np.float32).reshape(3, 4)
    s = np.array([2, 3, 4], np.float32)
    model = make_model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], axis=0)], {"x": x, "s": s}, ["y"],
                       opset=25)
    model.graph.initializer.append(numpy_helper.from_array(np.zeros(3, ml_dtypes.float4_e2m1fn), "z"))
    got = np.asarray(run_ir(to_graph(model, tmp_path), {"x": x, "s": s})["y"]).view(np.uint8).reshape(-1)
    codes = np.stack([got & 15, got >> 4], axis=1).reshape(-1)[:x.size]
    want = np.clip(x / s[:, None], -6, 6).astype(ml_dtypes.float4_e2m1fn).view(np.uint8).reshape(-1) & 15
    np.testing.assert_array_equal(codes, want)
