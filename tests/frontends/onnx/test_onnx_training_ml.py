"""ai.onnx.preview.training optimizers, ai.onnx.ml numeric operators and Dropout in training mode,
checked against ONNX's reference evaluator."""
import numpy as np
import pytest
from onnx import TensorProto as T
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

from helpers import run_ir
from onnx_fe_util import helper, to_graph

R = np.random.RandomState(3)
TRAINING = "ai.onnx.preview.training"
ML = "ai.onnx.ml"


def _model(op, feeds, n_out, attrs=None, domain="", domain_version=1, opset=21):
    outs = ["o%d" % i for i in range(n_out)]
    node = helper.make_node(op, list(feeds), outs, domain=domain, **(attrs or {}))
    ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
           for n, a in feeds.items()]
    g = helper.make_graph([node], "t", ins, [helper.make_empty_tensor_value_info(o) for o in outs])
    opsets = [helper.make_opsetid("", opset)]
    if domain:
        opsets.append(helper.make_opsetid(domain, domain_version))
    m = helper.make_model(g, opset_imports=opsets)
    m.ir_version = 10
    return m


def _compare(model, feeds, tmp_path, rtol=1e-5, atol=1e-6):
    ref = ReferenceEvaluator(model).run(None, feeds)
    got = run_ir(to_graph(model, tmp_path), feeds)
    for i, r in enumerate(ref):
        g = np.asarray(got["o%d" % i])
        assert g.shape == np.asarray(r).shape
        np.testing.assert_allclose(g.astype(np.float64), np.asarray(r).astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg="output %d" % i)


def _state(n, shapes):
    feeds = {"R": np.array(0.1, np.float32), "T": np.array(n, np.int64)}
    return feeds, shapes


@pytest.mark.parametrize("t", [0, 3])
def test_adagrad(t, tmp_path):
    feeds = {"R": np.array(0.1, np.float32), "T": np.array(t, np.int64),
             "X1": R.randn(3).astype(np.float32), "X2": R.randn(2, 2).astype(np.float32),
             "G1": R.randn(3).astype(np.float32), "G2": R.randn(2, 2).astype(np.float32),
             "H1": R.rand(3).astype(np.float32), "H2": R.rand(2, 2).astype(np.float32)}
    attrs = {"decay_factor": 0.1, "epsilon": 1e-5, "norm_coefficient": 0.01}
    _compare(_model("Adagrad", feeds, 4, attrs, TRAINING), feeds, tmp_path)


@pytest.mark.parametrize("t", [0, 4])
def test_adam(t, tmp_path):
    feeds = {"R": np.array(0.1, np.float32), "T": np.array(t, np.int64), "X": R.randn(5).astype(np.float32),
             "G": R.randn(5).astype(np.float32), "V": R.randn(5).astype(np.float32), "H": R.rand(5).astype(np.float32)}
    attrs = {"alpha": 0.95, "beta": 0.1, "epsilon": 1e-7, "norm_coefficient": 0.001, "norm_coefficient_post": 0.02}
    _compare(_model("Adam", feeds, 3, attrs, TRAINING), feeds, tmp_path)


@pytest.mark.parametrize("mode", ["standard", "nesterov"])
@pytest.mark.parametrize("t", [0, 2])
def test_momentum(mode, t, tmp_path):
    feeds = {"R": np.array(0.1, np.float32), "T": np.array(t, np.int64), "X1": R.randn(4).astype(np.float32),
             "X2": R.randn(3).astype(np.float32), "G1": R.randn(4).astype(np.float32),
             "G2": R.randn(3).astype(np.float32), "V1": R.randn(4).astype(np.float32),
             "V2": R.randn(3).astype(np.float32)}
    attrs = {"alpha": 0.95, "beta": 0.1, "mode": mode, "norm_coefficient": 0.001}
    _compare(_model("Momentum", feeds, 4, attrs, TRAINING), feeds, tmp_path)


# ---------------------------------------------------------------- ai.onnx.ml
def test_binarizer(tmp_path):
    feeds = {"X": R.randn(3, 4).astype(np.float32)}
    _compare(_model("Binarizer", feeds, 1, {"threshold": 0.3}, ML), feeds, tmp_path)


@pytest.mark.parametrize("shape,idx", [((3, 4), [0, 2]), ((2, 3, 5), [[4, 1, 1]]), ((6,), [5, 0])])
def test_array_feature_extractor(shape, idx, tmp_path):
    feeds = {"X": R.randn(*shape).astype(np.float32), "I": np.array(idx, np.int64)}
    _compare(_model("ArrayFeatureExtractor", feeds, 1, {}, ML), feeds, tmp_path)


@pytest.mark.parametrize("kind", ["int_to_float", "float_to_int", "tensor"])
def test_label_encoder_numeric(kind, tmp_path):
    if kind == "int_to_float":
        feeds = {"X": np.array([1, 5, 3, 7, 5], np.int64)}
        attrs = {"keys_int64s": [5, 3, 1], "values_floats": [0.5, 1.5, 2.5], "default_float": -1.0}
    elif kind == "float_to_int":
        feeds = {"X": np.array([[0.5, np.nan], [2.0, 0.25]], np.float32)}
        attrs = {"keys_floats": [0.5, np.nan, 0.25], "values_int64s": [7, 8, 9], "default_int64": 42}
    else:
        feeds = {"X": np.array([3, 1, 2, 9], np.int64)}
        attrs = {"keys_tensor": numpy_helper.from_array(np.array([1, 2, 3], np.int64), "k"),
                 "values_tensor": numpy_helper.from_array(np.array([10, 20, 30], np.int16), "v"),
                 "default_tensor": numpy_helper.from_array(np.array([-5], np.int16), "d")}
    model = _model("LabelEncoder", feeds, 1, attrs, ML, 4)
    got = run_ir(to_graph(model, tmp_path), feeds)["o0"]
    if kind == "float_to_int":
        ref = np.array([[7, 8], [42, 9]], np.int64)   # NaN keys match NaN inputs
    else:
        ref = ReferenceEvaluator(model).run(None, feeds)[0]
    assert got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)


def _random_tree(rs, n_features, depth, modes):
    """A full binary tree as TreeEnsemble node arrays (node ids local to the ensemble)."""
    nodes, leaves = [], []

    def build(d):
        if d == depth:
            leaves.append(len(leaves))
            return ("leaf", leaves[-1])
        idx = len(nodes)
        nodes.append(None)
        t, f = build(d + 1), build(d + 1)
        nodes[idx] = (int(rs.choice(modes)), int(rs.randint(n_features)), float(np.round(rs.randn(), 2)), t, f)
        return ("node", idx)
    build(0)
    return nodes, len(leaves)


@pytest.mark.parametrize("agg", [0, 1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tree_ensemble(agg, dtype, tmp_path):
    rs = np.random.RandomState(agg)
    n_features, n_targets = 3, 2
    splits, feats, modes, tn, fn, tl, fl, leaf_t, leaf_w, roots, members = ([] for _ in range(11))
    for tree in range(3):
        nodes, n_leaves = _random_tree(rs, n_features, 2 + tree % 2, [0, 1, 2, 3, 4, 5, 6])
        base, leaf_base = len(splits), len(leaf_t)
        roots.append(base)
        for mode, f, s, t, fa in nodes:
            splits.append(s)
            feats.append(f)
            modes.append(mode)
            if mode == 6:
                members += [s, 0.25, np.nan]
            for (kind, i), ids, leafs in ((t, tn, tl), (fa, fn, fl)):
                ids.append(i + (base if kind == "node" else leaf_base))
                leafs.append(1 if kind == "leaf" else 0)
        leaf_t += list(rs.randint(n_targets, size=n_leaves))
        leaf_w += list(np.round(rs.randn(n_leaves), 2))
    x = np.round(rs.randn(20, n_features), 2).astype(dtype)
    x[rs.rand(*x.shape) < 0.2] = 0.25
    x[3, 1] = np.nan
    attrs = {"n_targets": n_targets, "aggregate_function": agg, "post_transform": 0,
             "nodes_splits": numpy_helper.from_array(np.array(splits, dtype), "s"),
             "nodes_featureids": feats, "nodes_truenodeids": tn, "nodes_falsenodeids": fn,
             "nodes_trueleafs": tl, "nodes_falseleafs": fl,
             "nodes_modes": numpy_helper.from_array(np.array(modes, np.uint8), "m"),
             "leaf_targetids": leaf_t, "leaf_weights": numpy_helper.from_array(np.array(leaf_w, dtype), "w"),
             "tree_roots": roots}
    if members:
        attrs["membership_values"] = numpy_helper.from_array(np.array(members, dtype), "mv")
    feeds = {"X": x}
    model = _model("TreeEnsemble", feeds, 1, attrs, ML, 5)
    ref = ReferenceEvaluator(model).run(None, feeds)[0]
    got = run_ir(to_graph(model, tmp_path), feeds)["o0"]
    assert got.dtype == ref.dtype and got.shape == ref.shape
    # MIN / MAX of a target no tree reaches is the type's max / lowest (the CPU plugin runs f64 as f32)
    untouched = np.abs(ref) == np.finfo(dtype).max
    assert (np.abs(got[untouched]) >= np.finfo(np.float32).max).all()
    np.testing.assert_allclose(got[~untouched], ref[~untouched], rtol=1e-5, atol=1e-5)


def test_greater_with_nan(tmp_path):
    # the CPU plugin's Greater / GreaterEqual are true for NaN operands; ONNX's are false
    a = np.array([np.nan, 1, np.nan, 2, 3], np.float32)
    b = np.array([0.5, np.nan, np.nan, 2, 1], np.float32)
    for op in ("Greater", "GreaterOrEqual", "Less", "LessOrEqual"):
        _compare(_model(op, {"a": a, "b": b}, 1, opset=13), {"a": a, "b": b}, tmp_path)
    x = np.array([np.nan, 0.2, 0.7, -1], np.float32)
    _compare(_model("ThresholdedRelu", {"x": x}, 1, {"alpha": 0.5}, opset=13), {"x": x}, tmp_path)
    _compare(_model("Shrink", {"x": x}, 1, {"lambd": 0.5, "bias": 0.1}, opset=13), {"x": x}, tmp_path)


# ---------------------------------------------------------------- Dropout in training mode
@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.75])
@pytest.mark.parametrize("mask", [False, True])
def test_dropout_training_seeded(ratio, mask, tmp_path):
    feeds = {"x": R.randn(3, 4, 5).astype(np.float32), "r": np.array(ratio, np.float32), "t": np.array(True)}
    _compare(_model("Dropout", feeds, 2 if mask else 1, {"seed": 7}, opset=13), feeds, tmp_path)


def test_dropout_training_mode_at_run_time(tmp_path):
    x = R.randn(2, 8).astype(np.float32)
    model = _model("Dropout", {"x": x, "r": np.array(0.5, np.float32), "t": np.array(True)}, 2, {"seed": 1}, opset=13)
    g = to_graph(model, tmp_path)
    for t in (True, False):
        feeds = {"x": x, "r": np.array(0.5, np.float32), "t": np.array(t)}
        ref = ReferenceEvaluator(model).run(None, feeds)
        got = run_ir(g, feeds)
        np.testing.assert_allclose(got["o0"], ref[0], rtol=1e-6)
        np.testing.assert_array_equal(got["o1"], ref[1])


def test_dropout_unseeded_statistics(tmp_path):
    # no seed: OpenVINO's RandomUniform draws the mask; kept values are scaled by 1 / (1 - ratio)
    x = np.ones((200, 50), np.float32)
    feeds = {"x": x, "r": np.array(0.25, np.float32), "t": np.array(True)}
    got = run_ir(to_graph(_model("Dropout", feeds, 2, {}, opset=13), tmp_path), feeds)
    y, m = got["o0"], got["o1"]
    np.testing.assert_allclose(y[m], 1 / 0.75, rtol=1e-6)
    assert (y[~m] == 0).all()
    assert 0.70 < m.mean() < 0.80
