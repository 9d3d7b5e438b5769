"""Switching fusions off: `--transform disable=NAME,...` and `--disable_fusing` (the Model
Optimizer's spelling) reach convert_model(disable_passes=...); other --transform values stay
unsupported; unknown pass names are errors."""
import collections
import xml.etree.ElementTree as ET

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import irconv.cli
from irconv import _core


def gelu_bn_model(path):
    """Gelu (erf form) and a Conv + BatchNormalization, as an exporter writes them."""
    r = np.random.default_rng(0)
    inits = [numpy_helper.from_array(np.array(np.sqrt(2.0), np.float32), "sqrt2"),
             numpy_helper.from_array(np.array(1.0, np.float32), "one"),
             numpy_helper.from_array(np.array(0.5, np.float32), "half"),
             numpy_helper.from_array(r.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")]
    for n, v in (("g", r.uniform(0.5, 2, 4)), ("b", r.standard_normal(4)), ("m", r.standard_normal(4)),
                 ("v", r.uniform(0.5, 2, 4))):
        inits.append(numpy_helper.from_array(v.astype(np.float32), n))
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["bn"]),
             helper.make_node("Div", ["bn", "sqrt2"], ["d"]),
             helper.make_node("Erf", ["d"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["a"]),
             helper.make_node("Mul", ["bn", "a"], ["m1"]),
             helper.make_node("Mul", ["m1", "half"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def layer_types(xml):
    return collections.Counter(l.get("type") for l in ET.parse(xml).getroot().iter("layer"))


def convert(tmp_path, *flags):
    model = gelu_bn_model(str(tmp_path / "m.onnx"))
    rc = irconv.cli.main(["--input_model", model, "--output_dir", str(tmp_path), "--model_name", "out",
                          "--compress_to_fp16", "False", *flags])
    return rc, str(tmp_path / "out.xml")


def test_fusions_run_by_default(tmp_path):
    rc, xml = convert(tmp_path)
    t = layer_types(xml)
    assert rc == 0 and t["Gelu"] == 1 and "Erf" not in t and "Multiply" not in t


def test_transform_disable_turns_named_passes_off(tmp_path):
    rc, xml = convert(tmp_path, "--transform", "disable=GeluFusion,WeightsScaleFusion")
    t = layer_types(xml)
    assert rc == 0 and "Gelu" not in t and t["Erf"] == 1
    assert t["Multiply"] >= 1          # the batch-norm scale is no longer folded into the weights


def test_disable_fusing_turns_every_fusion_off(tmp_path):
    rc, xml = convert(tmp_path, "--disable_fusing")
    t = layer_types(xml)
    assert rc == 0 and "Gelu" not in t and t["Erf"] == 1 and t["Multiply"] >= 1


def test_disable_fusing_keeps_cleanup_and_folding():
    names = _core.passes()
    assert set(irconv.cli._NOT_FUSIONS) <= set(names)
    args = irconv.cli.build_parser().parse_args(["--input_model", "x.onnx", "--disable_fusing"])
    off = irconv.cli._disabled_passes(args)
    assert "GeluFusion" in off and "TransposeSinking" in off
    assert not set(off) & set(irconv.cli._NOT_FUSIONS)


def test_other_transforms_stay_unsupported(tmp_path, capsys):
    rc, _ = convert(tmp_path, "--transform", "LowLatency2")
    assert rc == 1 and "--transform LowLatency2" in capsys.readouterr().err


def test_unknown_pass_name_is_an_error(tmp_path, capsys):
    rc, _ = convert(tmp_path, "--transform", "disable=NoSuchFusion")
    err = capsys.readouterr().err
    assert rc == 1 and "NoSuchFusion" in err and "--list_passes" in err
