"""Conv / ConvTranspose against onnxruntime."""
import numpy as np
import pytest

from onnx_fe_util import check, rng, single

R = rng(5)


@pytest.mark.parametrize("attrs", [
    {}, {"pads": [1, 1, 1, 1]}, {"strides": [2, 2], "pads": [1, 0, 2, 1]}, {"dilations": [2, 2]},
    {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, {"auto_pad": "SAME_LOWER", "strides": [2, 2]},
    {"auto_pad": "VALID", "strides": [2, 1]}, {"group": 2, "pads": [1, 1, 1, 1]},
])
def test_conv2d(attrs, tmp_path):
    x = R.randn(1, 4, 9, 8).astype(np.float32)
    g = attrs.get("group", 1)
    w = R.randn(6, 4 // g, 3, 3).astype(np.float32)
    b = R.randn(6).astype(np.float32)
    check(single("Conv", {"x": x}, dict(attrs, kernel_shape=[3, 3]), inits={"w": w, "b": b}), {"x": x}, tmp_path,
          rtol=1e-4, atol=1e-4)


def test_depthwise_conv(tmp_path):
    x = R.randn(1, 8, 7, 7).astype(np.float32)
    w = R.randn(8, 1, 3, 3).astype(np.float32)
    check(single("Conv", {"x": x}, {"group": 8, "pads": [1, 1, 1, 1]}, inits={"w": w}), {"x": x}, tmp_path,
          atol=1e-4)


@pytest.mark.parametrize("rank", [1, 3])
def test_conv_1d_3d(rank, tmp_path):
    x = R.randn(*([2, 3] + [6] * rank)).astype(np.float32)
    w = R.randn(*([4, 3] + [3] * rank)).astype(np.float32)
    check(single("Conv", {"x": x}, {"pads": [1] * (2 * rank)}, inits={"w": w}), {"x": x}, tmp_path, atol=1e-4)


def test_conv_weights_as_input(tmp_path):
    x = R.randn(1, 4, 6, 6).astype(np.float32)
    w = R.randn(4, 2, 3, 3).astype(np.float32)
    check(single("Conv", {"x": x, "w": w}, {"group": 2}), {"x": x, "w": w}, tmp_path, atol=1e-4)


@pytest.mark.parametrize("attrs", [
    {}, {"strides": [2, 2]}, {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
    {"strides": [2, 2], "output_shape": [10, 10]}, {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
    {"strides": [2, 2], "auto_pad": "SAME_LOWER"}, {"strides": [3, 2], "output_shape": [15, 11]},
    {"group": 2, "strides": [2, 2]}, {"dilations": [2, 2]},
])
def test_conv_transpose(attrs, tmp_path):
    x = R.randn(1, 4, 5, 5).astype(np.float32)
    g = attrs.get("group", 1)
    w = R.randn(4, 6 // g, 3, 3).astype(np.float32)
    b = R.randn(6).astype(np.float32)
    check(single("ConvTranspose", {"x": x}, attrs, inits={"w": w, "b": b}), {"x": x}, tmp_path, atol=1e-4)


@pytest.mark.parametrize("with_mask", [False, True])
def test_deform_conv(with_mask, tmp_path):
    x = R.randn(1, 2, 5, 5).astype(np.float32)
    w = R.randn(3, 2, 3, 3).astype(np.float32)
    off = (R.randn(1, 18, 5, 5) * 0.7).astype(np.float32)
    ins = {"x": x, "off": off}
    names = ["x", "w", "off", "b"]
    inits = {"w": w, "b": R.randn(3).astype(np.float32)}
    if with_mask:
        inits["m"] = R.rand(1, 9, 5, 5).astype(np.float32)
        names.append("m")
    m = single("DeformConv", ins, {"pads": [1, 1, 1, 1]}, opset=19, inits=inits, input_names=names)
    check(m, ins, tmp_path, rtol=1e-4, atol=1e-4)
