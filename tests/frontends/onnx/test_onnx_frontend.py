"""Frontend contract: parameters/results and their tensor names, symbolic dims -> -1, friendly
names, unsupported-op listing, error messages naming the node, robustness of graph reading."""
import os

import numpy as np
import pytest
from onnx import TensorProto, helper

from helpers import ov_shape, read_ir, run_ir
from irconv.errors import IrconvError
from irconv.frontends.onnx import convert, supported_ops
from onnx_fe_util import check, make_model, rng, to_graph

R = rng(17)


def _save(m, tmp_path, name="model.onnx"):
    p = os.path.join(str(tmp_path), name)
    with open(p, "wb") as f:
        f.write(m.SerializeToString())
    return p


def test_symbolic_dims_stay_dynamic(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    m = make_model(nodes, {"x": (np.float32, ["batch", 3, None, 224])}, ["y"])
    g = to_graph(m, tmp_path)
    assert g.parameters[0].output(0).shape == [-1, 3, -1, 224]
    ir = read_ir(g)
    assert ov_shape(ir.inputs[0]) == [-1, 3, -1, 224]
    assert ov_shape(ir.outputs[0]) == [-1, 3, -1, 224]


def test_input_without_shape_has_dynamic_rank(tmp_path):
    m = make_model([helper.make_node("Relu", ["x"], ["y"])], {}, ["y"])
    m.graph.input.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, None))
    g = to_graph(m, tmp_path)
    assert g.parameters[0].output(0).shape is None


def test_tensor_and_friendly_names(tmp_path):
    nodes = [helper.make_node("Conv", ["img", "w"], ["conv_out"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["conv_out"], ["relu_out"]),  # unnamed: friendly name = output name
             helper.make_node("Sigmoid", ["relu_out"], ["prob"], name="head")]
    m = make_model(nodes, {"img": (np.float32, [1, 2, 5, 5])}, ["prob", "relu_out"],
                   {"w": R.randn(3, 2, 3, 3).astype(np.float32)})
    g = to_graph(m, tmp_path)
    names = {n.name for n in g.topo_order()}
    assert {"conv1", "relu_out", "head"} <= names
    ir = read_ir(g)
    assert ir.inputs[0].get_names() == {"img"}
    assert "prob" in ir.outputs[0].get_names()
    assert "relu_out" in ir.outputs[1].get_names()
    # results in ONNX output order
    x = R.randn(1, 2, 5, 5).astype(np.float32)
    out = run_ir(g, {"img": x})
    assert out[0].shape == (1, 3, 5, 5)


def test_intermediate_tensor_names_survive(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["mid"]), helper.make_node("Neg", ["mid"], ["y"])]
    g = to_graph(make_model(nodes, {"x": (np.float32, [2])}, ["y"]), tmp_path)
    assert any("mid" in n.output(0).names for n in g.topo_order() if n.num_outputs)


def test_graph_output_is_graph_input(tmp_path):
    m = make_model([helper.make_node("Identity", ["x"], ["y"])], {"x": (np.float32, [3])}, ["y", "x"])
    x = np.arange(3, dtype=np.float32)
    out = run_ir(to_graph(m, tmp_path), {"x": x})
    np.testing.assert_array_equal(out[0], x)
    np.testing.assert_array_equal(out[1], x)


def test_initializer_listed_as_input_is_constant(tmp_path):
    w = np.arange(3, dtype=np.float32)
    m = make_model([helper.make_node("Add", ["x", "w"], ["y"])], {"x": (np.float32, [3]), "w": (np.float32, [3])},
                   ["y"], {"w": w})
    g = to_graph(m, tmp_path)
    assert [p.name for p in g.parameters] == ["x"]
    np.testing.assert_array_equal(run_ir(g, {"x": w})["y"], 2 * w)


def test_unsorted_nodes(tmp_path):
    nodes = [helper.make_node("Neg", ["a"], ["y"]), helper.make_node("Relu", ["x"], ["a"])]
    m = make_model(nodes, {"x": (np.float32, [4])}, ["y"])
    x = R.randn(4).astype(np.float32)
    np.testing.assert_array_equal(run_ir(to_graph(m, tmp_path), {"x": x})["y"], -np.maximum(x, 0))


def test_options_unknown_keys_ignored(tmp_path):
    m = make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": (np.float32, [2])}, ["y"])
    p = _save(m, tmp_path)
    convert(p, {"input_shapes": {"x": [2]}, "whatever": 1})
    convert(p)


def test_unsupported_ops_are_all_listed(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("Frobnicate", ["a", "a"], ["b"], name="fb1", domain="com.example"),
             helper.make_node("Frobnicate", ["a", "a"], ["c"], name="fb2", domain="com.example"),
             helper.make_node("Twiddle", ["a"], ["d"], name="tw", domain="org.test"),
             helper.make_node("MyCustomOp", ["a"], ["e"], name="custom", domain="com.example")]
    m = make_model(nodes, {"x": (np.float32, [1, 4, 4])}, ["b", "c", "d", "e"])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    m.opset_import.append(helper.make_opsetid("org.test", 3))
    p = _save(m, tmp_path)
    with pytest.raises(IrconvError) as ei:
        convert(p, {})
    msg = str(ei.value)
    assert p in msg
    assert "Frobnicate (domain com.example, opset 1): 2 nodes: 'fb1', 'fb2'" in msg
    assert "Twiddle (domain org.test, opset 3): 1 node: 'tw'" in msg
    assert "MyCustomOp (domain com.example, opset 1): 1 node: 'custom'" in msg
    assert "4 ONNX nodes of 3 unsupported operation types" in msg


def test_unsupported_listing_truncates_names(tmp_path):
    nodes = [helper.make_node("Twiddle", ["x"], ["d%d" % i], name="tw%d" % i, domain="org.test") for i in range(8)]
    m = make_model(nodes, {"x": (np.float32, [2, 2])}, ["d%d" % i for i in range(8)])
    m.opset_import.append(helper.make_opsetid("org.test", 1))
    with pytest.raises(IrconvError, match=r"8 nodes: 'tw0', 'tw1', 'tw2', 'tw3', 'tw4' and 3 more"):
        convert(_save(m, tmp_path), {})


def test_op_not_in_opset_range(tmp_path):
    # Gelu exists from opset 20: at opset 17 it is not an ONNX op and is reported as unsupported
    m = make_model([helper.make_node("Gelu", ["x"], ["y"])], {"x": (np.float32, [2])}, ["y"], opset=17)
    with pytest.raises(IrconvError, match=r"Gelu \(domain ai.onnx, opset 17\)"):
        convert(_save(m, tmp_path), {})


def test_translation_error_names_node(tmp_path):
    m = make_model([helper.make_node("Conv", ["x", "w"], ["y"], name="bad_conv")], {"x": (np.float32, [1, 3, 5, 5])},
                   ["y"], {"w": np.zeros((2, 4, 3, 3), np.float32)})
    with pytest.raises(IrconvError, match="Conv node 'bad_conv'"):
        convert(_save(m, tmp_path), {})


def test_missing_tensor(tmp_path):
    m = make_model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")], {"x": (np.float32, [2])}, ["y"])
    with pytest.raises(IrconvError, match="nowhere"):
        convert(_save(m, tmp_path), {})


def test_sequence_input_rejected(tmp_path):
    m = make_model([helper.make_node("Identity", ["x"], ["y"])], {}, ["y"])
    m.graph.input.append(helper.make_tensor_sequence_value_info("x", TensorProto.FLOAT, [2]))
    with pytest.raises(IrconvError, match="'x' is a sequence_type"):
        convert(_save(m, tmp_path), {})


def test_supported_ops_listing():
    ops = {(d, n) for d, n, _, _ in supported_ops()}
    for op in ("Conv", "Resize", "QuantizeLinear", "ScatterND", "Softmax", "LayerNormalization"):
        assert ("", op) in ops


def test_fixture_style_model_with_dynamic_batch(tmp_path):
    # Conv -> Flatten -> Gemm with a symbolic batch: shape sub-graphs stay valid for any batch
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Flatten", ["c"], ["f"]),
             helper.make_node("Gemm", ["f", "fc"], ["y"], transB=1)]
    m = make_model(nodes, {"x": (np.float32, ["n", 2, 4, 4])}, ["y"],
                   {"w": R.randn(3, 2, 3, 3).astype(np.float32), "fc": R.randn(5, 48).astype(np.float32)})
    for n in (1, 3):
        x = R.randn(n, 2, 4, 4).astype(np.float32)
        check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-4)


def test_friendly_names_unique(tmp_path):
    # two ONNX nodes with the same name, and a node named like an initializer
    nodes = [helper.make_node("Add", ["x", "w"], ["a"], name="w"),
             helper.make_node("Relu", ["a"], ["b"], name="dup"),
             helper.make_node("Neg", ["b"], ["y"], name="dup")]
    m = make_model(nodes, {"x": (np.float32, [3])}, ["y"], {"w": np.ones(3, np.float32)})
    g = to_graph(m, tmp_path, passes=False)
    names = [n.name for n in g.topo_order()]
    assert len(names) == len(set(names)), names
    assert "dup" in names and "w" in names
