"""--input/--output/--input_shape specs, the generic cut, preprocessing and layouts: parsed, then
checked on a real model run by OpenVINO against onnxruntime with the same cut/preprocessing in numpy."""
import os

import numpy as np
import onnxruntime as ort
import openvino as ov
import pytest

import irconv
from irconv.cli import main as cli_main
from irconv.transforms.specs import parse_input_shape, parse_inputs, parse_outputs
from helpers import core, infer_xml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = os.path.join(REPO, "examples", "tiny_cnn.onnx")      # image [batch,3,16,16] -> probs [batch,10]


def _ort(path, feeds, outputs=None):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return dict(zip(outputs or [o.name for o in s.get_outputs()], s.run(outputs, feeds)))


def _save(model, tmp_path, name="m"):
    xml = str(tmp_path / (name + ".xml"))
    model.save(xml, compress_to_fp16=False)
    return xml


def _ort_intermediate(tmp_path, names):
    """tiny_cnn with extra graph outputs so onnxruntime reports intermediate tensors."""
    import onnx  # noqa: PLC0415
    m = onnx.load(TINY)
    for n in names:
        m.graph.output.append(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None))
    p = str(tmp_path / "tiny_extra.onnx")
    onnx.save(m, p)
    return p


# ---- parsing ----

def test_parse_inputs_all_forms():
    s = parse_inputs("data[1,3,224,224]{f32},0:conv2,seq_len->150,lstm:1[2]{i32}->[20,15],x[?,1..10,..5,3..]")
    assert [(x.name, x.in_port, x.out_port) for x in s] == [
        ("data", None, None), ("conv2", 0, None), ("seq_len", None, None), ("lstm", None, 1), ("x", None, None)]
    assert s[0].static_shape() == [1, 3, 224, 224] and s[0].dtype == "f32"
    assert s[2].value.shape == () and int(s[2].value) == 150
    assert s[3].value.dtype == np.int32 and s[3].value.tolist() == [20, 15]
    d = s[4].shape
    assert [x.value for x in d] == [-1, -1, -1, -1]
    assert (d[1].lo, d[1].hi, d[2].lo, d[2].hi, d[3].lo, d[3].hi) == (1, 10, 0, 5, 3, -1)
    assert parse_inputs("flag{boolean}->False")[0].value.dtype == np.bool_
    assert parse_inputs("s[]")[0].static_shape() == []


def test_parse_input_shape_pairs_with_input():
    s = parse_inputs("a,b", "[1,2],(3,4)")
    assert [x.static_shape() for x in s] == [[1, 2], [3, 4]]
    only = parse_inputs(None, "[1,3,-1,-1]")
    assert only[0].name is None and only[0].static_shape() == [1, 3, -1, -1]
    assert parse_input_shape("[2,3],[4]") and parse_outputs("a,b:1,0:c")[2].in_port == 0


@pytest.mark.parametrize("bad", ["a[1,x]", "a{q17}", "a,b", "a[2]->[1,2,3]"])
def test_parse_errors_are_irconv_errors(bad):
    with pytest.raises(irconv.IrconvError):
        parse_inputs(bad, "[1],[2],[3]" if bad == "a,b" else None)


# ---- cut on a real model ----

def test_cut_output_port_becomes_input(tmp_path):
    """--input s1 (Sigmoid's output) --output p1: only Mul+MaxPool remain; s1 and c1 inputs."""
    m = irconv.convert_model(TINY, input="c1[2,8,16,16],s1[2,8,16,16]", output="p1")
    assert [i["names"][0] for i in m.inputs] == ["c1", "s1"]
    assert m.ops().get("Convolution") is None and m.ops().get("MaxPool") == 1
    rng = np.random.default_rng(0)
    c1 = rng.standard_normal((2, 8, 16, 16)).astype(np.float32)
    s1 = rng.standard_normal((2, 8, 16, 16)).astype(np.float32)
    got = infer_xml(_save(m, tmp_path), {"c1": c1, "s1": s1})
    a = c1 * s1
    ref = a.reshape(2, 8, 8, 2, 8, 2).max(axis=(3, 5))
    np.testing.assert_allclose(got["p1"], ref, rtol=1e-6)


def test_cut_keeps_input_type_and_order_and_freezes(tmp_path):
    x = np.random.default_rng(1).standard_normal((3, 3, 16, 16)).astype(np.float32)
    m = irconv.convert_model(TINY, input="image[3,3,16,16]", output="logits0,probs")
    assert [o["names"][0] for o in m.outputs] == ["logits0", "probs"]
    got = infer_xml(_save(m, tmp_path), {"image": x})
    ref = _ort(_ort_intermediate(tmp_path, ["logits0"]), {"image": x}, ["logits0", "probs"])
    for k in ("logits0", "probs"):
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-4, atol=1e-5)


def test_cut_above_an_input_port(tmp_path):
    """--input 1:silu: the Mul's second operand becomes an input named '1:silu'."""
    x = np.random.default_rng(2).standard_normal((1, 3, 16, 16)).astype(np.float32)
    m = irconv.convert_model(TINY, input="image[1,3,16,16],1:silu", output="a1")
    names = [i["names"][0] for i in m.inputs]
    assert names == ["image", "1:silu"]
    assert "Sigmoid" not in m.ops()
    g = np.full((1, 8, 16, 16), 0.5, np.float32)
    got = infer_xml(_save(m, tmp_path), {"image": x, "1:silu": g})
    ref = _ort(_ort_intermediate(tmp_path, ["c1"]), {"image": x}, ["c1"])["c1"]
    np.testing.assert_allclose(got["a1"], ref * 0.5, rtol=1e-5, atol=1e-6)


def test_cut_unknown_name_is_a_clear_error():
    with pytest.raises(irconv.IrconvError, match="no node or tensor named 'nope'"):
        irconv.convert_model(TINY, output="nope")


def test_input_shape_and_reshapeable_ir(tmp_path):
    """--input_shape with a dynamic batch keeps the IR reshapeable: reshape at a new batch on the
    OpenVINO side and compare with onnxruntime at that batch."""
    m = irconv.convert_model(TINY, input_shape="[?,3,16,16]")
    assert m.inputs[0]["shape"] == [-1, 3, 16, 16]
    ovm = core().read_model(_save(m, tmp_path))
    ovm.reshape({0: [5, 3, 16, 16]})
    cm = core().compile_model(ovm, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    x = np.random.default_rng(3).standard_normal((5, 3, 16, 16)).astype(np.float32)
    got = cm.create_infer_request().infer({0: x})[cm.outputs[0]]
    np.testing.assert_allclose(got, _ort(TINY, {"image": x})["probs"], rtol=1e-4, atol=1e-6)


def test_batch_flag(tmp_path):
    m = irconv.convert_model(TINY, batch=4)
    assert m.inputs[0]["shape"] == [4, 3, 16, 16] and m.outputs[0]["shape"] == [4, 10]


# ---- preprocessing ----

def test_reverse_mean_scale_order(tmp_path):
    """Parameter -> reverse channels -> -mean -> /scale -> model, checked against numpy + onnxruntime."""
    mean, scale = [10.0, 20.0, 30.0], [2.0, 4.0, 8.0]
    m = irconv.convert_model(TINY, input_shape="[2,3,16,16]", reverse_input_channels=True,
                             mean_values="image[10,20,30]", scale_values="[2,4,8]")
    x = np.random.default_rng(4).uniform(0, 255, (2, 3, 16, 16)).astype(np.float32)
    got = infer_xml(_save(m, tmp_path), {"image": x})
    pre = (x[:, ::-1] - np.array(mean, np.float32).reshape(1, 3, 1, 1)) / np.array(scale, np.float32).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(got["probs"], _ort(TINY, {"image": np.ascontiguousarray(pre)})["probs"], rtol=1e-4, atol=1e-6)


def test_global_scale_applies_to_original_inputs(tmp_path):
    m = irconv.convert_model(TINY, input_shape="[1,3,16,16]", scale=255.0)
    x = np.random.default_rng(5).uniform(0, 255, (1, 3, 16, 16)).astype(np.float32)
    got = infer_xml(_save(m, tmp_path), {"image": x})
    np.testing.assert_allclose(got["probs"], _ort(TINY, {"image": x / np.float32(255)})["probs"], rtol=1e-4, atol=1e-6)


def test_mean_values_with_wrong_count_is_an_error():
    with pytest.raises(irconv.IrconvError, match="no channel dimension"):
        irconv.convert_model(TINY, input_shape="[1,3,16,16]", mean_values="[1,2,3,4]")


def test_layout_change_inserts_transpose(tmp_path):
    m = irconv.convert_model(TINY, input_shape="[1,3,16,16]", layout="image(nchw->nhwc)")
    assert m.inputs[0]["shape"] == [1, 16, 16, 3]
    xml = _save(m, tmp_path)
    ovm = core().read_model(xml)
    x = np.random.default_rng(6).standard_normal((1, 3, 16, 16)).astype(np.float32)
    got = infer_xml(xml, {"image": np.ascontiguousarray(x.transpose(0, 2, 3, 1))})
    np.testing.assert_allclose(got["probs"], _ort(TINY, {"image": x})["probs"], rtol=1e-4, atol=1e-6)
    if hasattr(m.graph.parameters[0].output(0), "add_rt_info"):
        assert str(ov.layout_helpers.get_layout(ovm.input(0))) == "[N,H,W,C]"


def test_source_layout_batch_letter(tmp_path):
    m = irconv.convert_model(TINY, input_shape="[1,3,16,16]", source_layout="nchw", batch=2)
    assert m.inputs[0]["shape"] == [2, 3, 16, 16]


# ---- CLI ----

def test_cli_cut_and_preprocess(tmp_path, capsys):
    rc = cli_main(["--input_model", TINY, "--input", "image[1,3,16,16]", "--output", "probs",
                   "--mean_values", "[1,2,3]", "--output_dir", str(tmp_path), "--model_name", "t",
                   "--compress_to_fp16", "False"])
    assert rc == 0
    x = np.random.default_rng(7).standard_normal((1, 3, 16, 16)).astype(np.float32)
    got = infer_xml(str(tmp_path / "t.xml"), {"image": x})
    pre = x - np.array([1, 2, 3], np.float32).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(got["probs"], _ort(TINY, {"image": pre})["probs"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("flag", [["--extensions", "x.so"], ["--transform", "LowLatency2"], ["--k", "m.xml"]])
def test_cli_unsupported_mo_flags(tmp_path, capsys, flag):
    rc = cli_main(["--input_model", TINY, "--output_dir", str(tmp_path)] + flag)
    assert rc == 1
    assert "not supported by irconv" in capsys.readouterr().err
