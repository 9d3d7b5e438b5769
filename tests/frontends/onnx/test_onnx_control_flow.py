"""If / Loop / Scan as OpenVINO bodies, and sequence/optional ops lowered at conversion time:
converted, run on OpenVINO and compared with onnxruntime."""
import numpy as np
import pytest

from irconv.errors import IrconvError
from onnx_fe_util import TensorProto, check, helper, ir_ops, make_model, numpy_helper, rng, to_graph

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
R = rng(7)


def vi(name, et, shape=None):
    return helper.make_tensor_value_info(name, et, shape)


def const_node(name, value):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value), name + "_v"))


def graph(nodes, name, inputs, outputs, inits=()):
    return helper.make_graph(nodes, name, inputs, outputs, list(inits))


# ------------------------------------------------------------------ If


def _if_model(opset=13):
    # then: x + y (y from the outer scope); else: x * 2 then a nested If on the same condition
    then_b = graph([helper.make_node("Add", ["x", "y"], ["t_out"])], "then", [], [vi("t_out", F)])
    inner_then = graph([helper.make_node("Neg", ["m"], ["it_out"])], "it", [], [vi("it_out", F)])
    inner_else = graph([helper.make_node("Abs", ["m"], ["ie_out"])], "ie", [], [vi("ie_out", F)])
    else_b = graph([const_node("two", np.float32(2)), helper.make_node("Mul", ["x", "two"], ["m"]),
                    helper.make_node("If", ["c2"], ["e_out"], then_branch=inner_then, else_branch=inner_else)],
                   "else", [], [vi("e_out", F)])
    nodes = [helper.make_node("Greater", ["s", "zero"], ["c"]), helper.make_node("Not", ["c"], ["c2"]),
             helper.make_node("If", ["c"], ["out"], then_branch=then_b, else_branch=else_b, name="branch")]
    return make_model(nodes, {"x": (np.float32, [2, 3]), "y": (np.float32, [3]), "s": (np.float32, [])}, ["out"],
                      {"zero": np.float32(0)}, opset=opset)


@pytest.mark.parametrize("s", [1.0, -1.0])
def test_if_runtime_condition_with_outer_scope_and_nesting(s, tmp_path):
    m = _if_model()
    feeds = {"x": R.randn(2, 3).astype(np.float32), "y": R.randn(3).astype(np.float32), "s": np.array(s, np.float32)}
    g, _, _ = check(m, feeds, tmp_path)
    assert ir_ops(g)["If"] == 1


def test_if_known_condition_is_inlined(tmp_path):
    then_b = graph([helper.make_node("Relu", ["x"], ["t"])], "then", [], [vi("t", F)])
    else_b = graph([helper.make_node("Neg", ["x"], ["e"])], "else", [], [vi("e", F)])
    nodes = [helper.make_node("If", ["c"], ["out"], then_branch=then_b, else_branch=else_b)]
    m = make_model(nodes, {"x": (np.float32, [4])}, ["out"], {"c": np.array([False])}, opset=13)
    g, _, _ = check(m, {"x": R.randn(4).astype(np.float32)}, tmp_path)
    assert "If" not in ir_ops(g) and "Negative" in ir_ops(g)


def test_if_branch_shapes_differ(tmp_path):
    then_b = graph([helper.make_node("Concat", ["x", "x"], ["t"], axis=0)], "then", [], [vi("t", F)])
    else_b = graph([helper.make_node("Identity", ["x"], ["e"])], "else", [], [vi("e", F)])
    m = make_model([helper.make_node("If", ["c"], ["out"], then_branch=then_b, else_branch=else_b)],
                   {"c": (np.bool_, []), "x": (np.float32, [2, 3])}, ["out"], opset=13)
    for c in (True, False):
        g, got, _ = check(m, {"c": np.array(c), "x": R.randn(2, 3).astype(np.float32)}, tmp_path)
    assert g.results[0].inputs[0].shape == [-1, 3]


# ------------------------------------------------------------------ Loop


def _loop_body(carried_shape=(1,)):
    # y_out = y_in + i + bias (bias from the outer scope); scan output y_out^2
    nodes = [helper.make_node("Cast", ["i"], ["fi"], to=F),
             helper.make_node("Add", ["y_in", "fi"], ["y1"]),
             helper.make_node("Add", ["y1", "bias"], ["y_out"]),
             helper.make_node("Identity", ["cond_in"], ["cond_out"]),
             helper.make_node("Mul", ["y_out", "y_out"], ["sq"])]
    return graph(nodes, "body", [vi("i", I64, []), vi("cond_in", B, []), vi("y_in", F, list(carried_shape))],
                 [vi("cond_out", B, []), vi("y_out", F), vi("sq", F)])


@pytest.mark.parametrize("trip", [0, 1, 4])
def test_loop_trip_count_carried_and_scan_outputs(trip, tmp_path):
    body = _loop_body()
    nodes = [helper.make_node("Loop", ["M", "cond", "y0"], ["y", "scan"], body=body, name="loop")]
    m = make_model(nodes, {"y0": (np.float32, [1]), "bias": (np.float32, [1])}, ["y", "scan"],
                   {"M": np.int64(trip), "cond": np.array(True)}, opset=13)
    feeds = {"y0": np.array([1.5], np.float32), "bias": np.array([0.25], np.float32)}
    g, _, _ = check(m, feeds, tmp_path)  # trip 0: the initial value and an empty [0, 1] scan output
    loop = [n for n in g.topo_order() if n.type == "Loop"][0]
    assert loop.output(1).shape == [trip, 1]  # trip count and an always-true condition: static


def test_loop_while_condition_from_body(tmp_path):
    # while (y < limit): y = y * 2 ; M absent, cond computed in the body
    body = graph([helper.make_node("Mul", ["y_in", "two"], ["y_out"]),
                  helper.make_node("ReduceMax", ["y_out"], ["mx"], keepdims=0),
                  helper.make_node("Less", ["mx", "limit"], ["cond_out"]),
                  helper.make_node("Identity", ["i"], ["it"])],
                 "body", [vi("i", I64, []), vi("cond_in", B, []), vi("y_in", F, [3])],
                 [vi("cond_out", B, []), vi("y_out", F), vi("it", I64)], [numpy_helper.from_array(np.float32(2), "two")])
    nodes = [helper.make_node("ReduceMax", ["x"], ["mx0"], keepdims=0), helper.make_node("Less", ["mx0", "limit"], ["c0"]),
             helper.make_node("Loop", ["", "c0", "x"], ["y", "iters"], body=body)]
    m = make_model(nodes, {"x": (np.float32, [3]), "limit": (np.float32, [])}, ["y", "iters"], opset=13)
    check(m, {"x": np.array([1, 2, 3], np.float32), "limit": np.array(50, np.float32)}, tmp_path)


def test_loop_carried_shape_grows(tmp_path):
    body = graph([helper.make_node("Concat", ["acc_in", "x"], ["acc_out"], axis=0),
                  helper.make_node("Identity", ["cond_in"], ["cond_out"])],
                 "body", [vi("i", I64, []), vi("cond_in", B, []), vi("acc_in", F, None)],
                 [vi("cond_out", B, []), vi("acc_out", F)])
    nodes = [helper.make_node("Loop", ["M", "", "x"], ["acc"], body=body)]
    m = make_model(nodes, {"x": (np.float32, [2, 3])}, ["acc"], {"M": np.int64(3)}, opset=13)
    g, _, _ = check(m, {"x": R.randn(2, 3).astype(np.float32)}, tmp_path)
    assert g.results[0].inputs[0].shape == [-1, 3]


def test_nested_loop_with_if_and_outer_captures(tmp_path):
    # outer loop i: inner loop j (trip = i+1) adds w (outer-scope tensor) and, if j is even, x
    inner_then = graph([helper.make_node("Add", ["z1", "x"], ["r"])], "t", [], [vi("r", F)])
    inner_else = graph([helper.make_node("Identity", ["z1"], ["r2"])], "e", [], [vi("r2", F)])
    inner = graph([helper.make_node("Add", ["z_in", "w"], ["z1"]),
                   helper.make_node("Mod", ["j", "two_i"], ["jm"]),
                   helper.make_node("Equal", ["jm", "zero_i"], ["even"]),
                   helper.make_node("If", ["even"], ["z_out"], then_branch=inner_then, else_branch=inner_else),
                   helper.make_node("Identity", ["c_in"], ["c_out"])],
                  "inner", [vi("j", I64, []), vi("c_in", B, []), vi("z_in", F, [2])], [vi("c_out", B, []), vi("z_out", F)])
    outer = graph([helper.make_node("Add", ["i", "one_i"], ["n"]),
                   helper.make_node("Loop", ["n", "", "y_in"], ["y_out"], body=inner),
                   helper.make_node("Identity", ["cond_in"], ["cond_out"])],
                  "outer", [vi("i", I64, []), vi("cond_in", B, []), vi("y_in", F, [2])], [vi("cond_out", B, []), vi("y_out", F)])
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y"], body=outer)]
    inits = {"M": np.int64(3), "one_i": np.int64(1), "two_i": np.int64(2), "zero_i": np.int64(0)}
    m = make_model(nodes, {"y0": (np.float32, [2]), "x": (np.float32, [2]), "w": (np.float32, [2])}, ["y"], inits,
                   opset=13)
    feeds = {"y0": np.zeros(2, np.float32), "x": np.array([1, 10], np.float32), "w": np.array([0.5, 0.25], np.float32)}
    check(m, feeds, tmp_path)


def test_loop_builds_a_sequence_consumed_by_concat_from_sequence(tmp_path):
    # the range-expanded / sequence_map pattern: SequenceEmpty -> Loop { SequenceInsert } -> ConcatFromSequence
    body = graph([helper.make_node("Cast", ["i"], ["fi"], to=F),
                  helper.make_node("Mul", ["x", "fi"], ["item"]),
                  helper.make_node("SequenceInsert", ["seq_in", "item"], ["seq_out"]),
                  helper.make_node("Identity", ["cond_in"], ["cond_out"])],
                 "body", [vi("i", I64, []), vi("cond_in", B, []),
                          helper.make_tensor_sequence_value_info("seq_in", F, None)],
                 [vi("cond_out", B, []), helper.make_tensor_sequence_value_info("seq_out", F, None)])
    nodes = [helper.make_node("SequenceEmpty", [], ["s0"], dtype=F),
             helper.make_node("Loop", ["M", "", "s0"], ["s"], body=body),
             helper.make_node("ConcatFromSequence", ["s"], ["cat"], axis=1),
             helper.make_node("ConcatFromSequence", ["s"], ["stack"], axis=1, new_axis=1),
             helper.make_node("SequenceLength", ["s"], ["n"]),
             helper.make_node("SequenceAt", ["s", "k"], ["at"])]
    m = make_model(nodes, {"x": (np.float32, [2, 3]), "M": (np.int64, []), "k": (np.int64, [])},
                   ["cat", "stack", "n", "at"], opset=13)
    check(m, {"x": R.randn(2, 3).astype(np.float32), "M": np.array(4, np.int64), "k": np.array(-2, np.int64)}, tmp_path)


# ------------------------------------------------------------------ Scan


def _scan_body():
    return graph([helper.make_node("Add", ["s_in", "x_t"], ["s_out"]),
                  helper.make_node("Mul", ["s_out", "w"], ["y_t"])],
                 "body", [vi("s_in", F, [3]), vi("x_t", F, [3])], [vi("s_out", F), vi("y_t", F)])


@pytest.mark.parametrize("in_axis,in_dir,out_axis,out_dir", [(0, 0, 0, 0), (1, 1, 0, 0), (-1, 0, -1, 1), (1, 1, 1, 1)])
def test_scan9_axes_and_directions(in_axis, in_dir, out_axis, out_dir, tmp_path):
    x_shape = [5, 3] if in_axis == 0 else [3, 5]
    nodes = [helper.make_node("Scan", ["s0", "x"], ["s", "ys"], body=_scan_body(), num_scan_inputs=1,
                              scan_input_axes=[in_axis], scan_input_directions=[in_dir],
                              scan_output_axes=[out_axis], scan_output_directions=[out_dir])]
    m = make_model(nodes, {"s0": (np.float32, [3]), "x": (np.float32, x_shape), "w": (np.float32, [3])}, ["s", "ys"],
                   opset=11)
    feeds = {"s0": R.randn(3).astype(np.float32), "x": R.randn(*x_shape).astype(np.float32),
             "w": R.randn(3).astype(np.float32)}
    g, _, _ = check(m, feeds, tmp_path)
    assert ir_ops(g)["TensorIterator"] == 1


@pytest.mark.parametrize("batch", [1, 2])
def test_scan8_batch(batch, tmp_path):
    body = graph([helper.make_node("Add", ["s_in", "x_t"], ["s_out"]), helper.make_node("Identity", ["s_out"], ["y_t"])],
                 "body", [vi("s_in", F, [3]), vi("x_t", F, [3])], [vi("s_out", F), vi("y_t", F)])
    nodes = [helper.make_node("Scan", ["", "s0", "x"], ["s", "ys"], body=body, num_scan_inputs=1, directions=[1])]
    m = make_model(nodes, {"s0": (np.float32, [batch, 3]), "x": (np.float32, [batch, 4, 3])}, ["s", "ys"], opset=8)
    check(m, {"s0": R.randn(batch, 3).astype(np.float32), "x": R.randn(batch, 4, 3).astype(np.float32)}, tmp_path)


# ------------------------------------------------------------------ sequences and optionals


def test_split_to_sequence_and_back(tmp_path):
    nodes = [helper.make_node("SplitToSequence", ["x", "split"], ["s"], axis=1),
             helper.make_node("SequenceAt", ["s", "one"], ["a"]),
             helper.make_node("SequenceErase", ["s", "zero"], ["s2"]),
             helper.make_node("SequenceInsert", ["s2", "x", "zero"], ["s3"]),
             helper.make_node("SequenceLength", ["s3"], ["n"]),
             helper.make_node("ConcatFromSequence", ["s2"], ["cat"], axis=1),
             helper.make_node("SplitToSequence", ["x"], ["u"], axis=0, keepdims=0),
             helper.make_node("ConcatFromSequence", ["u"], ["stack"], axis=-1, new_axis=1),
             helper.make_node("SplitToSequence", ["x", "two"], ["c"], axis=1),
             helper.make_node("SequenceLength", ["c"], ["nc"])]
    inits = {"split": np.array([1, 2, 3], np.int64), "one": np.int64(1), "zero": np.int64(0), "two": np.int64(2)}
    m = make_model(nodes, {"x": (np.float32, [2, 6])}, ["a", "n", "cat", "stack", "nc"], inits, opset=13)
    check(m, {"x": R.randn(2, 6).astype(np.float32)}, tmp_path)


def test_split_to_sequence_of_dynamic_length(tmp_path):
    nodes = [helper.make_node("SplitToSequence", ["x"], ["s"], axis=1, keepdims=1),
             helper.make_node("SequenceLength", ["s"], ["n"]),
             helper.make_node("SequenceAt", ["s", "k"], ["at"]),
             helper.make_node("ConcatFromSequence", ["s"], ["cat"], axis=2),
             helper.make_node("SplitToSequence", ["x"], ["t"], axis=1, keepdims=0),
             helper.make_node("ConcatFromSequence", ["t"], ["st"], axis=0, new_axis=1)]
    m = make_model(nodes, {"x": (np.float32, [2, "n", 3]), "k": (np.int64, [])}, ["n", "at", "cat", "st"], opset=13)
    check(m, {"x": R.randn(2, 5, 3).astype(np.float32), "k": np.array(3, np.int64)}, tmp_path)


def test_sequence_construct_map_and_runtime_position(tmp_path):
    body = graph([helper.make_node("Mul", ["item", "scale"], ["o"]), helper.make_node("Shape", ["item"], ["shp"])],
                 "map", [vi("item", F, None), vi("scale", F, None)], [vi("o", F), vi("shp", I64)])
    nodes = [helper.make_node("SequenceConstruct", ["a", "b", "a"], ["s"]),
             helper.make_node("SequenceMap", ["s", "w"], ["m", "shapes"], body=body),
             helper.make_node("SequenceAt", ["m", "k"], ["pick"]),
             helper.make_node("ConcatFromSequence", ["shapes"], ["all_shapes"], axis=0)]
    m = make_model(nodes, {"a": (np.float32, [2, 3]), "b": (np.float32, [2, 3]), "w": (np.float32, [3]),
                           "k": (np.int64, [])}, ["pick", "all_shapes"], opset=17)
    feeds = {"a": R.randn(2, 3).astype(np.float32), "b": R.randn(2, 3).astype(np.float32),
             "w": R.randn(3).astype(np.float32), "k": np.array(1, np.int64)}
    check(m, feeds, tmp_path)


def test_optional_ops(tmp_path):
    nodes = [helper.make_node("Optional", ["x"], ["o"]),
             helper.make_node("OptionalHasElement", ["o"], ["has"]),
             helper.make_node("OptionalGetElement", ["o"], ["v"]),
             helper.make_node("Optional", [], ["e"], type=helper.make_tensor_type_proto(F, [2])),
             helper.make_node("OptionalHasElement", ["e"], ["has_e"]),
             helper.make_node("OptionalHasElement", [""], ["has_none"])]
    m = make_model(nodes, {"x": (np.float32, [2])}, ["has", "v", "has_e", "has_none"], opset=18)
    check(m, {"x": R.randn(2).astype(np.float32)}, tmp_path)


def test_unsupported_cases_name_the_node(tmp_path):
    # a sequence as a graph output cannot be an IR output
    m = make_model([helper.make_node("SequenceConstruct", ["x"], ["s"])], {"x": (np.float32, [2])},
                   [helper.make_tensor_sequence_value_info("s", F, None)], opset=13)
    with pytest.raises(IrconvError, match="graph output 's' is an ONNX sequence"):
        to_graph(m, tmp_path)
    # an unsupported op inside a body is reported with the sub-graph
    body = graph([helper.make_node("NoSuchOp", ["x"], ["t"])], "then", [], [vi("t", F)])
    m = make_model([helper.make_node("If", ["c"], ["y"], then_branch=body, else_branch=body, name="cond")],
                   {"c": (np.bool_, []), "x": (np.float32, [2])}, ["y"], opset=13)
    with pytest.raises(IrconvError, match="(?s)sub-graph .then. of If node .cond.*NoSuchOp"):
        to_graph(m, tmp_path)
    # SequenceAt out of range
    m = make_model([helper.make_node("SequenceConstruct", ["x"], ["s"]), helper.make_node("SequenceAt", ["s", "k"], ["y"])],
                   {"x": (np.float32, [2])}, ["y"], {"k": np.int64(3)}, opset=13)
    with pytest.raises(IrconvError, match="SequenceAt node.*position 3 is out of range"):
        to_graph(m, tmp_path)


def test_scan_inside_scan(tmp_path):
    # OpenVINO does not nest TensorIterators: the inner Scan becomes a Loop over its scan axis
    inner_body = graph([helper.make_node("Add", ["a_in", "e"], ["a_out"]), helper.make_node("Identity", ["a_out"], ["ao"])],
                       "inner", [vi("a_in", F, []), vi("e", F, [])], [vi("a_out", F), vi("ao", F)])
    outer_body = graph([helper.make_node("Scan", ["zero", "row"], ["rs", "cums"], body=inner_body, num_scan_inputs=1,
                                         scan_input_directions=[1]),
                        helper.make_node("Add", ["s_in", "rs"], ["s_out"])],
                       "outer", [vi("s_in", F, []), vi("row", F, [4])], [vi("s_out", F), vi("cums", F)])
    nodes = [helper.make_node("Scan", ["s0", "x"], ["s", "all"], body=outer_body, num_scan_inputs=1)]
    m = make_model(nodes, {"s0": (np.float32, []), "x": (np.float32, [3, 4])}, ["s", "all"], {"zero": np.float32(0)},
                   opset=11)
    g, _, _ = check(m, {"s0": np.array(1, np.float32), "x": R.randn(3, 4).astype(np.float32)}, tmp_path)
    ti = [n for n in g.topo_order() if n.type == "TensorIterator"][0]
    assert [n.type for n in ti.bodies[0].topo_order()].count("Loop") == 1
