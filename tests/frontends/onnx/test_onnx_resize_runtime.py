"""Resize with scales / sizes / roi known only at run time, in the modes Interpolate cannot express
(antialias, cubic exclude_outside, half_pixel_symmetric, tf_crop_and_resize, align_corners with a
fractional output length): weights are built in the graph; checked against ONNX's reference."""
import numpy as np
import pytest
from onnx import TensorProto as T
from onnx.reference import ReferenceEvaluator

from helpers import run_ir
from onnx_fe_util import helper, to_graph

R = np.random.RandomState(5)


def _model(x, attrs, scales=None, sizes=None, roi=None, axes=None):
    names = ["x", "roi" if roi is not None else "", "scales" if scales is not None else "",
             "sizes" if sizes is not None else ""]
    while names[-1] == "":
        names.pop()
    if axes is not None:
        attrs = dict(attrs, axes=axes)
    node = helper.make_node("Resize", names, ["y"], **attrs)
    ins = [helper.make_tensor_value_info("x", T.FLOAT, list(x.shape))]
    feeds = {"x": x}
    for n, v, t in (("roi", roi, T.FLOAT), ("scales", scales, T.FLOAT), ("sizes", sizes, T.INT64)):
        if v is not None:
            ins.append(helper.make_tensor_value_info(n, t, [len(v)]))
            feeds[n] = np.array(v, np.float32 if t == T.FLOAT else np.int64)
    g = helper.make_graph([node], "r", ins, [helper.make_empty_tensor_value_info("y")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    return m, feeds


def _check(model, feeds, tmp_path, atol=2e-5):
    ref = ReferenceEvaluator(model).run(None, feeds)[0]
    got = run_ir(to_graph(model, tmp_path), feeds)["y"]
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=atol)


CASES = [
    ({"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1}, [1, 1, 0.8, 0.8], None),
    ({"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1}, [1, 1, 1.7, 2.3], None),
    ({"mode": "linear", "antialias": 1}, [1, 1, 0.6, 0.45], None),
    ({"mode": "cubic", "antialias": 1}, [1, 1, 0.7, 0.3], None),
    ({"mode": "linear", "antialias": 1}, None, [1, 2, 3, 4]),
    ({"mode": "cubic", "antialias": 1, "exclude_outside": 1}, None, [1, 2, 4, 3]),
    ({"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, [1, 1, 2.3, 2.94], None),
    ({"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, [1, 1, 0.6, 0.7], None),
    ({"mode": "nearest", "coordinate_transformation_mode": "half_pixel_symmetric"}, [1, 1, 1.6, 0.7], None),
    ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [1, 1, 0.6, 0.6], None),
    ({"mode": "cubic", "coordinate_transformation_mode": "align_corners"}, [1, 1, 0.8, 1.7], None),
]


@pytest.mark.parametrize("attrs,scales,sizes", CASES)
def test_resize_runtime_modes(attrs, scales, sizes, tmp_path):
    x = R.rand(1, 2, 6, 7).astype(np.float32)
    model, feeds = _model(x, attrs, scales=scales, sizes=sizes)
    _check(model, feeds, tmp_path)


@pytest.mark.parametrize("mode", ["linear", "nearest", "cubic"])
@pytest.mark.parametrize("axes", [None, [2, 3], [3, 2]])
def test_resize_tf_crop_and_resize(mode, axes, tmp_path):
    # (roi values whose coordinates are no rounding ties: the reference computes them in float64)
    x = R.rand(1, 1, 5, 6).astype(np.float32)
    roi = [0.4, 0.55, 0.65, 0.8] if axes else [0, 0, 0.4, 0.55, 1, 1, 0.65, 0.8]
    sizes = [3, 3] if axes else [1, 1, 3, 3]
    attrs = {"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": 10.0}
    model, feeds = _model(x, attrs, sizes=sizes, roi=roi, axes=axes)
    _check(model, feeds, tmp_path)
    roi = [0, 0, -0.2, 0.6, 1, 1, 1.3, 0.8] if not axes else [-0.2, 0.6, 1.3, 0.8]
    model, feeds = _model(x, attrs, sizes=[1, 1, 4, 3] if not axes else [4, 3], roi=roi, axes=axes)
    _check(model, feeds, tmp_path)


@pytest.mark.parametrize("policy", ["not_larger", "not_smaller"])
def test_resize_keep_aspect_ratio_antialias(policy, tmp_path):
    x = R.rand(1, 1, 8, 6).astype(np.float32)
    model, feeds = _model(x, {"mode": "linear", "antialias": 1, "keep_aspect_ratio_policy": policy},
                          sizes=[3, 5], axes=[2, 3])
    _check(model, feeds, tmp_path)


def test_resize_static_matches_reference(tmp_path):
    """The same antialias resize with constant sizes (static weights) agrees."""
    x = R.rand(1, 2, 9, 8).astype(np.float32)
    model, feeds = _model(x, {"mode": "linear", "antialias": 1}, sizes=[1, 2, 4, 3])
    ref = ReferenceEvaluator(model).run(None, feeds)[0]
    from onnx import numpy_helper
    model.graph.initializer.append(numpy_helper.from_array(feeds.pop("sizes"), "sizes"))
    del model.graph.input[1]
    got = run_ir(to_graph(model, tmp_path), feeds)["y"]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=2e-5)
