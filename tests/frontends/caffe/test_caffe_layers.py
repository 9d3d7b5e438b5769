"""Caffe layers on hand-written prototxt + caffemodel files, run on OpenVINO, against numpy
references of Caffe's Forward_cpu maths."""
import numpy as np
import pytest

from caffe_fe_util import (net, ref_conv, ref_deconv, ref_lrn_across, ref_lrn_within, ref_pool, rng, run)

X = rng(1).randn(2, 4, 9, 11).astype(np.float32)


def _layer(name, type_, bottoms, tops, params=""):
    s = 'layer { name: "%s" type: "%s" ' % (name, type_)
    s += " ".join('bottom: "%s"' % b for b in bottoms) + " "
    s += " ".join('top: "%s"' % t for t in tops) + " "
    return s + params + " }\n"


def _one(tmp_path, type_, params, x=X, blobs=(), top="y"):
    proto = net({"x": x.shape}, _layer("L", type_, ["x"], [top], params))
    got, _ = run(tmp_path, proto, [("L", type_, list(blobs))] if blobs else [], {"x": x})
    return got[top]


def _close(got, exp, rtol=1e-4, atol=1e-5):
    assert got.shape == exp.shape, (got.shape, exp.shape)
    np.testing.assert_allclose(got, exp, rtol=rtol, atol=atol)


# ---- convolution ----
@pytest.mark.parametrize("params,o,kernel,stride,pad,dil,group,bias", [
    ("num_output: 6 kernel_size: 3", 6, (3, 3), (1, 1), (0, 0), (1, 1), 1, True),
    ("num_output: 6 kernel_size: 3 stride: 2 pad: 1 bias_term: false", 6, (3, 3), (2, 2), (1, 1), (1, 1), 1, False),
    ("num_output: 8 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0", 8, (3, 2), (2, 1), (1, 0),
     (1, 1), 1, True),
    ("num_output: 4 kernel_size: 3 dilation: 2 pad: 2 group: 2", 4, (3, 3), (1, 1), (2, 2), (2, 2), 2, True),
    ("num_output: 4 kernel_size: 3 pad: 1 group: 4", 4, (3, 3), (1, 1), (1, 1), (1, 1), 4, True),
    ("num_output: 6 kernel_size: 3 kernel_size: 1 stride: 1 stride: 2 pad: 1 pad: 0 dilation: 2 dilation: 1", 6,
     (3, 1), (1, 2), (1, 0), (2, 1), 1, True),
])
def test_convolution(tmp_path, params, o, kernel, stride, pad, dil, group, bias):
    r = rng(2)
    w = r.randn(o, 4 // group, *kernel).astype(np.float32)
    b = r.randn(o).astype(np.float32)
    got = _one(tmp_path, "Convolution", "convolution_param { %s }" % params, blobs=[w, b] if bias else [w])
    _close(got, ref_conv(X, w, b if bias else None, stride, pad, dil, group), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride,pad,group,dil", [(2, 1, 1, 1), (1, 0, 1, 1), (2, 0, 2, 1), (3, 1, 4, 1), (2, 1, 1, 2),
                                              (1, 2, 2, 3)])
def test_deconvolution(tmp_path, stride, pad, group, dil):
    o = 6 if group != 4 else 8
    w = rng(3).randn(4, o // group, 3, 3).astype(np.float32)
    b = rng(4).randn(o).astype(np.float32)
    got = _one(tmp_path, "Deconvolution", "convolution_param { num_output: %d kernel_size: 3 stride: %d pad: %d "
               "group: %d dilation: %d }" % (o, stride, pad, group, dil), blobs=[w, b])
    _close(got, ref_deconv(X, w, b, [stride] * 2, [pad] * 2, [dil] * 2, group), atol=1e-4)


# ---- pooling ----
@pytest.mark.parametrize("method", ["MAX", "AVE"])
@pytest.mark.parametrize("k,s,p", [(3, 2, 0), (3, 2, 1), (2, 2, 0), (3, 1, 1), (2, 3, 1), (4, 3, 2), (5, 1, 0)])
def test_pooling_caffe_rounding(tmp_path, method, k, s, p):
    got = _one(tmp_path, "Pooling", "pooling_param { pool: %s kernel_size: %d stride: %d pad: %d }" % (method, k, s, p))
    _close(got, ref_pool(X, [k, k], [s, s], [p, p], method))


@pytest.mark.parametrize("method", ["MAX", "AVE"])
def test_pooling_floor_round_mode_and_hw(tmp_path, method):
    got = _one(tmp_path, "Pooling", "pooling_param { pool: %s kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 "
               "pad_h: 1 pad_w: 1 round_mode: FLOOR }" % method)
    _close(got, ref_pool(X, [3, 2], [2, 3], [1, 1], method, ceil=False))


@pytest.mark.parametrize("method,red", [("MAX", np.max), ("AVE", np.mean)])
def test_global_pooling(tmp_path, method, red):
    got = _one(tmp_path, "Pooling", "pooling_param { pool: %s global_pooling: true }" % method)
    _close(got, red(X, axis=(2, 3), keepdims=True))


@pytest.mark.parametrize("method", ["MAX", "AVE"])
@pytest.mark.parametrize("k,s,p,ceil", [(2, 2, 0, True), (3, 2, 1, True), (4, 3, 2, True), (3, 3, 1, True),
                                        (5, 2, 2, True), (3, 2, 1, False), (2, 2, 0, False)])
def test_pooling_dynamic_spatial_dims(tmp_path, method, k, s, p, ceil):
    """With ? spatial dims (--input_shape) the sizes and divisors stay Caffe's."""
    proto = net({"x": X.shape}, _layer("L", "Pooling", ["x"], ["y"], "pooling_param { pool: %s kernel_size: %d "
                                       "stride: %d pad: %d round_mode: %s }" % (method, k, s, p, "CEIL" if ceil else "FLOOR")))
    got, m = run(tmp_path, proto, [], {"x": X}, input_shape="[2,4,?,?]")
    assert m.inputs[0]["shape"] == [2, 4, -1, -1]
    _close(got["y"], ref_pool(X, [k, k], [s, s], [p, p], method, ceil))


# ---- inner product ----
@pytest.mark.parametrize("axis,transpose", [(1, False), (1, True), (2, False), (-1, False), (3, True)])
def test_inner_product(tmp_path, axis, transpose):
    a = axis % 4
    k = int(np.prod(X.shape[a:]))
    w = rng(5).randn(*((k, 7) if transpose else (7, k))).astype(np.float32)
    b = rng(6).randn(7).astype(np.float32)
    got = _one(tmp_path, "InnerProduct", "inner_product_param { num_output: 7 axis: %d transpose: %s }"
               % (axis, "true" if transpose else "false"), blobs=[w, b])
    x2 = X.reshape(X.shape[:a] + (k,)).astype(np.float64)
    exp = x2 @ (w if transpose else w.T) + b
    _close(got, exp.astype(np.float32), atol=1e-4)


def test_inner_product_legacy_4d_blobs_no_bias(tmp_path):
    """Old caffemodels store weights as 1x1xOxK (num/channels/height/width)."""
    k = int(np.prod(X.shape[1:]))
    w = rng(5).randn(5, k).astype(np.float32)
    proto = net({"x": X.shape}, _layer("ip", "InnerProduct", ["x"], ["y"],
                                       "inner_product_param { num_output: 5 bias_term: false }"))
    from caffe_fe_util import write_model
    import irconv
    from helpers import infer_xml
    model, _ = write_model(tmp_path, proto, [("ip", "InnerProduct", [w])], legacy=True)
    irconv.convert_model(model).save(str(tmp_path / "m.xml"), compress_to_fp16=False)
    _close(infer_xml(str(tmp_path / "m.xml"), {"x": X})["y"], (X.reshape(2, -1) @ w.T).astype(np.float32), atol=1e-4)


# ---- activations / neurons ----
@pytest.mark.parametrize("type_,params,fn", [
    ("ReLU", "", lambda x: np.maximum(x, 0)),
    ("ReLU", "relu_param { negative_slope: 0.1 }", lambda x: np.where(x > 0, x, 0.1 * x)),
    ("ELU", "", lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    ("ELU", "elu_param { alpha: 0.3 }", lambda x: np.where(x > 0, x, 0.3 * (np.exp(x) - 1))),
    ("TanH", "", np.tanh),
    ("Sigmoid", "", lambda x: 1 / (1 + np.exp(-x))),
    ("AbsVal", "", np.abs),
    ("BNLL", "", lambda x: np.where(x > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))),
    ("Power", "power_param { power: 2 scale: 0.5 shift: 3 }", lambda x: (3 + 0.5 * x) ** 2),
    ("Power", "power_param { power: 1 scale: -1.5 }", lambda x: -1.5 * x),
    ("Power", "power_param { power: 0.5 shift: 10 }", lambda x: np.sqrt(10 + x)),
    ("Exp", "", np.exp),
    ("Exp", "exp_param { base: 2 scale: 0.5 shift: 1 }", lambda x: 2.0 ** (1 + 0.5 * x)),
    ("Log", "log_param { shift: 10 }", lambda x: np.log(10 + x)),
    ("Log", "log_param { base: 10 scale: 2 shift: 10 }", lambda x: np.log10(10 + 2 * x)),
    ("Dropout", "dropout_param { dropout_ratio: 0.3 }", lambda x: x),
    ("Threshold", "threshold_param { threshold: 0.5 }", lambda x: (x > 0.5).astype(np.float32)),
    ("Clip", "clip_param { min: -0.5 max: 0.7 }", lambda x: np.clip(x, -0.5, 0.7)),
    ("ReLU6", "", lambda x: np.clip(x, 0, 6)),
    ("Swish", "", lambda x: x / (1 + np.exp(-x))),
    ("Swish", "swish_param { beta: 2.0 }", lambda x: x / (1 + np.exp(-2 * x))),
])
def test_neuron(tmp_path, type_, params, fn):
    got = _one(tmp_path, type_, params)
    _close(got, fn(X.astype(np.float64)).astype(np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shared", [False, True])
def test_prelu(tmp_path, shared):
    s = rng(7).rand(1 if shared else 4).astype(np.float32)
    got = _one(tmp_path, "PReLU", "prelu_param { channel_shared: %s }" % ("true" if shared else "false"), blobs=[s])
    _close(got, np.where(X > 0, X, X * s.reshape(1, -1, 1, 1)))


def test_softmax_axis(tmp_path):
    got = _one(tmp_path, "Softmax", "softmax_param { axis: -1 }")
    e = np.exp(X - X.max(axis=-1, keepdims=True))
    _close(got, e / e.sum(axis=-1, keepdims=True))


# ---- normalization ----
@pytest.mark.parametrize("factor", [1.0, 999.98, 0.0])
def test_batch_norm(tmp_path, factor):
    r = rng(8)
    mean, var = r.randn(4).astype(np.float32), r.rand(4).astype(np.float32) + 0.5
    got = _one(tmp_path, "BatchNorm", "batch_norm_param { eps: 0.001 }",
               blobs=[mean * factor, var * factor, np.asarray([factor], np.float32)])
    f = 0.0 if factor == 0 else 1.0 / factor
    m, v = (mean * factor * f).reshape(1, -1, 1, 1), (var * factor * f).reshape(1, -1, 1, 1)
    _close(got, ((X - m) / np.sqrt(v + 0.001)).astype(np.float32), atol=1e-4)


def test_batch_norm_nvcaffe_scale_bias(tmp_path):
    r = rng(8)
    mean, var = r.randn(4).astype(np.float32), r.rand(4).astype(np.float32) + 0.5
    g, b = r.randn(4).astype(np.float32), r.randn(4).astype(np.float32)
    got = _one(tmp_path, "BatchNorm", "batch_norm_param { scale_bias: true }",
               blobs=[mean, var, np.ones(1, np.float32), g, b])
    norm = (X - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + 1e-5)
    _close(got, norm * g.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1), atol=1e-4)


def test_batch_norm_batch_statistics(tmp_path):
    got = _one(tmp_path, "BatchNorm", "batch_norm_param { use_global_stats: false }")
    m = X.mean(axis=(0, 2, 3), keepdims=True)
    v = ((X - m) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    _close(got, (X - m) / np.sqrt(v + 1e-5), atol=1e-4)


@pytest.mark.parametrize("params,shape", [
    ("scale_param { bias_term: true }", (4,)),
    ("scale_param { axis: 2 num_axes: 2 }", (9, 11)),
    ("scale_param { axis: 0 num_axes: -1 bias_term: true }", (2, 4, 9, 11)),
    ("scale_param { num_axes: 0 bias_term: true }", ()),
])
def test_scale_learned(tmp_path, params, shape):
    s = np.asarray(rng(9).randn(*shape), np.float32)
    b = np.asarray(rng(10).randn(*shape), np.float32)
    bias = "bias_term: true" in params
    got = _one(tmp_path, "Scale", params, blobs=[s, b] if bias else [s])
    axis = 0 if "axis: 0" in params else (2 if "axis: 2" in params else 1)
    tail = 4 - axis - len(shape)
    exp = X * s.reshape(shape + (1,) * tail) + (b.reshape(shape + (1,) * tail) if bias else 0)
    _close(got, exp.astype(np.float32))


def test_scale_and_bias_with_two_bottoms(tmp_path):
    s = rng(11).randn(2, 4).astype(np.float32)
    bias = rng(12).randn(2, 4).astype(np.float32)
    proto = net({"x": X.shape, "s": s.shape}, _layer("sc", "Scale", ["x", "s"], ["y"],
                                                    "scale_param { axis: 0 bias_term: true }")
                + _layer("bi", "Bias", ["y", "s"], ["z"], "bias_param { axis: 0 }"))
    got, _ = run(tmp_path, proto, [("sc", "Scale", [bias])], {"x": X, "s": s})
    _close(got["z"], X * s[:, :, None, None] + bias[:, :, None, None] + s[:, :, None, None])


def test_bias_learned(tmp_path):
    b = rng(13).randn(4).astype(np.float32)
    _close(_one(tmp_path, "Bias", "", blobs=[b]), X + b.reshape(1, 4, 1, 1))


@pytest.mark.parametrize("size,alpha,beta,k", [(5, 1e-4, 0.75, 1.0), (3, 0.5, 0.6, 2.0), (1, 0.3, 0.5, 1.5),
                                               (3, 2.0, 0.6, 1.0)])
def test_lrn_across_channels(tmp_path, size, alpha, beta, k):
    proto = net({"x": X.shape}, _layer("L", "LRN", ["x"], ["y"], "lrn_param { local_size: %d alpha: %g beta: %g k: %g }"
                                       % (size, alpha, beta, k)))
    got, m = run(tmp_path, proto, [], {"x": X})
    assert ("LRN" in m.ops()) == (k == 1.0)
    _close(got["y"], ref_lrn_across(X, size, alpha, beta, k))


@pytest.mark.parametrize("size,alpha,beta,k", [(3, 0.5, 0.75, 1.0), (5, 2.0, 0.6, 7.0)])
def test_lrn_within_channel_ignores_k(tmp_path, size, alpha, beta, k):
    got = _one(tmp_path, "LRN", "lrn_param { norm_region: WITHIN_CHANNEL local_size: %d alpha: %g beta: %g k: %g }"
               % (size, alpha, beta, k))
    _close(got, ref_lrn_within(X, size, alpha, beta))


@pytest.mark.parametrize("across,var", [(False, True), (True, True), (False, False)])
def test_mvn(tmp_path, across, var):
    got = _one(tmp_path, "MVN", "mvn_param { across_channels: %s normalize_variance: %s }"
               % ("true" if across else "false", "true" if var else "false"))
    axes = (1, 2, 3) if across else (2, 3)
    d = X - X.mean(axis=axes, keepdims=True)
    exp = d / (np.sqrt((d ** 2).mean(axis=axes, keepdims=True)) + 1e-9) if var else d
    _close(got, exp, atol=1e-4)


@pytest.mark.parametrize("across,shared", [(True, True), (False, False), (False, True), (True, False)])
def test_normalize_ssd(tmp_path, across, shared):
    s = (rng(14).rand(1 if shared else 4) * 20).astype(np.float32)
    got = _one(tmp_path, "Normalize", "norm_param { across_spatial: %s channel_shared: %s eps: 1e-6 }"
               % ("true" if across else "false", "true" if shared else "false"), blobs=[s])
    axes = (1, 2, 3) if across else (1,)
    exp = X / np.sqrt((X.astype(np.float64) ** 2).sum(axis=axes, keepdims=True) + 1e-6) * s.reshape(1, -1, 1, 1)
    _close(got, exp.astype(np.float32), atol=1e-4)


# ---- element-wise / shape ----
@pytest.mark.parametrize("params,fn", [
    ("", lambda a, b, c: a + b + c),
    ("eltwise_param { operation: SUM coeff: 1 coeff: -0.5 coeff: 2 }", lambda a, b, c: a - 0.5 * b + 2 * c),
    ("eltwise_param { operation: PROD }", lambda a, b, c: a * b * c),
    ("eltwise_param { operation: MAX }", lambda a, b, c: np.maximum(np.maximum(a, b), c)),
])
def test_eltwise(tmp_path, params, fn):
    ys = [rng(i).randn(*X.shape).astype(np.float32) for i in (20, 21, 22)]
    proto = net({"a": X.shape, "b": X.shape, "c": X.shape}, _layer("e", "Eltwise", ["a", "b", "c"], ["y"], params))
    got, _ = run(tmp_path, proto, [], dict(zip("abc", ys)))
    _close(got["y"], fn(*ys))


def test_concat_slice_split(tmp_path):
    proto = net({"x": X.shape}, _layer("sl", "Slice", ["x"], ["a", "b", "c"], "slice_param { axis: 3 slice_point: 2 "
                                                                              "slice_point: 7 }")
                + _layer("sp", "Split", ["b"], ["b1", "b2"])
                + _layer("cat", "Concat", ["c", "b1", "a"], ["y"], "concat_param { axis: -1 }")
                + _layer("sl2", "Slice", ["b2"], ["p", "q"], "slice_param { slice_dim: 1 }")
                + _layer("cat2", "Concat", ["q", "p"], ["z"], "concat_param { concat_dim: 1 }"))
    got, m = run(tmp_path, proto, [], {"x": X})
    _close(got["y"], np.concatenate([X[..., 7:], X[..., 2:7], X[..., :2]], axis=-1))
    b = X[..., 2:7]
    _close(got["z"], np.concatenate([b[:, 2:], b[:, :2]], axis=1))


@pytest.mark.parametrize("params,shape", [
    ("", (2, 4 * 9 * 11)),
    ("flatten_param { axis: 2 }", (2, 4, 99)),
    ("flatten_param { axis: 1 end_axis: 2 }", (2, 36, 11)),
    ("flatten_param { axis: 0 end_axis: -2 }", (72, 11)),
])
def test_flatten(tmp_path, params, shape):
    _close(_one(tmp_path, "Flatten", params), X.reshape(shape))


@pytest.mark.parametrize("params,shape", [
    ("reshape_param { shape { dim: 0 dim: -1 } }", (2, 396)),
    ("reshape_param { shape { dim: 0 dim: 2 dim: 2 dim: 0 dim: -1 } }", (2, 2, 2, 11, 9)),
    ("reshape_param { shape { dim: 3 dim: 3 } axis: 2 num_axes: 1 }", (2, 4, 3, 3, 11)),
    ("reshape_param { shape { dim: 1 } axis: 1 num_axes: 0 }", (2, 1, 4, 9, 11)),
    ("reshape_param { shape { dim: -1 } axis: -3 }", (2, 4, 99)),   # start = axis + rank + 1
    ("reshape_param { shape { dim: 2 dim: -1 } axis: 1 num_axes: 2 }", (2, 2, 18, 11)),
    ("reshape_param { shape { dim: 0 dim: 0 dim: 99 } }", (2, 4, 99)),
])
def test_reshape(tmp_path, params, shape):
    _close(_one(tmp_path, "Reshape", params), X.reshape(shape))


def test_reshape_keeps_batch_reshapeable(tmp_path):
    """Reshape / Flatten / InnerProduct copy the batch dim (0), so a dynamic batch works."""
    w = rng(5).randn(3, 396).astype(np.float32)
    proto = net({"x": X.shape}, _layer("r", "Reshape", ["x"], ["r"], "reshape_param { shape { dim: 0 dim: -1 } }")
                + _layer("f", "Flatten", ["r"], ["f"])
                + _layer("ip", "InnerProduct", ["f"], ["y"], "inner_product_param { num_output: 3 bias_term: false }"))
    got, m = run(tmp_path, proto, [("ip", "InnerProduct", [w])], {"x": X}, input_shape="[?,4,9,11]")
    assert m.outputs[0]["shape"] == [-1, 3]
    _close(got["y"], X.reshape(2, -1) @ w.T, atol=1e-4)


def test_crop(tmp_path):
    ref = np.zeros((2, 4, 5, 6), np.float32)
    proto = net({"x": X.shape, "r": ref.shape}, _layer("c", "Crop", ["x", "r"], ["y"], "crop_param { offset: 2 offset: 3 }")
                + _layer("c2", "Crop", ["x", "r"], ["z"], "crop_param { axis: 3 offset: 1 }"))
    got, _ = run(tmp_path, proto, [], {"x": X, "r": ref})
    _close(got["y"], X[:, :, 2:7, 3:9])
    _close(got["z"], X[:, :, :, 1:7])


def test_permute_tile_shuffle(tmp_path):
    proto = net({"x": X.shape}, _layer("p", "Permute", ["x"], ["p"], "permute_param { order: 0 order: 2 }")
                + _layer("t", "Tile", ["x"], ["t"], "tile_param { axis: 2 tiles: 3 }")
                + _layer("s", "ShuffleChannel", ["x"], ["s"], "shuffle_channel_param { group: 2 }"))
    got, _ = run(tmp_path, proto, [], {"x": X})
    _close(got["p"], X.transpose(0, 2, 1, 3))
    _close(got["t"], np.tile(X, (1, 1, 3, 1)))
    _close(got["s"], X.reshape(2, 2, 2, 9, 11).transpose(0, 2, 1, 3, 4).reshape(X.shape))


@pytest.mark.parametrize("params", ["", "argmax_param { out_max_val: true top_k: 3 }", "argmax_param { axis: 1 }",
                                    "argmax_param { axis: -1 top_k: 2 out_max_val: true }"])
def test_argmax(tmp_path, params):
    got = _one(tmp_path, "ArgMax", params)
    k = 3 if "top_k: 3" in params else (2 if "top_k: 2" in params else 1)
    if "axis" in params:
        axis = 1 if "axis: 1" in params else 3
        idx = np.argsort(-X, axis=axis, kind="stable").take(range(k), axis=axis)
        exp = np.take_along_axis(X, idx, axis=axis) if "out_max_val" in params else idx.astype(np.float32)
    else:
        flat = X.reshape(2, -1)
        idx = np.argsort(-flat, axis=1, kind="stable")[:, :k]
        exp = idx[:, None, :].astype(np.float32)
        if "out_max_val" in params:
            exp = np.concatenate([exp, np.take_along_axis(flat, idx, axis=1)[:, None, :]], axis=1)
    _close(got, exp)


@pytest.mark.parametrize("op,axis,fn", [
    ("SUM", 0, lambda x, a: x.sum(axis=a)), ("ASUM", 1, lambda x, a: np.abs(x).sum(axis=a)),
    ("SUMSQ", 2, lambda x, a: (x ** 2).sum(axis=a)), ("MEAN", -1, lambda x, a: x.mean(axis=a)),
])
def test_reduction(tmp_path, op, axis, fn):
    got = _one(tmp_path, "Reduction", "reduction_param { operation: %s axis: %d coeff: 0.5 }" % (op, axis))
    a = axis % 4
    _close(got, (0.5 * fn(X.astype(np.float64), tuple(range(a, 4)))).astype(np.float32), atol=1e-4)


def _interp_ref(x, oh, ow):
    n, c, h, w = x.shape
    y = np.zeros((n, c, oh, ow), np.float64)
    rh = (h - 1) / (oh - 1) if oh > 1 else 0.0
    rw = (w - 1) / (ow - 1) if ow > 1 else 0.0
    for i in range(oh):
        hr = rh * i
        h0 = int(hr)
        hp = 1 if h0 < h - 1 else 0
        l1 = hr - h0
        for j in range(ow):
            wr = rw * j
            w0 = int(wr)
            wp = 1 if w0 < w - 1 else 0
            m1 = wr - w0
            y[:, :, i, j] = ((1 - l1) * ((1 - m1) * x[:, :, h0, w0] + m1 * x[:, :, h0, w0 + wp])
                             + l1 * ((1 - m1) * x[:, :, h0 + hp, w0] + m1 * x[:, :, h0 + hp, w0 + wp]))
    return y.astype(np.float32)


@pytest.mark.parametrize("params,size", [
    ("interp_param { zoom_factor: 2 }", (17, 21)),
    ("interp_param { shrink_factor: 2 }", (5, 6)),
    ("interp_param { height: 4 width: 15 }", (4, 15)),
    ("interp_param { shrink_factor: 2 zoom_factor: 3 }", (13, 16)),
])
def test_interp(tmp_path, params, size):
    _close(_one(tmp_path, "Interp", params), _interp_ref(X, *size), atol=1e-5)


def test_interp_crop_pads(tmp_path):
    got = _one(tmp_path, "Interp", "interp_param { zoom_factor: 2 pad_beg: -1 pad_end: -2 }")
    xc = X[:, :, 1:-2, 1:-2]
    _close(got, _interp_ref(xc, 2 * xc.shape[2] - 1, 2 * xc.shape[3] - 1), atol=1e-5)


def test_interp_to_second_bottom_size(tmp_path):
    ref = np.zeros((1, 1, 13, 5), np.float32)
    proto = net({"x": X.shape, "r": ref.shape}, _layer("L", "Interp", ["x", "r"], ["y"]))
    got, _ = run(tmp_path, proto, [], {"x": X, "r": ref})
    _close(got["y"], _interp_ref(X, 13, 5), atol=1e-5)
