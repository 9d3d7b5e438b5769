"""Function ops: model-local FunctionProtos and ONNX ops defined by a function body (Attention,
loss ops...) are expanded into their bodies."""
import os

import numpy as np
import onnx
import pytest
from onnx import helper

from irconv.errors import IrconvError
from irconv.frontends.onnx import convert
from onnx_fe_util import check, make_model, rng, single

R = rng(18)


def _local_fn_model():
    # y = scaled_swish(x, alpha) = x * sigmoid(alpha * x) * 2, alpha from the caller (default 1.0)
    mul_a = helper.make_node("Constant", [], ["a"])
    mul_a.attribute.append(onnx.AttributeProto(name="value_float", ref_attr_name="alpha",
                                               type=onnx.AttributeProto.FLOAT))
    body = [mul_a,
            helper.make_node("Mul", ["X", "a"], ["ax"]),
            helper.make_node("Sigmoid", ["ax"], ["s"]),
            helper.make_node("Mul", ["X", "s"], ["sw"]),
            helper.make_node("Constant", [], ["two"], value_float=2.0),
            helper.make_node("Mul", ["sw", "two"], ["Y"])]
    f = helper.make_function("custom", "ScaledSwish", ["X"], ["Y"], body,
                             [helper.make_opsetid("", 17)], attributes=[])
    f.attribute_proto.append(helper.make_attribute("alpha", 1.0))
    # a second function calling the first one
    g_body = [helper.make_node("ScaledSwish", ["X"], ["t"], domain="custom", alpha=0.5),
              helper.make_node("Neg", ["t"], ["Y"])]
    g = helper.make_function("custom", "NegSwish", ["X"], ["Y"], g_body,
                             [helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)])
    nodes = [helper.make_node("ScaledSwish", ["x"], ["y1"], domain="custom", alpha=1.7, name="sw1"),
             helper.make_node("ScaledSwish", ["x"], ["y2"], domain="custom", name="sw2"),
             helper.make_node("NegSwish", ["x"], ["y3"], domain="custom", name="neg")]
    m = make_model(nodes, {"x": (np.float32, [2, 5])}, ["y1", "y2", "y3"])
    m.opset_import.append(helper.make_opsetid("custom", 1))
    m.functions.extend([f, g])
    return m


def test_local_functions(tmp_path):
    m = _local_fn_model()
    x = R.randn(2, 5).astype(np.float32)
    check(m, {"x": x}, tmp_path)


def test_unsupported_op_inside_local_function_is_listed(tmp_path):
    body = [helper.make_node("Twiddle", ["X"], ["Y"], domain="org.test")]
    f = helper.make_function("custom", "MyDet", ["X"], ["Y"], body, [helper.make_opsetid("", 17),
                                                                      helper.make_opsetid("org.test", 1)])
    m = make_model([helper.make_node("MyDet", ["x"], ["y"], domain="custom", name="d")],
                   {"x": (np.float32, [2, 2])}, ["y"])
    m.opset_import.append(helper.make_opsetid("custom", 1))
    m.opset_import.append(helper.make_opsetid("org.test", 1))
    m.functions.append(f)
    p = os.path.join(str(tmp_path), "m.onnx")
    onnx.save(m, p)
    with pytest.raises(IrconvError, match=r"MyDet \(domain custom, opset 1\): 1 node: 'd'"):
        convert(p, {})


@pytest.mark.parametrize("causal", [0, 1])
def test_attention_4d(causal, tmp_path):
    q = R.randn(2, 3, 4, 8).astype(np.float32)
    k = R.randn(2, 3, 6, 8).astype(np.float32)
    v = R.randn(2, 3, 6, 5).astype(np.float32)
    check(single("Attention", {"q": q, "k": k, "v": v}, {"is_causal": causal}, opset=23), {"q": q, "k": k, "v": v},
          tmp_path, rtol=1e-4, atol=1e-5)


def test_attention_3d_gqa_with_mask(tmp_path):
    q = R.randn(2, 4, 4 * 8).astype(np.float32)
    k = R.randn(2, 6, 2 * 8).astype(np.float32)
    v = R.randn(2, 6, 2 * 8).astype(np.float32)
    mask = (R.rand(4, 6) > 0.3)
    mask[:, 0] = True
    ins = {"q": q, "k": k, "v": v, "m": mask}
    check(single("Attention", ins, {"q_num_heads": 4, "kv_num_heads": 2, "scale": 0.3}, opset=23), ins, tmp_path,
          rtol=1e-4, atol=1e-5)


def test_attention_past_kv(tmp_path):
    q = R.randn(1, 2, 3, 4).astype(np.float32)
    k = R.randn(1, 2, 3, 4).astype(np.float32)
    v = R.randn(1, 2, 3, 4).astype(np.float32)
    pk = R.randn(1, 2, 5, 4).astype(np.float32)
    pv = R.randn(1, 2, 5, 4).astype(np.float32)
    ins = {"q": q, "k": k, "v": v, "pk": pk, "pv": pv}
    node = helper.make_node("Attention", ["q", "k", "v", "", "pk", "pv"], ["y", "present_k", "present_v"], is_causal=1)
    m = make_model([node], ins, ["y", "present_k", "present_v"], opset=23)
    check(m, ins, tmp_path, rtol=1e-4, atol=1e-5)


def test_softmax_cross_entropy_loss(tmp_path):
    x = R.randn(4, 5).astype(np.float32)
    labels = np.array([0, 3, 4, 1], np.int64)
    node = helper.make_node("SoftmaxCrossEntropyLoss", ["x", "l"], ["loss"], reduction="mean")
    check(make_model([node], {"x": x, "l": labels}, ["loss"], opset=13), {"x": x, "l": labels}, tmp_path, rtol=1e-5)


def test_center_crop_pad_runtime_shape_uses_function(tmp_path):
    x = R.randn(5, 6, 3).astype(np.float32)
    s = np.array([3, 9], np.int64)
    check(single("CenterCropPad", {"x": x, "s": s}, {"axes": [0, 1]}, opset=18), {"x": x, "s": s}, tmp_path)
