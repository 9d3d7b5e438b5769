"""The fusions on graphs TensorFlow really writes: Keras layers and tf ops in a tf.function, frozen
(convert_variables_to_constants_v2) to a GraphDef, converted by irconv, checked for the fused ops and
run on OpenVINO against TensorFlow's output."""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2  # noqa: E402

import irconv  # noqa: E402
from helpers import infer_xml  # noqa: E402

K = tf.keras.layers


def frozen(tmp_path, fn, *shapes):
    specs = [tf.TensorSpec(s, tf.float32, name="x%d" % i) for i, s in enumerate(shapes)]
    f = convert_variables_to_constants_v2(tf.function(fn).get_concrete_function(*specs))
    path = str(tmp_path / "frozen.pb")
    with open(path, "wb") as fh:
        fh.write(f.graph.as_graph_def().SerializeToString())
    return path, f


def run(tmp_path, fn, *shapes, seed=0):
    """(irconv op counts, IR outputs, TensorFlow outputs)."""
    path, f = frozen(tmp_path, fn, *shapes)
    m = irconv.convert_model(path, compress_to_fp16=False)
    xml = str(tmp_path / "m.xml")
    m.save(xml, compress_to_fp16=False)
    r = np.random.default_rng(seed)
    xs = [r.standard_normal(s).astype(np.float32) * 2 for s in shapes]
    got = infer_xml(xml, {i: x for i, x in enumerate(xs)})
    want = f(*[tf.constant(x) for x in xs])
    want = [w.numpy() for w in (want if isinstance(want, (list, tuple)) else [want])]
    return m.ops(), [got[i] for i in range(len(want))], want


def randomize(layer, shape, seed=1):
    layer.build(shape)
    r = np.random.default_rng(seed)
    for w in layer.weights:
        v = r.standard_normal(w.shape).astype(np.float32) * 0.3
        if any(k in w.name for k in ("gamma", "scale", "variance")):
            v = np.abs(v) + 0.5
        w.assign(v)
    return layer


def close(got, want, rtol=1e-4, atol=1e-4):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def test_keras_nhwc_convnet_runs_in_nchw_without_layout_transposes(tmp_path):
    """A MobileNetV2-style block: every convolution gets NHWC<->NCHW Transposes from the frontend;
    they sink through batch-norm, ReLU6, padding and the residual Add and cancel; the padding and
    the batch-norm scales fold into the convolutions."""
    shape = (1, 16, 16, 8)
    conv1 = randomize(K.Conv2D(16, 1, use_bias=False), shape)
    bn1 = randomize(K.BatchNormalization(), (1, 16, 16, 16))
    pad = K.ZeroPadding2D(((0, 1), (0, 1)))
    dw = randomize(K.DepthwiseConv2D(3, strides=1, use_bias=False), (1, 17, 17, 16))
    bn2 = randomize(K.BatchNormalization(), (1, 15, 15, 16))
    conv2 = randomize(K.Conv2D(8, 1, use_bias=False, padding="same"), (1, 15, 15, 16))
    bn3 = randomize(K.BatchNormalization(), (1, 15, 15, 8))
    dense = randomize(K.Dense(4), (1, 8))

    def fn(x):
        y = tf.nn.relu6(bn1(conv1(x)))
        y = tf.nn.relu6(bn2(dw(pad(y))))
        y = bn3(conv2(y))
        y = y + x[:, :15, :15, :]                 # residual
        return dense(tf.reduce_mean(y, axis=[1, 2]))
    ops, got, want = run(tmp_path, fn, shape)
    assert ops.get("Transpose", 0) <= 2, ops      # the input's NHWC->NCHW (the sliced skip has its own)
    assert "Pad" not in ops and "Multiply" not in ops, ops
    assert ops.get("Convolution") == 2 and ops.get("GroupConvolution") == 1
    close(got, want)


def test_keras_normalizations(tmp_path):
    ln = randomize(K.LayerNormalization(), (2, 5, 16))
    gn = randomize(K.GroupNormalization(groups=4), (2, 6, 6, 8))
    un = K.UnitNormalization()

    def fn(x, y):
        return ln(x), gn(y), un(x), tf.math.l2_normalize(x, axis=-1)
    ops, got, want = run(tmp_path, fn, (2, 5, 16), (2, 6, 6, 8))
    assert ops.get("MVN") == 2 and ops.get("NormalizeL2") == 2, ops
    for gone in ("ReduceMean", "SquaredDifference", "Negative", "Power", "ReduceSum", "Minimum"):
        assert gone not in ops, (gone, ops)
    close(got, want)


def test_keras_and_tf_activations(tmp_path):
    prelu = randomize(K.PReLU(), (2, 5, 16))

    def fn(x):
        return (prelu(x), tf.nn.leaky_relu(x, 0.1), tf.clip_by_value(x, -1.0, 2.0),
                tf.clip_by_value(0.2 * x + 0.5, 0.0, 1.0),               # Keras 2 hard_sigmoid
                tf.keras.activations.hard_swish(x), tf.nn.gelu(x, approximate=True), tf.nn.silu(x),
                tf.maximum(tf.minimum(x, 3.0), 4.0))                      # crossed bounds: not a Clamp
    ops, got, want = run(tmp_path, fn, (2, 5, 16))
    expect = {"PReLU": 2, "Clamp": 1, "HardSigmoid": 1, "HSwish": 1, "Gelu": 1, "Swish": 1, "Maximum": 1,
              "Minimum": 1}
    for k, n in expect.items():
        assert ops.get(k) == n, (k, ops)
    assert "ReLU" not in ops and "Negative" not in ops
    close(got, want)


def test_tf_attention_with_additive_and_causal_masks(tmp_path):
    b, h, l, e = 2, 3, 5, 8
    pad_mask = np.where(np.random.default_rng(2).random((1, 1, l, l)) < 0.3, -1e9, 0.0).astype(np.float32)
    pad_mask[..., 0] = 0
    causal = np.triu(np.full((l, l), -1e9, np.float32), 1)

    def attn(q, k, v, mask):
        s = tf.matmul(q, k, transpose_b=True) / tf.sqrt(float(e))
        return tf.matmul(tf.nn.softmax(s + mask, axis=-1), v)

    def fn(q, k, v):
        return attn(q, k, v, pad_mask), attn(q, k, v, causal), tf.nn.softmax(tf.matmul(q, k, transpose_b=True), axis=2)
    ops, got, want = run(tmp_path, fn, (b, h, l, e), (b, h, l, e), (b, h, l, e))
    assert ops.get("ScaledDotProductAttention") == 2 and ops.get("SoftMax") == 1, ops   # softmax over L: not attention
    close(got, want)
    path, _ = frozen(tmp_path, fn, (b, h, l, e), (b, h, l, e), (b, h, l, e))
    sd = [n for n in irconv.convert_model(path).graph.topo_order() if n.type == "ScaledDotProductAttention"]
    assert sorted(n.attrs["causal"] for n in sd) == [False, True]
