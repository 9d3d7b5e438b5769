"""Models written by TensorFlow itself (skipped when tensorflow is not installed): TF2 functional
control flow (StatelessWhile / StatelessIf with TensorLists, from tf.function + frozen), a TF1
dynamic_rnn (while loop + TensorArrays), a SavedModel with a function call and resource
variables, and partitioned variables in a V2 checkpoint. Each is converted by irconv (which
does not import TF) and compared on OpenVINO with TF's own outputs."""
import os

import numpy as np
import pytest

import irconv
from helpers import infer_xml

tf = pytest.importorskip("tensorflow")
F32 = np.float32


def _freeze(fn, specs, d):
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    cf = tf.function(fn).get_concrete_function(*specs)
    frozen = convert_variables_to_constants_v2(cf, lower_control_flow=False)
    gd = frozen.graph.as_graph_def()
    path = os.path.join(d, "frozen.pb")
    with open(path, "wb") as f:
        f.write(gd.SerializeToString())
    ins = [t.name.split(":")[0] for t in frozen.inputs]
    outs = [t.name.split(":")[0] for t in frozen.outputs]
    return path, ins, outs, frozen


def _run(path, ins, outs, feeds, d, **kw):
    m = irconv.convert_model(path, framework="tf", input=",".join(ins), output=",".join(outs), **kw)
    xml = os.path.join(d, "m.xml")
    m.save(xml, compress_to_fp16=False)
    return infer_xml(xml, dict(zip(ins, feeds)))


def test_tf2_while_with_tensor_lists(tmp_path):
    def fn(x):
        # map_fn-like: TensorList read/write inside a StatelessWhile, plus a loop-carried sum
        ta = tf.TensorArray(tf.float32, size=tf.shape(x)[0])
        acc = tf.zeros(tf.shape(x)[1:])
        i = tf.constant(0)

        def body(i, acc, ta):
            row = x[i] * 2.0 + acc
            return i + 1, acc + x[i], ta.write(i, tf.tanh(row))
        _, acc, ta = tf.while_loop(lambda i, a, t: i < tf.shape(x)[0], body, [i, acc, ta])
        return ta.stack(), acc

    x = np.random.default_rng(0).standard_normal((5, 3)).astype(F32)
    path, ins, outs, frozen = _freeze(fn, [tf.TensorSpec([None, 3], tf.float32)], str(tmp_path))
    ref = frozen(tf.constant(x))
    got = _run(path, ins, outs, [x], str(tmp_path))
    np.testing.assert_allclose(got[0], ref[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], ref[1].numpy(), rtol=1e-5, atol=1e-6)


def test_tf2_cond_on_data(tmp_path):
    def fn(x, flag):
        return tf.cond(flag, lambda: tf.nn.relu(x) * 3.0, lambda: tf.sigmoid(x) - 1.0)

    x = np.linspace(-2, 2, 8, dtype=F32).reshape(2, 4)
    path, ins, outs, frozen = _freeze(fn, [tf.TensorSpec([2, 4], tf.float32), tf.TensorSpec([], tf.bool)],
                                      str(tmp_path))
    for flag in (True, False):
        ref = frozen(tf.constant(x), tf.constant(flag))
        ref = ref[0] if isinstance(ref, (list, tuple)) else ref
        got = _run(path, ins, outs, [x, np.array(flag)], str(tmp_path))
        np.testing.assert_allclose(got[0], ref.numpy(), rtol=1e-5, atol=1e-6)


def test_tf1_while_loop_rnn(tmp_path):
    """A TF1 while loop (Enter/Merge/Switch/NextIteration/Exit) reading time steps from a
    TensorArray and writing the outputs to another, as dynamic_rnn builds it; frozen."""
    g = tf.Graph()
    tf.compat.v1.disable_control_flow_v2()
    try:
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [4, 2, 3], name="x")      # time-major
            w = tf.constant(np.random.default_rng(1).standard_normal((8, 5)).astype(F32))
            inp = tf.TensorArray(tf.float32, size=4).unstack(x)
            out = tf.TensorArray(tf.float32, size=4)

            def body(t, h, out):
                z = tf.tanh(tf.matmul(tf.concat([inp.read(t), h], 1), w))
                return t + 1, z, out.write(t, z)
            _, h, out = tf.compat.v1.while_loop(lambda t, h, o: t < 4, body,
                                                [tf.constant(0), tf.zeros([2, 5]), out])
            tf.identity(out.stack(), name="out")
            tf.identity(h, name="state")
            with tf.compat.v1.Session(graph=g) as s:
                xv = np.random.default_rng(1).standard_normal((4, 2, 3)).astype(F32)
                ref = s.run(["out:0", "state:0"], {"x:0": xv})
            gd = g.as_graph_def()
    finally:
        tf.compat.v1.enable_control_flow_v2()
    assert any(n.op == "Enter" for n in gd.node)
    path = os.path.join(str(tmp_path), "rnn.pb")
    with open(path, "wb") as f:
        f.write(gd.SerializeToString())
    got = _run(path, ["x"], ["out", "state"], [xv], str(tmp_path))
    np.testing.assert_allclose(got["out"], ref[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got["state"], ref[1], rtol=1e-5, atol=1e-5)


def test_saved_model_with_variables_and_calls(tmp_path):
    class M(tf.Module):
        def __init__(self):
            self.w = tf.Variable(np.random.default_rng(2).standard_normal((3, 4)).astype(F32), name="w")
            self.b = tf.Variable(np.arange(4, dtype=F32), name="b")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            return {"y": tf.nn.relu(tf.matmul(x, self.w) + self.b)}

    m = M()
    d = os.path.join(str(tmp_path), "sm")
    tf.saved_model.save(m, d, signatures=m.__call__)
    x = np.random.default_rng(3).standard_normal((2, 3)).astype(F32)
    ref = m(tf.constant(x))["y"].numpy()
    model = irconv.convert_model(d)
    xml = os.path.join(str(tmp_path), "m.xml")
    model.save(xml, compress_to_fp16=False)
    got = infer_xml(xml, {"x": x})
    np.testing.assert_allclose(got["y"], ref, rtol=1e-5, atol=1e-6)


def test_partitioned_variables_in_a_v2_checkpoint(tmp_path):
    g = tf.Graph()
    d = str(tmp_path)
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 7], name="x")
        w = tf.compat.v1.get_variable("w", [7, 5], partitioner=tf.compat.v1.fixed_size_partitioner(3),
                                      initializer=tf.compat.v1.random_normal_initializer(seed=1))
        tf.identity(tf.matmul(x, w), name="y")
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            xv = np.random.default_rng(4).standard_normal((2, 7)).astype(F32)
            ref = s.run("y:0", {"x:0": xv})
            saver.save(s, os.path.join(d, "model.ckpt"))
    tf.io.write_graph(g.as_graph_def(), d, "graph.pbtxt", as_text=True)
    for how in ({"input_model": os.path.join(d, "graph.pbtxt"), "input_checkpoint": os.path.join(d, "model.ckpt")},
                {"input_model": os.path.join(d, "model.ckpt.meta")}):
        m = irconv.convert_model(how.pop("input_model"), framework="tf", input="x", output="y", **how)
        xml = os.path.join(d, "m.xml")
        m.save(xml, compress_to_fp16=False)
        np.testing.assert_allclose(infer_xml(xml, {"x": xv})["y"], ref, rtol=1e-5, atol=1e-5)


def _check_ops(fn, specs, feeds, tmp_path, rtol=1e-5, atol=1e-5):
    path, ins, outs, frozen = _freeze(fn, specs, str(tmp_path))
    ref = frozen(*[tf.constant(v) for v in feeds])
    ref = ref if isinstance(ref, (list, tuple)) else [ref]
    got = _run(path, ins, outs, feeds, str(tmp_path))
    for i, r in enumerate(ref):
        r = r.numpy()
        g = got[i]
        assert g.shape == r.shape, (outs[i], g.shape, r.shape)
        if r.dtype.kind in "biu":
            np.testing.assert_array_equal(g.astype(r.dtype), r, err_msg=outs[i])
        else:
            np.testing.assert_allclose(g, r, rtol=rtol, atol=atol, err_msg=outs[i])


def test_more_ops_against_tensorflow(tmp_path):
    rng = np.random.default_rng(5)
    img = rng.standard_normal((2, 6, 7, 4)).astype(F32)
    ints = rng.integers(-9, 9, (3, 4)).astype(np.int32)
    b1 = rng.standard_normal((2, 3, 4)).astype(F32)
    b2 = rng.standard_normal((2, 5, 4)).astype(F32)
    k = rng.standard_normal((3, 3, 4, 6)).astype(F32)
    kt = rng.standard_normal((3, 3, 5, 4)).astype(F32)

    def fn(img, ints, b1, b2):
        return [tf.nn.leaky_relu(img, 0.1),
                tf.image.resize(img, [9, 5], method="nearest"),
                tf.compat.v1.image.resize_nearest_neighbor(img, [12, 14], align_corners=True),
                tf.compat.v1.image.resize_nearest_neighbor(img, [4, 3], half_pixel_centers=True),
                tf.compat.v1.image.resize_bilinear(img, [9, 5], align_corners=True),
                tf.image.resize(img, [9, 11], method="bilinear"),
                tf.linalg.matmul(b1, b2, adjoint_b=True),
                tf.math.floormod(ints, 4), tf.math.floordiv(ints, -3), tf.truncatediv(ints, 4),
                tf.nn.max_pool2d(img, 3, 2, "SAME"), tf.nn.avg_pool2d(img, 3, 2, "SAME"),
                tf.nn.conv2d(img, k, 2, "SAME", dilations=1),
                tf.nn.conv2d_transpose(img, kt, [2, 12, 14, 5], 2, "SAME"),
                tf.nn.depth_to_space(tf.concat([img, img], 3), 2), tf.nn.space_to_depth(img[:, :6, :6], 2),
                tf.one_hot(tf.math.abs(ints) % 5, 5, axis=1), tf.math.cumsum(img, axis=2, exclusive=True),
                tf.clip_by_value(img, -0.5, 0.7), tf.nn.elu(img), tf.nn.selu(img),
                tf.nn.local_response_normalization(img, 2, 1.5, 0.3, 0.75),
                tf.gather_nd(img, [[0, 1], [1, 5]]), tf.where(ints > 0), tf.reverse(img, [1, 3]),
                tf.nn.softplus(img), tf.math.reduce_euclidean_norm(img, axis=[1, 2]),
                tf.math.argmin(ints, axis=1), tf.math.top_k(tf.reshape(img, [2, -1]), 5).values,
                tf.strided_slice(img, [0, 5, 0, 1], [2, 0, 7, 4], [1, -2, 3, 1], begin_mask=1, end_mask=4,
                                 shrink_axis_mask=0), tf.nn.bias_add(img, [1., 2., 3., 4.])]

    _check_ops(fn, [tf.TensorSpec(img.shape, tf.float32), tf.TensorSpec(ints.shape, tf.int32),
                    tf.TensorSpec(b1.shape, tf.float32), tf.TensorSpec(b2.shape, tf.float32)],
               [img, ints, b1, b2], tmp_path)
