"""com.microsoft contrib ops (transformer fusions, MatMulNBits) against onnxruntime."""
import numpy as np
import pytest

from onnx_fe_util import check, helper, ir_ops, make_model, rng

R = rng(19)
X = R.randn(2, 3, 8).astype(np.float32)


def ms_model(op, inputs, inits=None, attrs=None, n_out=1, names=None, skip_outputs=()):
    outs = ["y"] + ["o%d" % i for i in range(1, n_out)]
    node_outs = ["" if i in skip_outputs else o for i, o in enumerate(outs)]
    node = helper.make_node(op, names or list(inputs) + list(inits or {}), node_outs, domain="com.microsoft",
                            **(attrs or {}))
    m = make_model([node], inputs, [o for o in node_outs if o], inits)
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return m


@pytest.mark.parametrize("op,inits", [("Gelu", {}), ("FastGelu", {}), ("FastGelu", {"b": R.randn(8).astype(np.float32)}),
                                      ("BiasGelu", {"b": R.randn(8).astype(np.float32)}), ("QuickGelu", {})])
def test_gelu_family(op, inits, tmp_path):
    check(ms_model(op, {"x": X}, inits), {"x": X}, tmp_path, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op", ["SkipLayerNormalization", "SkipSimplifiedLayerNormalization"])
@pytest.mark.parametrize("with_bias", [False, True])
def test_skip_layer_norm(op, with_bias, tmp_path):
    skip = R.randn(2, 3, 8).astype(np.float32)
    inits = {"g": R.rand(8).astype(np.float32) + 0.5}
    names = ["x", "s", "g"]
    if op == "SkipLayerNormalization":
        inits["b"] = R.randn(8).astype(np.float32)
        names.append("b")
    if with_bias:
        inits["bias"] = R.randn(8).astype(np.float32)
        names.append("bias")
    m = ms_model(op, {"x": X, "s": skip}, inits, {"epsilon": 1e-5}, n_out=4, names=names, skip_outputs=(1, 2))
    check(m, {"x": X, "s": skip}, tmp_path, rtol=1e-4, atol=1e-4, outputs=["y", "o3"])


def test_fused_matmul(tmp_path):
    b = R.randn(5, 8).astype(np.float32)
    check(ms_model("FusedMatMul", {"x": X}, {"w": b}, {"transB": 1, "alpha": 0.5}), {"x": X}, tmp_path, rtol=1e-4,
          atol=1e-4)


@pytest.mark.parametrize("act,params", [("Relu", None), ("Tanh", None), ("LeakyRelu", [0.2]), ("Clip", [-0.5, 0.5])])
def test_fused_conv(act, params, tmp_path):
    x = R.randn(1, 2, 5, 5).astype(np.float32)
    attrs = {"activation": act, "pads": [1, 1, 1, 1]}
    if params:
        attrs["activation_params"] = params
    m = ms_model("FusedConv", {"x": x}, {"w": R.randn(3, 2, 3, 3).astype(np.float32), "b": R.randn(3).astype(np.float32)},
                 attrs)
    check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-4)


# onnxruntime (the oracle) has no CPU MatMulNBits with 8-bit weights and float zero points,
# so that combination is not generated.
@pytest.mark.parametrize("bits,zp", [(b, z) for b in (4, 8) for z in (None, "packed", "float")
                                     if not (b == 8 and z == "float")])
@pytest.mark.parametrize("k", [64, 40])
def test_matmul_nbits(bits, zp, k, tmp_path):
    n, block = 6, 16
    n_blocks = (k + block - 1) // block
    blob = block * bits // 8
    a = R.randn(3, k).astype(np.float32)
    q = R.randint(0, 256, (n, n_blocks, blob)).astype(np.uint8)
    inits = {"b": q, "s": (R.rand(n * n_blocks) * 0.1 + 0.01).astype(np.float32)}
    names = ["a", "b", "s"]
    if zp == "packed":
        per_row = (n_blocks * bits + 7) // 8
        inits["z"] = R.randint(0, 256, n * per_row).astype(np.uint8)
        names.append("z")
    elif zp == "float":
        inits["z"] = (R.rand(n * n_blocks) * 2 ** bits).astype(np.float32)
        names.append("z")
    m = ms_model("MatMulNBits", {"a": a}, inits, {"K": k, "N": n, "bits": bits, "block_size": block}, names=names)
    g, _, _ = check(m, {"a": a}, tmp_path, rtol=1e-4, atol=1e-4)
    assert "MatMul" in ir_ops(g)


def test_simplified_layer_norm(tmp_path):
    node = helper.make_node("SimplifiedLayerNormalization", ["x", "g"], ["y"], axis=-1, epsilon=1e-5)
    m = make_model([node], {"x": X}, ["y"], {"g": R.rand(8).astype(np.float32)})
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-4)
