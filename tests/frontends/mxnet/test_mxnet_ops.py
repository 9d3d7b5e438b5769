"""MXNet op translators against numpy references of MXNet's maths, on hand-made symbol JSON +
.params, converted by irconv and run on the OpenVINO CPU runtime (f32)."""
import math

import numpy as np
import pytest

import mx_ref
from irconv.errors import IrconvError
from mx_files import SymBuilder, convert, run_model

R = np.random.RandomState(7)


def rnd(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, size=shape).astype(np.float32)


def single(op, x, weights=None, n_inputs=1, extra_vars=(), **attrs):
    """op(data, *weights) -> its output for input x."""
    b = SymBuilder()
    ins = [b.var("data")]
    arrays = {}
    for k, v in (weights or {}).items():
        ins.append(b.var(k))
        arrays["arg:" + k] = v
    y = b.op(op, "y", ins, **attrs)
    return run_model(b.to_json([y]), arrays, {"data": x})["y_output"]


def close(got, want, rtol=1e-4, atol=1e-5):
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- Reshape and friends

@pytest.mark.parametrize("in_shape,shape,reverse,out_shape", [
    ((2, 3, 4), (0, -1), False, (2, 12)),
    ((2, 3, 4), (-2,), False, (2, 3, 4)),
    ((2, 3, 4), (-3, 4), False, (6, 4)),
    ((2, 3, 4), (0, -4, 1, -1, 0), False, (2, 1, 3, 4)),
    ((2, 3, 4, 5), (-4, 1, 2, -2), False, (1, 2, 3, 4, 5)),
    ((2, 6, 4), (0, -4, -1, 2, -2), False, (2, 3, 2, 4)),
    ((2, 3, 4), (-1, 0), True, (6, 4)),
    ((2, 3, 4), (4, -1), False, (4, 6)),
    ((2, 3, 4), (-3, -2), False, (6, 4)),
    ((2, 3, 4, 5), (0, 0, -1), False, (2, 3, 20)),
    ((2, 3, 4, 5), (-1, 0, 0), True, (6, 4, 5)),
])
def test_reshape_codes(in_shape, shape, reverse, out_shape):
    x = rnd(*in_shape)
    got = single("Reshape", x, shape=shape, reverse=reverse)
    close(got, x.reshape(out_shape))


@pytest.mark.parametrize("shape,reverse", [((0, -1), False), ((-3, -2), False), ((0, -4, -1, 2, -2), False),
                                           ((-1, 0), True), ((0, 0, -1), False)])
def test_reshape_codes_with_a_dynamic_batch(shape, reverse):
    x = rnd(3, 6, 4)
    b = SymBuilder()
    y = b.op("Reshape", "y", [b.var("data")], shape=shape, reverse=reverse)
    want = single("Reshape", x, shape=shape, reverse=reverse)       # static shapes
    got = run_model(b.to_json([y]), {}, {"data": x}, input="data[?,6,4]")["y_output"]
    close(got, want)


def test_reshape_legacy_target_shape():
    x = rnd(2, 3, 4)
    close(single("Reshape", x, target_shape=(0, 4)), x.reshape(6, 4))
    close(single("Reshape", x, target_shape=(9, 0, 3), keep_highest=True), x.reshape(2, 4, 3))


def test_reshape_errors():
    b = SymBuilder()
    y = b.op("Reshape", "y", [b.var("data")], shape=(-1, -1))
    with pytest.raises(IrconvError, match="more than one"):
        convert(b.to_json([y]), {}, input="data[2,3]")


def test_transpose_default_and_swapaxis():
    x = rnd(2, 3, 4)
    close(single("transpose", x), x.transpose())
    close(single("transpose", x, axes=(1, 0, 2)), x.transpose(1, 0, 2))
    close(single("SwapAxis", x, dim1=0, dim2=2), np.swapaxes(x, 0, 2))
    close(single("SwapAxis", x, dim2=1), np.swapaxes(x, 0, 1))


def test_flatten_expand_squeeze():
    x = rnd(2, 3, 1, 4)
    close(single("Flatten", x), x.reshape(2, -1))
    close(single("expand_dims", x, axis=-1), x[..., None])
    close(single("squeeze", x), x.reshape(2, 3, 4))
    close(single("squeeze", x, axis=2), x.reshape(2, 3, 4))


def test_slices():
    x = rnd(4, 5, 6)
    close(single("slice", x, begin=(1, None, 0), end=(3, None, -1)), x[1:3, :, 0:-1])
    close(single("slice", x, begin=(None, 4), end=(None, 0), step=(1, -2)), x[:, 4:0:-2])
    close(single("slice", x, begin=(None, None, None), end=(None, None, None), step=(-1, 1, 2)), x[::-1, :, ::2])
    close(single("slice_axis", x, axis=-1, begin=2, end=None), x[..., 2:])
    close(single("slice_axis", x, axis=1, begin=1, end=-1), x[:, 1:-1])


def test_concat_stack_split():
    x = rnd(2, 6, 3)
    b = SymBuilder()
    d = b.var("data")
    s = b.op("SliceChannel", "s", [d], num_outputs=3, axis=1)
    c = b.op("Concat", "c", [(s[0], 2), (s[0], 0)], dim=1, num_args=2)
    st = b.op("stack", "st", [(s[0], 1), (s[0], 2)], axis=-1, num_args=2)
    sq = b.op("split", "sq", [d], num_outputs=6, axis=1, squeeze_axis=True)
    got = run_model(b.to_json([c, st, (sq[0], 5), (s[0], 1)]), {}, {"data": x})
    close(got["c_output"], np.concatenate([x[:, 4:6], x[:, 0:2]], axis=1))
    close(got["st_output"], np.stack([x[:, 2:4], x[:, 4:6]], axis=-1))
    close(got["sq_output5"], x[:, 5])
    close(got["s_output1"], x[:, 2:4])


def test_tile_repeat_broadcast():
    x = rnd(2, 1, 3)
    close(single("tile", x, reps=(2, 2)), np.tile(x, (2, 2)))
    close(single("repeat", x, repeats=2, axis=2), np.repeat(x, 2, axis=2))
    close(single("repeat", x, repeats=3), np.repeat(x, 3))
    close(single("broadcast_to", x, shape=(0, 4, 0)), np.broadcast_to(x, (2, 4, 3)))
    close(single("broadcast_axis", x, axis=1, size=5), np.broadcast_to(x, (2, 5, 3)))


def test_pad_modes():
    x = rnd(1, 2, 4, 5)
    pw = (0, 0, 0, 0, 1, 2, 3, 0)
    npw = ((0, 0), (0, 0), (1, 2), (3, 0))
    close(single("Pad", x, mode="constant", pad_width=pw, constant_value=1.5), np.pad(x, npw, constant_values=1.5))
    close(single("Pad", x, mode="edge", pad_width=pw), np.pad(x, npw, mode="edge"))
    close(single("Pad", x, mode="reflect", pad_width=pw), np.pad(x, npw, mode="reflect"))


def test_crop():
    x = rnd(1, 2, 8, 9)
    close(single("Crop", x, num_args=1, offset=(1, 2), h_w=(4, 5)), x[:, :, 1:5, 2:7])
    close(single("Crop", x, num_args=1, h_w=(4, 5), center_crop=True), x[:, :, 2:6, 2:7])
    b = SymBuilder()
    d = b.var("data")
    like = b.op("Pooling", "p", [d], kernel=(2, 2), stride=(2, 2), pool_type="max")
    y = b.op("Crop", "y", [d, like], num_args=2, offset=(2, 3))
    close(run_model(b.to_json([y]), {}, {"data": x})["y_output"], x[:, :, 2:6, 3:7])


# ---------------------------------------------------------------- element-wise

UNARY = {
    "abs": (np.abs, None), "sqrt": (np.sqrt, (0.1, 3)), "square": (np.square, None), "log": (np.log, (0.1, 3)),
    "tanh": (np.tanh, None), "exp": (np.exp, None), "arcsin": (np.arcsin, (-0.9, 0.9)),
    "arccos": (np.arccos, (-0.9, 0.9)), "arctan": (np.arctan, None), "arcsinh": (np.arcsinh, None),
    "arccosh": (np.arccosh, (1.1, 4)), "arctanh": (np.arctanh, (-0.9, 0.9)), "sinh": (np.sinh, None),
    "cosh": (np.cosh, None), "sin": (np.sin, None), "cos": (np.cos, None), "tan": (np.tan, (-1, 1)),
    "sign": (np.sign, None), "ceil": (np.ceil, None), "floor": (np.floor, None),
    "round": (lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5), None), "rint": (np.rint, None),
    "fix": (np.fix, None), "trunc": (np.trunc, None), "rsqrt": (lambda v: 1 / np.sqrt(v), (0.1, 3)),
    "cbrt": (np.cbrt, None), "rcbrt": (lambda v: 1 / np.cbrt(v), (0.2, 3)), "expm1": (np.expm1, None),
    "log1p": (np.log1p, (-0.5, 3)), "log2": (np.log2, (0.1, 3)), "log10": (np.log10, (0.1, 3)),
    "reciprocal": (lambda v: 1 / v, (0.2, 3)), "negative": (np.negative, None), "degrees": (np.degrees, None),
    "radians": (np.radians, None), "sigmoid": (mx_ref.sigmoid, None), "relu": (lambda v: np.maximum(v, 0), None),
    "softsign": (lambda v: v / (1 + np.abs(v)), None), "erf": (mx_ref.erf, None),
    "logical_not": (lambda v: (v == 0).astype(np.float32), None),
}


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op):
    fn, rng = UNARY[op]
    x = rnd(2, 3, 4, lo=rng[0], hi=rng[1]) if rng else rnd(2, 3, 4)
    if op in ("round", "rint", "fix", "trunc"):
        x = np.concatenate([x.ravel(), [0.5, -0.5, 1.5, -2.5, 2.5]]).astype(np.float32)
    if op == "logical_not":
        x = np.round(x)
    close(single(op, x), fn(x).astype(np.float32))


SCALAR = {
    "_plus_scalar": lambda v, s: v + s, "_minus_scalar": lambda v, s: v - s, "_rminus_scalar": lambda v, s: s - v,
    "_mul_scalar": lambda v, s: v * s, "_div_scalar": lambda v, s: v / s, "_rdiv_scalar": lambda v, s: s / v,
    "_power_scalar": lambda v, s: np.abs(v) ** s, "_rpower_scalar": lambda v, s: s ** v,
    "_maximum_scalar": np.maximum, "_minimum_scalar": np.minimum, "_mod_scalar": np.mod,
    "_rmod_scalar": lambda v, s: np.mod(s, v), "_greater_scalar": lambda v, s: (v > s).astype(np.float32),
    "_lesser_equal_scalar": lambda v, s: (v <= s).astype(np.float32),
    "_equal_scalar": lambda v, s: (v == s).astype(np.float32),
}


@pytest.mark.parametrize("op", sorted(SCALAR))
def test_scalar_ops(op):
    x = rnd(2, 5, lo=0.5, hi=3)
    if op == "_power_scalar":
        x = np.abs(x)
    if op == "_equal_scalar":
        x[0, 0] = 1.5
    close(single(op, x, scalar=1.5), SCALAR[op](x, np.float32(1.5)).astype(np.float32))


BINARY = {
    "broadcast_add": np.add, "broadcast_sub": np.subtract, "broadcast_mul": np.multiply, "broadcast_div": np.divide,
    "broadcast_maximum": np.maximum, "broadcast_minimum": np.minimum, "broadcast_power": lambda a, b: np.abs(a) ** b,
    "broadcast_mod": np.mod, "broadcast_greater": lambda a, b: (a > b).astype(np.float32),
    "broadcast_lesser": lambda a, b: (a < b).astype(np.float32),
    "broadcast_not_equal": lambda a, b: (a != b).astype(np.float32),
    "broadcast_logical_and": lambda a, b: ((a != 0) & (b != 0)).astype(np.float32),
    "broadcast_logical_or": lambda a, b: ((a != 0) | (b != 0)).astype(np.float32),
}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_broadcast(op):
    x = rnd(2, 3, 4, lo=0.5, hi=3)
    w = rnd(1, 3, 1, lo=0.5, hi=3)
    if "logical" in op:
        x, w = np.round(x - 1.5), np.round(w - 1.5)
    if op == "broadcast_power":
        x = np.abs(x)
    close(single(op, x, {"w": w}), BINARY[op](x, w).astype(np.float32))


def test_elemwise_add_n_where_clip_fills():
    x = rnd(2, 3)
    b = SymBuilder()
    d = b.var("data")
    ones = b.op("_ones", "ones", [], shape=(1, 3))
    full = b.op("_full", "full", [], shape=(2, 1), value=2.5)
    s = b.op("add_n", "s", [d, ones, (b.op("elemwise_mul", "m", [d, d])[0], 0)], num_args=3)
    s = b.op("broadcast_add", "s2", [s, full])
    cond = b.op("broadcast_greater", "g", [d, b.op("zeros_like", "z", [d])])
    wh = b.op("where", "wh", [cond, d, b.op("clip", "cl", [d], a_min=-0.5, a_max=0.5)])
    got = run_model(b.to_json([s, wh]), {}, {"data": x})
    close(got["s2_output"], x + 1 + x * x + 2.5)
    close(got["wh_output"], np.where(x > 0, x, np.clip(x, -0.5, 0.5)))


def test_activations():
    x = rnd(2, 4, 3)
    close(single("Activation", x, act_type="softrelu"), np.log1p(np.exp(x)))
    close(single("Activation", x, act_type="softsign"), x / (1 + np.abs(x)))
    close(single("Activation", x, act_type="log_sigmoid"), np.log(mx_ref.sigmoid(x)))
    close(single("LeakyReLU", x), np.where(x > 0, x, 0.25 * x))
    close(single("LeakyReLU", x, act_type="elu"), np.where(x > 0, x, 0.25 * np.expm1(x)))
    close(single("LeakyReLU", x, act_type="selu"),
          1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)))
    close(single("LeakyReLU", x, act_type="gelu"), 0.5 * x * (1 + mx_ref.erf(x / np.float32(math.sqrt(2)))))
    close(single("LeakyReLU", x, act_type="rrelu"), np.where(x > 0, x, (0.125 + 0.334) / 2 * x))
    g = rnd(4)
    close(single("LeakyReLU", x, {"gamma": g}, act_type="prelu"), np.where(x > 0, x, g[None, :, None] * x))
    close(single("hard_sigmoid", x), np.clip(0.2 * x + 0.5, 0, 1))


# ---------------------------------------------------------------- reductions

@pytest.mark.parametrize("op,fn", [("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min),
                                   ("prod", np.prod)])
def test_reductions(op, fn):
    x = rnd(2, 3, 4, lo=0.5, hi=1.5)
    close(single(op, x), np.asarray(fn(x)).reshape(()) if False else fn(x).reshape(()), rtol=1e-4)
    close(single(op, x, axis=(0, 2), keepdims=True), fn(x, axis=(0, 2), keepdims=True))
    close(single(op, x, axis=1, exclude=True), fn(x, axis=(0, 2)))
    close(single(op, x, axis=-1), fn(x, axis=-1))


def test_norm_argmax():
    x = rnd(2, 3, 4)
    close(single("norm", x, axis=1), np.sqrt((x * x).sum(axis=1)))
    close(single("norm", x, ord=1, axis=(1, 2), keepdims=True), np.abs(x).sum(axis=(1, 2), keepdims=True))
    close(single("argmax", x, axis=1), x.argmax(axis=1).astype(np.float32))
    close(single("argmin", x, axis=-1, keepdims=True), x.argmin(axis=-1)[..., None].astype(np.float32))
    close(single("argmax", x), np.asarray([x.argmax()], np.float32).reshape(()))


# ---------------------------------------------------------------- softmax

def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_family_on_3d():
    x = rnd(2, 3, 4)
    close(single("softmax", x), _softmax(x, -1))
    close(single("softmax", x, axis=1, temperature=2.0), _softmax(x / 2, 1))
    close(single("log_softmax", x, axis=1), np.log(_softmax(x, 1)), atol=1e-5)
    close(single("SoftmaxActivation", x), _softmax(x, -1))
    close(single("SoftmaxActivation", x, mode="channel"), _softmax(x, 1))
    b = SymBuilder()
    y = b.op("SoftmaxOutput", "y", [b.var("data"), b.var("label")])
    got = run_model(b.to_json([y]), {}, {"data": x})["y_output"]
    close(got, _softmax(x.reshape(2, -1), 1).reshape(x.shape))
    close(single("SoftmaxOutput", x, multi_output=True), _softmax(x, 1))
    close(single("SoftmaxOutput", x, preserve_shape=True), _softmax(x, -1))


def test_softmax_output_label_is_not_an_input():
    b = SymBuilder()
    y = b.op("SoftmaxOutput", "y", [b.var("data"), b.var("softmax_label")])
    m = convert(b.to_json([y]), {}, input_shape="[2,5]")
    assert [i["names"] for i in m.inputs] == [["data"]]


# ---------------------------------------------------------------- normalization

@pytest.mark.parametrize("mode,axes", [("instance", (1, 2, 3)), ("channel", (1,)), ("spatial", (2, 3))])
def test_l2_normalization(mode, axes):
    x = rnd(2, 3, 4, 5)
    want = x / np.sqrt((x * x).sum(axis=axes, keepdims=True) + 1e-10)
    close(single("L2Normalization", x, mode=mode), want)
    if mode == "instance":
        close(single("L2Normalization", x), want)


def test_batchnorm_defaults_fix_gamma_true():
    x = rnd(2, 3, 4, 4)
    w = {"gamma": rnd(3), "beta": rnd(3), "mean": rnd(3), "var": rnd(3, lo=0.5, hi=2)}

    def model(**attrs):
        b = SymBuilder()
        ins = [b.var("data")] + [b.var(k) for k in w]
        y = b.op("BatchNorm", "bn", ins, **attrs)
        arrays = {("aux:" if k in ("mean", "var") else "arg:") + k: v for k, v in w.items()}
        return run_model(b.to_json([y]), arrays, {"data": x})["bn_output"]
    sh = (1, 3, 1, 1)
    norm = (x - w["mean"].reshape(sh)) / np.sqrt(w["var"].reshape(sh) + 1e-3)
    close(model(), norm + w["beta"].reshape(sh))                               # gamma ignored, eps 1e-3
    close(model(fix_gamma=False), norm * w["gamma"].reshape(sh) + w["beta"].reshape(sh))
    x2 = rnd(2, 4, 3)
    x = x2
    w2 = w
    b = SymBuilder()
    ins = [b.var("data")] + [b.var(k) for k in w2]
    y = b.op("BatchNorm", "bn", ins, axis=-1, fix_gamma=False, eps=1e-5)
    arrays = {("aux:" if k in ("mean", "var") else "arg:") + k: v for k, v in w2.items()}
    got = run_model(b.to_json([y]), arrays, {"data": x2})["bn_output"]
    close(got, (x2 - w2["mean"]) / np.sqrt(w2["var"] + 1e-5) * w2["gamma"] + w2["beta"])


def test_instance_and_layer_norm():
    x = rnd(2, 3, 4, 5)
    g, bta = rnd(3), rnd(3)
    m = x.mean(axis=(2, 3), keepdims=True)
    v = x.var(axis=(2, 3), keepdims=True)
    want = (x - m) / np.sqrt(v + 1e-3) * g.reshape(1, 3, 1, 1) + bta.reshape(1, 3, 1, 1)
    close(single("InstanceNorm", x, {"gamma": g, "beta": bta}), want)
    g5, b5 = rnd(5), rnd(5)
    m = x.mean(axis=-1, keepdims=True)
    v = x.var(axis=-1, keepdims=True)
    close(single("LayerNorm", x, {"gamma": g5, "beta": b5}), (x - m) / np.sqrt(v + 1e-5) * g5 + b5)


def test_lrn():
    x = rnd(1, 6, 3, 3)
    n, alpha, beta, knorm = 3, 1e-2, 0.75, 2.0
    sq = np.pad(x * x, ((0, 0), (1, 1), (0, 0), (0, 0)))
    s = sum(sq[:, i:i + 6] for i in range(3))
    close(single("LRN", x, nsize=n, alpha=alpha), x / (knorm + alpha / n * s) ** beta)


# ---------------------------------------------------------------- convolution, pooling

def _conv_ref(x, w, stride, pad, dilate, group):
    import numpy.lib.stride_tricks as st  # noqa: F401
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dilate[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dilate[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), np.float64)
    og = o // group
    for g in range(group):
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + dilate[0] * (kh - 1) + 1:dilate[0],
                           j * stride[1]:j * stride[1] + dilate[1] * (kw - 1) + 1:dilate[1]]
                out[:, g * og:(g + 1) * og, i, j] = np.tensordot(patch, w[g * og:(g + 1) * og], ([1, 2, 3], [1, 2, 3]))
    return out.astype(np.float32)


def test_convolution_group_stride_no_bias():
    x = rnd(1, 4, 7, 6)
    w = rnd(6, 2, 3, 2)
    got = single("Convolution", x, {"w": w}, kernel=(3, 2), num_filter=6, num_group=2, stride=(2, 1), pad=(1, 0),
                 no_bias=True)
    close(got, _conv_ref(x, w, (2, 1), (1, 0), (1, 1), 2), atol=1e-4)
    bias = rnd(6)
    got = single("Convolution", x, {"w": w, "b": bias}, kernel=(3, 2), num_filter=6, num_group=2, dilate=(2, 2))
    close(got, _conv_ref(x, w, (1, 1), (0, 0), (2, 2), 2) + bias.reshape(1, 6, 1, 1), atol=1e-4)


def test_convolution_1d():
    x = rnd(2, 3, 9)
    w = rnd(4, 3, 3)
    got = single("Convolution", x, {"w": w}, kernel=(3,), num_filter=4, no_bias=True, stride=(2,))
    want = _conv_ref(x[:, :, None, :], w[:, :, None, :], (1, 2), (0, 0), (1, 1), 1)[:, :, 0]
    close(got, want, atol=1e-4)


@pytest.mark.parametrize("case", [
    dict(stride=(2, 2), pad=(1, 1)),
    dict(stride=(2, 2), pad=(0, 0), adj=(1, 1)),
    dict(stride=(2, 2), pad=(1, 1), adj=(1, 0)),
    dict(stride=(2, 3), target_shape=(9, 13)),
    dict(stride=(2, 2), target_shape=(8, 10)),
    dict(stride=(1, 1), pad=(1, 1), num_group=2),
    dict(stride=(2, 2), pad=(0, 0), dilate=(2, 1)),
])
def test_deconvolution(case):
    x = rnd(1, 4, 4, 5)
    group = case.get("num_group", 1)
    w = rnd(4, 3, 3, 3)
    attrs = dict(kernel=(3, 3), num_filter=3 * group, **case)
    want = mx_ref.deconv(x, w, case["stride"], case.get("pad", (0, 0)), case.get("adj"), case.get("dilate"),
                         group, case.get("target_shape"))
    close(single("Deconvolution", x, {"w": w}, **attrs), want, atol=1e-4)          # no_bias default: True
    bias = rnd(3 * group)
    close(single("Deconvolution", x, {"w": w, "b": bias}, no_bias=False, **attrs),
          want + bias.reshape(1, -1, 1, 1), atol=1e-4)


def test_deconvolution_default_ignores_a_stored_bias():
    x = rnd(1, 2, 3, 3)
    w = rnd(2, 2, 2, 2)
    got = single("Deconvolution", x, {"w": w, "b": rnd(2)}, kernel=(2, 2), num_filter=2)
    close(got, mx_ref.deconv(x, w, (1, 1), (0, 0)), atol=1e-4)


@pytest.mark.parametrize("size,k,s,p,full", [(7, 3, 2, 1, True), (8, 3, 2, 1, True), (6, 2, 2, 0, True),
                                              (9, 3, 3, 1, False), (5, 3, 2, 0, True), (10, 4, 3, 1, True),
                                              (11, 4, 3, 2, True)])
@pytest.mark.parametrize("kind,include", [("max", True), ("avg", True), ("avg", False), ("sum", True)])
def test_pooling(size, k, s, p, full, kind, include):
    x = rnd(1, 2, size, size + 1)
    attrs = dict(kernel=(k, k), stride=(s, s), pad=(p, p), pool_type=kind,
                 pooling_convention="full" if full else "valid")
    if not include:
        attrs["count_include_pad"] = False
    got = single("Pooling", x, **attrs)
    close(got, mx_ref.pool(x, k, s, p, kind, full, include), atol=1e-5)


def test_pooling_full_excluding_padding_with_dynamic_size():
    x = rnd(1, 2, 7, 8)
    b = SymBuilder()
    y = b.op("Pooling", "y", [b.var("data")], kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
             pooling_convention="full", count_include_pad=False)
    got = run_model(b.to_json([y]), {}, {"data": x}, input="data[1,2,?,?]")["y_output"]
    close(got, mx_ref.pool(x, 3, 2, 1, "avg", True, False))


def test_lp_pooling():
    x = rnd(1, 2, 6, 7)
    got = single("Pooling", x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="lp", p_value=2)
    close(got, np.sqrt(mx_ref.pool(x * x, 3, 2, 1, "sum")), atol=1e-5)
    close(single("Pooling", x, kernel=(1, 1), global_pool=True, pool_type="lp", p_value=2),
          np.sqrt((x * x).sum(axis=(2, 3), keepdims=True)))


def test_pooling_same_convention_1d():
    x = rnd(1, 2, 7)
    got = single("Pooling", x, kernel=(3,), stride=(2,), pool_type="max", pooling_convention="same")
    want = np.stack([x[:, :, i * 2:min(i * 2 + 3, 7)].max(axis=2) for i in range(4)], axis=2)
    close(got, want)


def test_global_pooling_ignores_kernel():
    x = rnd(2, 3, 5, 4)
    close(single("Pooling", x, kernel=(1, 1), global_pool=True, pool_type="avg"), x.mean(axis=(2, 3), keepdims=True))
    close(single("Pooling", x, kernel=(3, 3), global_pool=True), x.max(axis=(2, 3), keepdims=True))
    close(single("Pooling", x, kernel=(3, 3), global_pool=True, pool_type="sum"), x.sum(axis=(2, 3), keepdims=True))


def test_fully_connected_flatten():
    x = rnd(2, 3, 4)
    w = rnd(5, 12)
    close(single("FullyConnected", x, {"w": w}, num_hidden=5, no_bias=True), x.reshape(2, -1) @ w.T, atol=1e-4)
    w2 = rnd(5, 4)
    bias = rnd(5)
    close(single("FullyConnected", x, {"w": w2, "b": bias}, num_hidden=5, flatten=False), x @ w2.T + bias, atol=1e-4)


def test_batch_dot_and_dot():
    a = rnd(2, 3, 4)
    b = rnd(2, 4, 5)
    close(single("batch_dot", a, {"b": b}), a @ b, atol=1e-4)
    bt = rnd(2, 5, 4)
    close(single("batch_dot", a, {"b": bt}, transpose_b=True), a @ bt.transpose(0, 2, 1), atol=1e-4)
    at = rnd(2, 4, 3)
    close(single("batch_dot", at, {"b": b}, transpose_a=True), at.transpose(0, 2, 1) @ b, atol=1e-4)
    m = rnd(4, 6)
    close(single("dot", a, {"m": m}), np.tensordot(a, m, 1), atol=1e-4)
    a2 = rnd(4, 3)
    close(single("dot", a2, {"m": m}, transpose_a=True), a2.T @ m, atol=1e-4)


def test_upsampling():
    x = rnd(1, 2, 3, 4)
    close(single("UpSampling", x, scale=2, sample_type="nearest", num_args=1), x.repeat(2, axis=2).repeat(2, axis=3))
    for scale in (2, 3):
        k = 2 * scale - scale % 2
        w = rnd(2, 1, k, k)
        p = int(math.ceil((scale - 1) / 2.0))
        got = single("UpSampling", x, {"w": w}, scale=scale, sample_type="bilinear", num_filter=2, num_args=2)
        close(got, mx_ref.deconv(x, w, (scale, scale), (p, p), group=2), atol=1e-4)
        assert got.shape[2:] == (3 * scale, 4 * scale)


def test_take_embedding_one_hot():
    x = rnd(5, 3)
    idx = np.array([[0, 4], [7, -1]], np.float32)
    b = SymBuilder()
    d = b.var("data")
    i = b.var("idx")
    t = b.op("take", "t", [d, i])
    tw = b.op("take", "tw", [d, i], mode="wrap")
    e = b.op("Embedding", "e", [i, d], input_dim=5, output_dim=3)
    oh = b.op("one_hot", "oh", [b.var("idx2")], depth=4)
    i2 = np.array([0, 3, 1], np.float32)
    got = run_model(b.to_json([t, tw, oh]), {}, {"data": x, "idx": idx, "idx2": i2})
    close(got["t_output"], x[np.clip(idx.astype(int), 0, 4)])
    close(got["tw_output"], x[np.mod(idx.astype(int), 5)])
    close(got["oh_output"], np.eye(4, dtype=np.float32)[i2.astype(int)])
    got = run_model(b.to_json([e]), {}, {"data": x, "idx": np.array([[0, 4], [2, 1]], np.float32)})
    close(got["e_output"], x[[[0, 4], [2, 1]]])


# ---------------------------------------------------------------- graph-level behaviour

def test_unsupported_ops_are_all_listed():
    b = SymBuilder()
    d = b.var("data")
    y = b.op("FancyOp", "f1", [d])
    y = b.op("FancyOp", "f2", [y])
    y = b.op("OtherOp", "o1", [y])
    with pytest.raises(IrconvError) as e:
        convert(b.to_json([y]), {}, input_shape="[1,2]")
    msg = str(e.value)
    assert "3 MXNet nodes of 2 unsupported operation types" in msg
    assert "FancyOp: 2 nodes: 'f1', 'f2'" in msg and "OtherOp: 1 node: 'o1'" in msg


def test_cuts_by_input_and_output_names():
    x = rnd(2, 3)
    b = SymBuilder()
    d = b.var("data")
    a = b.op("_mul_scalar", "a", [d], scalar=2.0)
    u = b.op("NotSupported", "u", [a])
    c = b.op("_plus_scalar", "c", [a], scalar=1.0)
    e = b.op("exp", "e", [c])
    out = run_model(b.to_json([u, e]), {}, {"data": x}, input="data[2,3]", output="c_output")
    assert set(k for k in out if isinstance(k, str)) >= {"c_output"}
    close(out["c_output"], x * 2 + 1)
    out = run_model(b.to_json([u, e]), {}, {"c": x}, input="c[2,3]", output="e")
    close(out["e_output"], np.exp(x))
    m = convert(b.to_json([u, e]), {}, input="a:0[2,3]", output="e:0")
    assert [i["names"] for i in m.inputs] == [["a_output"]]


def test_input_by_position_and_variable_shape_attr():
    b = SymBuilder()
    d = b.var("data", __shape__=(0, 3))
    y = b.op("relu", "y", [d])
    m = convert(b.to_json([y]), {})
    assert m.inputs[0]["shape"] == [-1, 3]
    m = convert(b.to_json([y]), {}, input_shape="[4,3]")
    assert m.inputs[0]["shape"] == [4, 3]
    with pytest.raises(IrconvError, match="2 shapes but the model has 1 input"):
        convert(b.to_json([y]), {}, input_shape="[4,3],[1]")


def test_missing_weight_is_a_clear_error():
    b = SymBuilder()
    y = b.op("FullyConnected", "fc", [b.var("data"), b.var("fc_weight")], num_hidden=2, no_bias=True)
    m = convert(b.to_json([y]), {}, input_shape="[1,3],[2,3]")
    assert [i["names"] for i in m.inputs] == [["data"], ["fc_weight"]]
