"""QuantizeLinear / DequantizeLinear (FakeQuantize and Convert chains) and integer ops."""
import numpy as np
import pytest

from onnx_fe_util import check, helper, ir_ops, make_model, rng, single

R = rng(10)
X = (R.randn(1, 4, 6, 6) * 3).astype(np.float32)


@pytest.mark.parametrize("zp_type,zp", [(np.uint8, 128), (np.int8, 0), (np.int8, -3), (np.uint8, 7)])
def test_q_dq_per_tensor(zp_type, zp, tmp_path):
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])]
    inits = {"s": np.array(0.05, np.float32), "z": np.array(zp, zp_type)}
    m = make_model(nodes, {"x": X}, ["q", "y"], inits, opset=13)
    g, _, _ = check(m, {"x": X}, tmp_path)
    assert "FakeQuantize" in ir_ops(g)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_q_dq_per_axis(axis, tmp_path):
    n = X.shape[axis]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=axis),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=axis)]
    inits = {"s": (R.rand(n) * 0.1 + 0.01).astype(np.float32), "z": R.randint(-5, 5, n).astype(np.int8)}
    check(make_model(nodes, {"x": X}, ["q", "y"], inits, opset=13), {"x": X}, tmp_path)


def test_quantize_no_zero_point_opset10(tmp_path):
    check(single("QuantizeLinear", {"x": X}, opset=10, inits={"s": np.array(0.02, np.float32)}), {"x": X}, tmp_path)


@pytest.mark.parametrize("dt", [np.uint16, np.int16])
def test_quantize_16bit(dt, tmp_path):
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])]
    inits = {"s": np.array(0.001, np.float32), "z": np.array(100, dt)}
    check(make_model(nodes, {"x": X}, ["q", "y"], inits, opset=21), {"x": X}, tmp_path)


def test_dequantize_int32(tmp_path):
    x = R.randint(-1000, 1000, (3, 4)).astype(np.int32)
    check(single("DequantizeLinear", {"x": x}, inits={"s": np.array(0.5, np.float32)}), {"x": x}, tmp_path)


def test_qdq_weights_feed_conv(tmp_path):
    w = R.randn(8, 4, 3, 3).astype(np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["w", "ws", "wz"], ["wq"], axis=0),
             helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0),
             helper.make_node("Conv", ["x", "wd"], ["y"], pads=[1, 1, 1, 1])]
    inits = {"w": w, "ws": (R.rand(8) * 0.02 + 0.005).astype(np.float32), "wz": np.zeros(8, np.int8)}
    check(make_model(nodes, {"x": X}, ["y"], inits, opset=13), {"x": X}, tmp_path, rtol=1e-4, atol=1e-4)


def test_blocked_quantization(tmp_path):
    x = R.randn(4, 6).astype(np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1, block_size=2),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1, block_size=2)]
    inits = {"s": (R.rand(4, 3) * 0.05 + 0.01).astype(np.float32), "z": R.randint(-3, 3, (4, 3)).astype(np.int8)}
    check(make_model(nodes, {"x": x}, ["q", "y"], inits, opset=21), {"x": x}, tmp_path)


def test_dynamic_quantize_linear(tmp_path):
    x = (R.randn(3, 5) * 4).astype(np.float32)
    m = make_model([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])], {"x": x}, ["y", "s", "z"],
                   opset=11)
    check(m, {"x": x}, tmp_path)


def test_matmul_integer(tmp_path):
    a = R.randint(0, 255, (3, 5)).astype(np.uint8)
    b = R.randint(-128, 127, (5, 4)).astype(np.int8)
    m = single("MatMulInteger", {"a": a}, inits={"b": b, "az": np.array(12, np.uint8), "bz": np.array(-3, np.int8)},
               opset=10)
    check(m, {"a": a}, tmp_path)


def test_conv_integer(tmp_path):
    x = R.randint(0, 255, (1, 2, 5, 5)).astype(np.uint8)
    w = R.randint(0, 255, (3, 2, 3, 3)).astype(np.uint8)
    m = single("ConvInteger", {"x": x}, {"pads": [1, 1, 1, 1]}, opset=10,
               inits={"w": w, "xz": np.array(100, np.uint8), "wz": np.array(90, np.uint8)})
    check(m, {"x": x}, tmp_path)


def test_qlinear_matmul(tmp_path):
    a = R.randint(0, 255, (3, 5)).astype(np.uint8)
    b = R.randint(0, 255, (5, 4)).astype(np.uint8)
    f = lambda v: np.array(v, np.float32)  # noqa: E731
    u = lambda v: np.array(v, np.uint8)  # noqa: E731
    inits = {"as": f(0.02), "az": u(120), "b": b, "bs": f(0.03), "bz": u(128), "ys": f(0.5), "yz": u(100)}
    m = single("QLinearMatMul", {"a": a}, opset=10, inits=inits,
               input_names=["a", "as", "az", "b", "bs", "bz", "ys", "yz"])
    from onnx_fe_util import ort_run, to_graph
    from helpers import run_ir
    ref = ort_run(m, {"a": a})["y"]
    got = run_ir(to_graph(m, tmp_path), {"a": a})["y"]
    # integer requantization (onnxruntime) vs float (OpenVINO): at most one step apart
    assert got.dtype == np.uint8 and got.shape == ref.shape
    assert np.max(np.abs(got.astype(int) - ref.astype(int))) <= 1


def test_qlinear_conv(tmp_path):
    x = R.randint(0, 255, (1, 2, 5, 5)).astype(np.uint8)
    w = R.randint(0, 255, (3, 2, 3, 3)).astype(np.uint8)
    f = lambda v: np.array(v, np.float32)  # noqa: E731
    u = lambda v: np.array(v, np.uint8)  # noqa: E731
    inits = {"xs": f(0.02), "xz": u(120), "w": w, "ws": f(0.01), "wz": u(128), "ys": f(0.1), "yz": u(100),
             "b": R.randint(-500, 500, 3).astype(np.int32)}
    m = single("QLinearConv", {"x": x}, {"pads": [1, 1, 1, 1]}, opset=10, inits=inits,
               input_names=["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"])
    from onnx_fe_util import ort_run, to_graph
    from helpers import run_ir
    ref = ort_run(m, {"x": x})["y"]
    got = run_ir(to_graph(m, tmp_path), {"x": x})["y"]
    assert got.dtype == np.uint8 and got.shape == ref.shape
    assert np.max(np.abs(got.astype(int) - ref.astype(int))) <= 1


def test_blocked_quantization_runtime_scale(tmp_path):
    x = R.randn(4, 6).astype(np.float32)
    s = (R.rand(4, 3) * 0.05 + 0.01).astype(np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1, block_size=2),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1, block_size=2)]
    m = make_model(nodes, {"x": x, "s": s}, ["q", "y"], {"z": np.zeros((4, 3), np.int8)}, opset=21)
    check(m, {"x": x, "s": s}, tmp_path)


def test_dequantize_constant_weights_marked_decompression(tmp_path):
    from onnx_fe_util import to_graph
    w = R.randint(-128, 127, (8, 16)).astype(np.int8)
    nodes = [helper.make_node("DequantizeLinear", ["w", "s"], ["wd"]), helper.make_node("MatMul", ["x", "wd"], ["y"])]
    m = make_model(nodes, {"x": (np.float32, [2, 8])}, ["y"], {"w": w, "s": np.array(0.02, np.float32)}, opset=13)
    g = to_graph(m, tmp_path, passes=False)
    conv = [n for n in g.topo_order() if n.type == "Convert"]
    assert conv and any(a[0] == "decompression" for a in conv[0].rt_info)
