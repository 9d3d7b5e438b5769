"""Python API: convert_model -> Model (inputs, outputs, ops, save)."""
import os

import numpy as np
import onnxruntime as ort
import pytest

import irconv
from helpers import infer_xml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "examples", "tiny_cnn.onnx")


def test_model_surface_and_save(tmp_path):
    m = irconv.convert_model(EXAMPLE)
    assert m.name == "tiny_cnn" and m.framework == "onnx"
    assert m.inputs == [{"names": ["image"], "element_type": "f32", "shape": [-1, 3, 16, 16]}]
    assert m.outputs[0]["names"] == ["probs"] and m.outputs[0]["shape"] == [-1, 10]
    ops = m.ops()
    assert ops["Swish"] == 1 and "Sigmoid" not in ops        # x * sigmoid(x) fused
    xml = tmp_path / "sub" / "m.xml"
    m.save(xml, compress_to_fp16=False)
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)
    want = ort.InferenceSession(EXAMPLE, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    np.testing.assert_allclose(infer_xml(str(xml), {"image": x})["probs"], want, rtol=1e-5, atol=1e-6)


def test_framework_errors():
    with pytest.raises(irconv.IrconvError, match="unknown framework"):
        irconv.convert_model(EXAMPLE, framework="theano")
    with pytest.raises(irconv.IrconvError, match="prototxt"):      # an ONNX file read as Caffe
        irconv.convert_model(EXAMPLE, framework="caffe")


def test_save_needs_xml_suffix(tmp_path):
    with pytest.raises(irconv.IrconvError, match=".xml"):
        irconv.convert_model(EXAMPLE).save(tmp_path / "m.bin")


def test_disable_pass_keeps_the_decomposed_form():
    m = irconv.convert_model(EXAMPLE, disable_passes=["SwishFusion"])
    assert "Swish" not in m.ops() and m.ops()["Sigmoid"] == 1


def test_invalid_utf8_names_are_replaced_not_fatal(tmp_path):
    import onnx
    from onnx import TensorProto, helper
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="reluQQ")], "graphQQ",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    raw = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    path = tmp_path / "bad_names.onnx"
    path.write_bytes(raw.replace(b"QQ", b"\xcc\xff"))   # proto2 strings are not UTF-8 checked
    m = irconv.convert_model(str(path))
    assert "\ufffd" in m.name
    xml = tmp_path / "m.xml"
    m.save(xml, compress_to_fp16=False)
    out = infer_xml(str(xml), {"x": np.array([-1.0, 2.0], np.float32)})
    np.testing.assert_array_equal(out[0], [0.0, 2.0])


def test_batchnorm_folds_only_into_f32_weights(tmp_path):
    """With f16 weights BatchNorm stays an op (the plugin folds it in f32); with f32 weights it is
    folded into the convolution."""
    import onnx  # noqa: PLC0415
    from onnx import TensorProto, helper  # noqa: PLC0415
    r = np.random.default_rng(0)
    inits = [helper.make_tensor(n, TensorProto.FLOAT, v.shape, v.ravel().tolist()) for n, v in (
        ("w", r.standard_normal((4, 3, 3, 3)).astype(np.float32)), ("g", r.uniform(0.5, 2, 4).astype(np.float32)),
        ("b", r.standard_normal(4).astype(np.float32)), ("m", r.standard_normal(4).astype(np.float32)),
        ("v", r.uniform(0.5, 2, 4).astype(np.float32)))]
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["c"]),
                           helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    p = str(tmp_path / "cbn.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)]), p)
    x = r.standard_normal((1, 3, 8, 8)).astype(np.float32)
    want = ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    for fp16 in (True, False):
        m = irconv.convert_model(p, compress_to_fp16=fp16)
        assert ("BatchNormInference" in m.ops()) == fp16
        assert ("Multiply" in m.ops()) is False
        xml = str(tmp_path / ("m%d.xml" % fp16))
        m.save(xml, compress_to_fp16=fp16)
        np.testing.assert_allclose(infer_xml(xml, {"x": x})[0], want, rtol=1e-2 if fp16 else 1e-4, atol=1e-2 if fp16 else 1e-4)
