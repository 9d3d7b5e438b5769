"""Resize (10/11/13/18/19) and Upsample against onnxruntime, including the cases Interpolate
cannot express (antialias, cubic exclude_outside, half_pixel_symmetric, tf_crop_and_resize,
keep_aspect_ratio_policy)."""
import numpy as np
import pytest

from onnx_fe_util import check, helper, ir_ops, make_model, rng

R = rng(11)
X = R.rand(1, 3, 6, 8).astype(np.float32)
F = lambda *v: np.array(v, np.float32)  # noqa: E731
I = lambda *v: np.array(v, np.int64)  # noqa: E731


def resize_model(attrs, scales=None, sizes=None, roi=None, opset=19, x=X, dyn=False):
    inits = {}
    names = ["x", "", "", ""]
    if roi is not None:
        inits["roi"] = roi
        names[1] = "roi"
    if scales is not None:
        inits["scales"] = scales
        names[2] = "scales"
    if sizes is not None:
        inits["sizes"] = sizes
        names[3] = "sizes"
    while names and names[-1] == "":
        names.pop()
    if opset < 13 and names[1] == "":
        inits["roi"] = np.zeros(0, np.float32)
        names[1] = "roi"
        if len(names) > 2 and names[2] == "":
            inits["scales"] = np.zeros(0, np.float32)
            names[2] = "scales"
    shape = ["n", 3, "h", "w"] if dyn else list(x.shape)
    node = helper.make_node("Resize", names, ["y"], **attrs)
    return make_model([node], {"x": (np.float32, shape)}, ["y"], inits, opset=opset)


CTMS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"]


@pytest.mark.parametrize("ctm", CTMS)
@pytest.mark.parametrize("nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
@pytest.mark.parametrize("target", ["up", "down", "sizes"])
def test_nearest(ctm, nearest_mode, target, tmp_path):
    kw = {"scales": F(1, 1, 2.0, 1.5)} if target == "up" else \
        {"scales": F(1, 1, 0.5, 0.75)} if target == "down" else {"sizes": I(1, 3, 9, 5)}
    m = resize_model({"mode": "nearest", "coordinate_transformation_mode": ctm, "nearest_mode": nearest_mode}, **kw)
    check(m, {"x": X}, tmp_path)


@pytest.mark.parametrize("ctm", CTMS[:4] + ["half_pixel_symmetric"])
@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("target", ["up", "down", "sizes"])
def test_linear_cubic(ctm, mode, target, tmp_path):
    kw = {"scales": F(1, 1, 2.0, 1.5)} if target == "up" else \
        {"scales": F(1, 1, 0.5, 0.75)} if target == "down" else {"sizes": I(1, 3, 9, 5)}
    m = resize_model({"mode": mode, "coordinate_transformation_mode": ctm}, **kw)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("a", [-0.75, -0.5])
@pytest.mark.parametrize("scales", [(1, 1, 2.0, 1.5), (1, 1, 0.5, 0.75)])
def test_cubic_exclude_outside(a, scales, tmp_path):
    m = resize_model({"mode": "cubic", "cubic_coeff_a": a, "exclude_outside": 1}, scales=F(*scales))
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("exclude", [0, 1])
@pytest.mark.parametrize("target", [{"sizes": I(1, 3, 3, 5)}, {"scales": F(1, 1, 0.5, 0.6)},
                                    {"sizes": I(1, 3, 12, 5)}, {"scales": F(1, 1, 0.35, 0.3)}])
def test_antialias(mode, exclude, target, tmp_path):
    x = R.rand(1, 3, 12, 16).astype(np.float32)
    m = resize_model({"mode": mode, "antialias": 1, "exclude_outside": exclude}, x=x, **target)
    g, _, _ = check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-5)
    assert "Interpolate" not in ir_ops(g)  # the CPU plugin ignores Interpolate's antialias


def test_antialias_dynamic_shape_uses_pillow_mode(tmp_path):
    x = R.rand(1, 3, 12, 16).astype(np.float32)
    m = resize_model({"mode": "linear", "antialias": 1, "exclude_outside": 1}, sizes=I(1, 3, 5, 7), x=x, dyn=True)
    g, _, _ = check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-5)
    assert "Interpolate" in ir_ops(g)


def test_antialias_5d_trilinear(tmp_path):
    x = R.rand(1, 2, 6, 8, 10).astype(np.float32)
    m = resize_model({"mode": "linear", "antialias": 1}, x=x, scales=F(1, 1, 0.5, 0.5, 0.4))
    check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("policy", ["not_larger", "not_smaller"])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("sizes", [(7, 8), (3, 3)])
def test_keep_aspect_ratio(policy, mode, sizes, tmp_path):
    m = resize_model({"mode": mode, "keep_aspect_ratio_policy": policy, "axes": [2, 3]}, sizes=I(*sizes))
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


def test_keep_aspect_ratio_runtime_sizes(tmp_path):
    node = helper.make_node("Resize", ["x", "", "", "s"], ["y"], mode="nearest", keep_aspect_ratio_policy="not_larger",
                            axes=[2, 3])
    m = make_model([node], {"x": X, "s": I(7, 8)}, ["y"], opset=19)
    check(m, {"x": X, "s": I(7, 8)}, tmp_path)


@pytest.mark.parametrize("axes,target", [([2, 3], {"scales": F(2.0, 0.5)}), ([3, 2], {"sizes": I(5, 9)}),
                                         ([-1], {"scales": F(1.5)})])
def test_axes_attribute(axes, target, tmp_path):
    m = resize_model({"mode": "linear", "axes": axes}, **target)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_tf_crop_and_resize(mode, tmp_path):
    roi = F(0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2)
    m = resize_model({"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize",
                      "extrapolation_value": 7.0}, sizes=I(1, 3, 5, 6), roi=roi)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_opset11_13(opset, mode, tmp_path):
    check(resize_model({"mode": mode}, scales=F(1, 1, 2, 2), opset=opset), {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)
    check(resize_model({"mode": mode}, sizes=I(1, 3, 4, 11), opset=opset), {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


def test_dynamic_input_shape(tmp_path):
    m = resize_model({"mode": "linear"}, scales=F(1, 1, 2, 0.5), dyn=True)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


def test_5d_trilinear(tmp_path):
    x = R.rand(1, 2, 3, 4, 5).astype(np.float32)
    check(resize_model({"mode": "linear", "coordinate_transformation_mode": "align_corners"},
                       scales=F(1, 1, 2, 2, 2), x=x), {"x": x}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("scales", [(1, 1, 2, 3), (1, 1, 0.5, 0.5), (1, 1, 1.5, 2.5)])
def test_resize_opset10(mode, scales, tmp_path):
    node = helper.make_node("Resize", ["x", "s"], ["y"], mode=mode)
    m = make_model([node], {"x": X}, ["y"], {"s": F(*scales)}, opset=10)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("opset", [7, 9])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_upsample(opset, mode, tmp_path):
    sc = [1.0, 1.0, 2.0, 3.0]
    if opset == 7:
        m = make_model([helper.make_node("Upsample", ["x"], ["y"], mode=mode, scales=sc)], {"x": X}, ["y"], opset=7)
    else:
        m = make_model([helper.make_node("Upsample", ["x", "s"], ["y"], mode=mode)], {"x": X}, ["y"],
                       {"s": F(*sc)}, opset=9)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)
