"""TF frontend on hand-made small files (no TensorFlow): file formats and their failure modes
(truncated/corrupt files -> one clean IrconvError naming the file), checkpoints V1/V2 (whole,
sliced, string tensors, state file, folders), cutting with node / node:port / port:node / shapes /
types / values, the unsupported-op report, TF2 functional ops built by hand."""
import os

import numpy as np
import pytest

import irconv
from helpers import infer_xml
from irconv.errors import IrconvError
from irconv.frontends.tensorflow import proto
from irconv.frontends.tensorflow.checkpoint import open_checkpoint
from tf_writers import GraphBuilder, set_attr, write_v1_checkpoint, write_v2_checkpoint

F32 = np.float32


def _small_graph(var_op=None):
    """x[?, 3] -> MatMul(W[3, 2]) + b -> Relu -> out; W/b constants or variables."""
    g = GraphBuilder()
    g.placeholder("x", F32, [None, 3])
    if var_op:
        g.variable("W", [3, 2], op=var_op)
        g.variable("b", [2], op=var_op)
        w, b = "W/read", "b/read"
    else:
        w, b = g.const("W", np.arange(6, dtype=F32).reshape(3, 2)), g.const("b", np.array([1, -20], F32))
    g.op("MatMul", "mm", ["x", w], transpose_a=False, transpose_b=False)
    g.op("BiasAdd", "add", ["mm", b])
    g.op("Relu", "out", ["add"])
    return g


W = np.arange(6, dtype=F32).reshape(3, 2)
B = np.array([1, -20], F32)


def _ref(x, w=W, b=B):
    return np.maximum(x @ w + b, 0)


def _convert_run(path, feeds, tmp, **kw):
    m = irconv.convert_model(path, **kw)
    xml = os.path.join(str(tmp), "m.xml")
    m.save(xml, compress_to_fp16=False)
    return m, infer_xml(xml, feeds)


X = np.array([[1, 2, 3], [-1, 0, 4]], F32)


# ---------------------------------------------------------------- formats

def test_binary_and_text_graphdef(tmp_path):
    g = _small_graph()
    pb = tmp_path / "m.pb"
    pb.write_bytes(g.binary())
    _, got = _convert_run(str(pb), {"x": X}, tmp_path)
    np.testing.assert_allclose(got["out"], _ref(X))
    txt = tmp_path / "m.pbtxt"
    txt.write_text(g.text())
    _, got = _convert_run(str(txt), {"x": X}, tmp_path)
    np.testing.assert_allclose(got["out"], _ref(X))
    # a text GraphDef named .pb is recognized by its content
    pb2 = tmp_path / "text_named.pb"
    pb2.write_text(g.text())
    _, got = _convert_run(str(pb2), {"x": X}, tmp_path)
    np.testing.assert_allclose(got["out"], _ref(X))


def test_text_graphdef_with_fields_of_newer_tf_versions(tmp_path):
    text = _small_graph().text()
    # fields irconv does not know: NodeDef.experimental_type (FullTypeDef), experimental_debug_info,
    # a GraphDef-level debug_info, an unknown attr value kind
    text = text.replace('name: "out"\n  op: "Relu"', 'name: "out"\n  op: "Relu"\n  experimental_type {\n    type_id: TFT_PRODUCT\n'
                        '    args {\n      type_id: TFT_TENSOR\n      args { type_id: TFT_FLOAT }\n    }\n  }\n'
                        '  experimental_debug_info { original_node_names: "relu" }', 1)
    text += 'debug_info {\n  files: "model.py"\n}\nsome_future_field: 7\n'
    p = tmp_path / "new.pbtxt"
    p.write_text(text)
    _, got = _convert_run(str(p), {"x": X}, tmp_path, input_model_is_text=True)
    np.testing.assert_allclose(got["out"], _ref(X))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_broken_graphdef_is_a_clean_error(tmp_path, damage):
    data = _small_graph().binary()
    p = tmp_path / "broken.pb"
    p.write_bytes({"truncated": data[:len(data) // 2], "garbage": b"\xff\x01\x02" * 50, "empty": b""}[damage])
    with pytest.raises(IrconvError) as e:
        irconv.convert_model(str(p))
    assert "broken.pb" in str(e.value)


def test_broken_text_graphdef_names_the_file(tmp_path):
    p = tmp_path / "bad.pbtxt"
    p.write_text('node {\n  name: "x"\n  op: "Placeholder"\n  attr { key: "dtype" value { type: DT_NOPE } }\n}\n')
    with pytest.raises(IrconvError) as e:
        irconv.convert_model(str(p))
    assert "bad.pbtxt" in str(e.value)


@pytest.mark.parametrize("var_op", ["VariableV2", "Variable"])
@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_graph_plus_checkpoint(tmp_path, var_op, fmt):
    g = _small_graph(var_op)
    (tmp_path / "g.pbtxt").write_text(g.text())
    w2 = W * 2
    if fmt == "v1":
        write_v1_checkpoint(str(tmp_path / "model.ckpt"), {"W": w2, "b": B})
        ck = str(tmp_path / "model.ckpt")
    else:
        write_v2_checkpoint(str(tmp_path / "model.ckpt"), {"W": w2, "b": B})
        ck = str(tmp_path / "model.ckpt")
    _, got = _convert_run(str(tmp_path / "g.pbtxt"), {"x": X}, tmp_path, input_checkpoint=ck, output="out")
    np.testing.assert_allclose(got["out"], _ref(X, w2))


def test_checkpoint_folder_state_file_and_shards(tmp_path):
    d = tmp_path / "ck"
    d.mkdir()
    write_v2_checkpoint(str(d / "model-10"), {"W": W + 1, "b": B})
    write_v2_checkpoint(str(d / "model-20"), {"W": W + 2, "b": B})
    (d / "checkpoint").write_text('model_checkpoint_path: "model-20"\nall_model_checkpoint_paths: "model-10"\n')
    ck = open_checkpoint(str(d))
    np.testing.assert_array_equal(ck.read("W"), W + 2)
    # a folder of V1 files, each with some of the variables (lm_1b style)
    d1 = tmp_path / "v1"
    d1.mkdir()
    write_v1_checkpoint(str(d1 / "ckpt-a"), {"W": W})
    write_v1_checkpoint(str(d1 / "ckpt-b"), {"b": B, "step": np.int64(5)})
    ck = open_checkpoint(str(d1))
    assert sorted(ck.keys()) == ["W", "b", "step"]
    assert int(ck.read("step")) == 5
    # a .index path and a data-file path name the same V2 bundle
    for p in ("model-10.index", "model-10.data-00000-of-00001"):
        np.testing.assert_array_equal(open_checkpoint(str(d / p)).read("W"), W + 1)


def test_sliced_tensors_v1_and_v2(tmp_path):
    full = np.arange(40, dtype=F32).reshape(10, 4)
    parts = [([0, 0], [4, 4]), ([4, 0], [3, 4]), ([7, 0], [3, -1])]
    write_v1_checkpoint(str(tmp_path / "v1"), {"w": full}, {"w": parts})
    write_v2_checkpoint(str(tmp_path / "v2"), {"w": full}, {"w": parts})
    for p in ("v1", "v2"):
        ck = open_checkpoint(str(tmp_path / p))
        np.testing.assert_array_equal(ck.read("w"), full)
        np.testing.assert_array_equal(ck.read_slice("w", [4, 0], [3, 4]), full[4:7])
        np.testing.assert_array_equal(ck.read_slice("w", [2, 1], [6, 2]), full[2:8, 1:3])   # across slices


def test_v2_string_tensor(tmp_path):
    write_v2_checkpoint(str(tmp_path / "s"), {"w": W}, strings={"_CHECKPOINTABLE_OBJECT_GRAPH": b"\x0a\x00hello"})
    ck = open_checkpoint(str(tmp_path / "s"))
    assert ck.read("_CHECKPOINTABLE_OBJECT_GRAPH").strings == [b"\x0a\x00hello"]


@pytest.mark.parametrize("damage", ["index_truncated", "index_magic", "data_truncated", "data_missing", "v1_truncated"])
def test_broken_checkpoints_are_clean_errors(tmp_path, damage):
    g = _small_graph("VariableV2")
    (tmp_path / "g.pbtxt").write_text(g.text())
    prefix = str(tmp_path / "model.ckpt")
    if damage == "v1_truncated":
        write_v1_checkpoint(prefix, {"W": W, "b": B})
        data = open(prefix, "rb").read()
        open(prefix, "wb").write(data[:-10])
        bad = prefix
    else:
        write_v2_checkpoint(prefix, {"W": W, "b": B})
        index, dataf = prefix + ".index", prefix + ".data-00000-of-00001"
        if damage == "index_truncated":
            data = open(index, "rb").read()
            open(index, "wb").write(data[:len(data) - 30])
            bad = index
        elif damage == "index_magic":
            data = bytearray(open(index, "rb").read())
            data[-1] ^= 0xFF
            open(index, "wb").write(bytes(data))
            bad = index
        elif damage == "data_truncated":
            data = open(dataf, "rb").read()
            open(dataf, "wb").write(data[:8])
            bad = dataf
        else:
            os.remove(dataf)
            bad = dataf
    with pytest.raises(IrconvError) as e:
        irconv.convert_model(str(tmp_path / "g.pbtxt"), input_checkpoint=prefix, output="out")
    assert os.path.basename(bad) in str(e.value)


def test_missing_variable_and_missing_checkpoint(tmp_path):
    g = _small_graph("VariableV2")
    (tmp_path / "g.pbtxt").write_text(g.text())
    write_v2_checkpoint(str(tmp_path / "c"), {"W": W})
    with pytest.raises(IrconvError, match="variable 'b'.*no value in checkpoint"):
        irconv.convert_model(str(tmp_path / "g.pbtxt"), input_checkpoint=str(tmp_path / "c"), output="out")
    with pytest.raises(IrconvError, match="needs a checkpoint"):
        irconv.convert_model(str(tmp_path / "g.pbtxt"), output="out")
    with pytest.raises(IrconvError, match="not found"):
        irconv.convert_model(str(tmp_path / "g.pbtxt"), input_checkpoint=str(tmp_path / "nope"), output="out")


def test_saved_model_errors(tmp_path):
    d = tmp_path / "sm"
    d.mkdir()
    (d / "saved_model.pb").write_bytes(b"")
    with pytest.raises(IrconvError, match="saved_model.pb"):
        irconv.convert_model(str(d), framework="tf")
    sm = proto.SavedModel()
    mg = sm.meta_graphs.add()
    mg.meta_info_def.tags.append("train")
    mg.graph_def.CopyFrom(_small_graph().gd)
    (d / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(IrconvError, match=r"no MetaGraph with tags \{serve\}.*\{train\}"):
        irconv.convert_model(str(d), framework="tf", saved_model_tags="serve")
    _, got = _convert_run(str(d), {"x": X}, tmp_path, framework="tf", saved_model_tags="train", output="out")
    np.testing.assert_allclose(got["out"], _ref(X))


def test_meta_graph_with_checkpoint_beside_it(tmp_path):
    mg = proto.MetaGraphDef()
    mg.graph_def.CopyFrom(_small_graph("VariableV2").gd)
    (tmp_path / "model.ckpt.meta").write_bytes(mg.SerializeToString())
    write_v2_checkpoint(str(tmp_path / "model.ckpt"), {"W": W, "b": B})
    _, got = _convert_run(str(tmp_path / "model.ckpt.meta"), {"x": X}, tmp_path, output="out")
    np.testing.assert_allclose(got["out"], _ref(X))


# ---------------------------------------------------------------- unsupported ops, cutting

def _graph_with_unknown_ops():
    g = GraphBuilder()
    g.placeholder("x", F32, [2, 3])
    g.op("FancyOp", "fancy_a", ["x"])
    g.op("FancyOp", "fancy_b", ["fancy_a"])
    g.op("OtherOp", "other", ["fancy_b"])
    g.op("Relu", "r", ["other"])
    g.op("Sigmoid", "out", ["r"])
    return g


def test_unsupported_ops_listed_at_once(tmp_path):
    p = tmp_path / "u.pb"
    p.write_bytes(_graph_with_unknown_ops().binary())
    with pytest.raises(IrconvError) as e:
        irconv.convert_model(str(p), output="out")
    msg = str(e.value)
    assert "3 TensorFlow nodes of 2 unsupported operation types" in msg
    assert "FancyOp: 2 nodes: 'fancy_a', 'fancy_b'" in msg and "OtherOp: 1 node: 'other'" in msg


def test_cut_above_unsupported_ops(tmp_path):
    """Cutting happens in the TF graph: ops above the cut need no translator."""
    p = tmp_path / "u.pb"
    p.write_bytes(_graph_with_unknown_ops().binary())
    x = np.array([[-1, 0, 2]], F32)
    for spec in ("other", "other:0", "0:r"):
        m, got = _convert_run(str(p), {spec: x}, tmp_path, input=spec + "[1,3]", output="out")
        assert m.inputs[0]["shape"] == [1, 3] and m.inputs[0]["element_type"] == "f32"
        np.testing.assert_allclose(got["out"], 1 / (1 + np.exp(-np.maximum(x, 0))), rtol=1e-6)


def test_cut_input_takes_the_tensor_type_and_freezing(tmp_path):
    g = GraphBuilder()
    g.placeholder("x", F32, [None, 4])
    g.op("Shape", "shp", ["x"], out_type=("type", 3))
    g.const("one", np.int32(1))
    g.op("AddV2", "n", ["shp", "one"], T=np.int32)
    g.op("Cast", "f", ["n"], T=None, SrcT=("type", 3), DstT=("type", 1))
    g.op("Mul", "out", ["f", "f"])
    g.placeholder("s", F32, [])
    g.op("Mul", "out2", ["s", "s"])
    p = tmp_path / "t.pb"
    p.write_bytes(g.binary())
    m, got = _convert_run(str(p), {"shp": np.array([2, 5], np.int32)}, tmp_path, input="shp[2]", output="out")
    assert m.inputs[0]["element_type"] == "i32"            # the tensor's TF type, not f32
    np.testing.assert_allclose(got["out"], np.array([9, 36], F32))
    m, got = _convert_run(str(p), {"shp": np.array([2, 5], np.int64)}, tmp_path, input="shp[2]{i64}",
                          output="out")
    assert m.inputs[0]["element_type"] == "i64"
    # name[] = a scalar; name->value freezes
    m, got = _convert_run(str(p), {"s": np.array(3, F32)}, tmp_path, input="s[]", output="out2")
    assert m.inputs[0]["shape"] == []
    np.testing.assert_allclose(got["out2"], 9)
    m, got = _convert_run(str(p), {}, tmp_path, input="shp->[3,4]", output="out")
    assert m.inputs == []
    np.testing.assert_allclose(got["out"], np.array([16, 25], F32))


def test_output_ports_and_names(tmp_path):
    g = GraphBuilder()
    g.placeholder("x", F32, [2, 6])
    g.const("axis", np.int32(1))
    g.op("Split", "sp", ["axis", "x"], num_split=3)
    g.op("Neg", "neg", ["sp:2"])
    p = tmp_path / "s.pb"
    p.write_bytes(g.binary())
    x = np.arange(12, dtype=F32).reshape(2, 6)
    m, got = _convert_run(str(p), {"x": x}, tmp_path, output="sp:1,0:neg")
    np.testing.assert_allclose(got["sp:1"], x[:, 2:4])
    np.testing.assert_allclose(got["0:neg"], x[:, 4:6])
    with pytest.raises(IrconvError, match="has 3 output"):
        irconv.convert_model(str(p), output="sp:3")
    with pytest.raises(IrconvError, match="no node named 'nope'"):
        irconv.convert_model(str(p), output="nope")


def test_input_shape_without_input_and_default_outputs(tmp_path):
    p = tmp_path / "m.pb"
    p.write_bytes(_small_graph().binary())
    m, got = _convert_run(str(p), {"x": X}, tmp_path, input_shape="[2,3]")
    assert m.inputs[0]["shape"] == [2, 3]
    assert "out" in m.outputs[0]["names"]
    np.testing.assert_allclose(got["out"], _ref(X))


# ---------------------------------------------------------------- TF2 functions built by hand

def _fn(lib, name, args, rets, nodes):
    """args: [(name, dtype)], rets: {out name: 'node:arg:0'}, nodes: [(op, name, inputs, attrs)]."""
    f = lib.function.add()
    f.signature.name = name
    for a, dt in args:
        f.signature.input_arg.add(name=a, type=dt)
    for r in rets:
        f.signature.output_arg.add(name=r, type=1 if not r.startswith("i") else 3)
    for op, n, ins, attrs in nodes:
        nd = f.node_def.add(name=n, op=op)
        nd.input.extend(ins)
        for k, v in attrs.items():
            set_attr(nd.attr[k], v)
    for r, v in rets.items():
        f.ret[r] = v
    return f


def test_functional_while_if_and_call_by_hand(tmp_path):
    """While(i < n: x = x * 2 + 1), If(x.sum > 0: relu else neg), a PartitionedCall, built as
    FunctionDefs the way TF2 writes them ('node:output:0' references)."""
    g = GraphBuilder()
    lib = g.gd.library
    T1, TI = ("type", 1), ("type", 3)
    _fn(lib, "cond", [("i", 3), ("x", 1)], {"o": "less:z:0"},
        [("Const", "lim", [], {"dtype": TI, "value": np.int32(3)}),
         ("Less", "less", ["i", "lim:output:0"], {"T": TI})])
    _fn(lib, "body", [("i", 3), ("x", 1)], {"i_out": "inc:z:0", "x_out": "add:z:0"},
        [("Const", "one", [], {"dtype": TI, "value": np.int32(1)}),
         ("AddV2", "inc", ["i", "one:output:0"], {"T": TI}),
         ("Const", "two", [], {"dtype": T1, "value": np.float32(2)}),
         ("Mul", "mul", ["x", "two:output:0"], {"T": T1}),
         ("Const", "onef", [], {"dtype": T1, "value": np.float32(1)}),
         ("AddV2", "add", ["mul:z:0", "onef:output:0"], {"T": T1})])
    _fn(lib, "then", [("x", 1)], {"y": "r:activations:0"}, [("Relu", "r", ["x"], {"T": T1})])
    _fn(lib, "else", [("x", 1)], {"y": "n:y:0"}, [("Neg", "n", ["x"], {"T": T1})])
    _fn(lib, "square", [("x", 1)], {"y": "sq:y:0"}, [("Square", "sq", ["x"], {"T": T1})])
    g.placeholder("x", F32, [2, 2])
    g.const("i0", np.int32(0))
    g.node("StatelessWhile", "loop", ["i0", "x"], T=("list_type", [3, 1]), cond=("func", "cond"),
           body=("func", "body"), parallel_iterations=10)
    g.const("axes", np.array([0, 1], np.int32))
    g.op("Sum", "s", ["loop:1", "axes"], keep_dims=False, Tidx=TI)
    g.const("zero", np.float32(0))
    g.op("Greater", "pos", ["s", "zero"])
    g.node("StatelessIf", "branch", ["pos", "loop:1"], Tcond=("type", 10), Tin=("list_type", [1]),
           Tout=("list_type", [1]), then_branch=("func", "then"), else_branch=("func", "else"))
    g.node("PartitionedCall", "call", ["branch"], Tin=("list_type", [1]), Tout=("list_type", [1]),
           f=("func", "square"))
    g.op("Identity", "out", ["call"])
    p = tmp_path / "f.pb"
    p.write_bytes(g.binary())
    for x in (np.array([[1, -2], [0.5, 0]], F32), np.array([[-3, -2], [-1, -4]], F32)):
        m, got = _convert_run(str(p), {"x": x}, tmp_path, output="out")
        y = x
        for _ in range(3):
            y = y * 2 + 1
        y = np.maximum(y, 0) if y.sum() > 0 else -y
        np.testing.assert_allclose(got["out"], y * y, rtol=1e-6)
    assert "Loop" in m.ops() and "If" in m.ops()
