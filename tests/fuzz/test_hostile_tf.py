"""Hostile TensorFlow inputs: constants and checkpoint entries claiming sizes their files cannot
justify, checkpoint paths (read from `checkpoint` state files) leading out of the model's folder,
and outputs that would overwrite an input."""
import os
import resource
import sys
import time

import numpy as np
import pytest

import irconv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontends", "tensorflow"))
from tf_writers import GraphBuilder, write_table, write_v1_checkpoint, write_v2_checkpoint  # noqa: E402

from irconv.frontends.tensorflow import proto  # noqa: E402
from irconv.frontends.tensorflow.checkpoint import slice_key  # noqa: E402

HUGE = [100000, 100000, 3]          # 3e10 elements: 120 GB of floats


class Bounded:
    """Asserts a conversion failed fast without growing the process by more than 200 MB."""

    def __enter__(self):
        self.rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        assert time.perf_counter() - self.t0 < 10
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.rss0 < 200 * 1024   # KB


def _graph(value_tp=None, variable=None):
    """x + w, w a Const (its TensorProto given) or a VariableV2 (name, shape)."""
    g = GraphBuilder()
    g.placeholder("x", np.float32, [3])
    if variable:
        g.variable(variable[0], variable[1])
        w = variable[0] + "/read"
    else:
        g.const("w", np.zeros(3, np.float32))
        if value_tp is not None:
            g.gd.node[-1].attr["value"].tensor.CopyFrom(value_tp)
        w = "w"
    g.op("AddV2", "y", ["x", w])
    return g


def _tp(shape, dtype=1, **fields):
    tp = proto.TensorProto(dtype=dtype)
    for d in shape:
        tp.tensor_shape.dim.add(size=d)
    for k, v in fields.items():
        if isinstance(v, list):
            getattr(tp, k).extend(v)
        else:
            setattr(tp, k, v)
    return tp


def _pb(tmp_path, g, name="m.pb"):
    p = str(tmp_path / name)
    with open(p, "wb") as f:
        f.write(g.binary())
    assert os.path.getsize(p) < 4096
    return p


@pytest.mark.parametrize("fields", [
    {"tensor_content": b"\0" * 16},            # 16 bytes for 120 GB
    {"float_val": [1.0]},                      # one value repeated 3e10 times
    {},                                        # no values: 3e10 zeros
], ids=["content", "splat", "zeros"])
def test_const_claiming_120_gb_fails_fast(tmp_path, fields):
    p = _pb(tmp_path, _graph(_tp(HUGE, **fields)))
    with Bounded(), pytest.raises(irconv.IrconvError) as e:
        irconv.convert_model(p)
    assert "m.pb" in str(e.value) and "'w'" in str(e.value)


def test_string_const_claiming_a_billion_elements_fails_fast(tmp_path):
    p = _pb(tmp_path, _graph(_tp([10 ** 9], dtype=7, string_val=[b"a"])))
    with Bounded(), pytest.raises(irconv.IrconvError) as e:
        irconv.convert_model(p)
    assert "m.pb" in str(e.value) and "'w'" in str(e.value)


def test_const_shape_whose_product_overflows_int64(tmp_path):
    """2^32 * 2^32 wraps to 0 in int64: the element count is computed exactly."""
    p = _pb(tmp_path, _graph(_tp([1 << 32, 1 << 32], tensor_content=b""), ))
    with Bounded(), pytest.raises(irconv.IrconvError, match="m.pb"):
        irconv.convert_model(p)


def _v2_entry(index_path, name, **fields):
    """Rewrites one BundleEntryProto of a V2 index written by write_v2_checkpoint."""
    from irconv.frontends.tensorflow.sstable import Table
    items = {}
    for k, v, _ in Table(index_path).items():
        items[bytes(k)] = bytes(v)
    e = proto.BundleEntryProto.FromString(items[name.encode()])
    for k, v in fields.items():
        if k == "shape":
            e.ClearField("shape")
            for d in v:
                e.shape.dim.add(size=d)
        else:
            setattr(e, k, v)
    items[name.encode()] = e.SerializeToString()
    os.remove(index_path)
    write_table(index_path, items)


@pytest.mark.parametrize("fields", [
    {"size": 120 * 10 ** 9},                           # the entry claims 120 GB of the data file
    {"offset": (1 << 62), "size": 12},                 # ... or an offset far beyond its end
    {"shape": HUGE},                                   # 12 bytes stored for a 120 GB shape
], ids=["size", "offset", "shape"])
def test_v2_checkpoint_entry_claiming_more_than_the_data_file(tmp_path, fields):
    ck = str(tmp_path / "model.ckpt")
    write_v2_checkpoint(ck, {"w": np.arange(3, dtype=np.float32)})
    _v2_entry(ck + ".index", "w", **fields)
    p = _pb(tmp_path, _graph(variable=("w", [3])))
    with Bounded(), pytest.raises(irconv.IrconvError) as e:
        irconv.convert_model(p, input_checkpoint=ck)
    assert "model.ckpt" in str(e.value) and "'w'" in str(e.value), str(e.value)


def test_v2_sliced_variable_claiming_a_huge_full_shape(tmp_path):
    """A partitioned variable whose entry says 120 GB but whose stored slices hold 12 bytes."""
    ck = str(tmp_path / "model.ckpt")
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    write_v2_checkpoint(ck, {"w": w}, slices={"w": [([0, 0], [1, -1]), ([1, 0], [1, -1])]})
    _v2_entry(ck + ".index", "w", shape=[10 ** 9, 3])
    p = _pb(tmp_path, _graph(variable=("w", [10 ** 9, 3])))
    with Bounded(), pytest.raises(irconv.IrconvError) as e:
        irconv.convert_model(p, input_checkpoint=ck)
    assert "model.ckpt" in str(e.value) and "'w'" in str(e.value), str(e.value)


def test_v1_checkpoint_claiming_a_huge_shape(tmp_path):
    ck = str(tmp_path / "model.ckpt")
    write_v1_checkpoint(ck, {"w": np.arange(3, dtype=np.float32)})
    # rewrite the metadata: the tensor claims 3e10 elements, its one slice record holds 3
    from irconv.frontends.tensorflow.sstable import Table
    items = {bytes(k): bytes(v) for k, v, _ in Table(ck).items()}
    meta = proto.SavedTensorSlices.FromString(items[b""])
    meta.meta.tensor[0].shape.ClearField("dim")
    for d in HUGE:
        meta.meta.tensor[0].shape.dim.add(size=d)
    items[b""] = meta.SerializeToString()
    os.remove(ck)
    write_table(ck, items)
    p = _pb(tmp_path, _graph(variable=("w", HUGE)))
    with Bounded(), pytest.raises(irconv.IrconvError) as e:
        irconv.convert_model(p, input_checkpoint=ck)
    assert "model.ckpt" in str(e.value) and "'w'" in str(e.value), str(e.value)


# ---------------------------------------------------------------- paths read from files

def _ckpt_dir(tmp_path, where):
    """model/ holds the graph and a `checkpoint` state file whose model_checkpoint_path leads to a
    checkpoint outside model/ (where: dotdot | absolute | symlink)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    write_v2_checkpoint(str(outside / "model.ckpt"), {"w": np.arange(3, dtype=np.float32)})
    d = tmp_path / "model"
    d.mkdir()
    if where == "dotdot":
        target = "../outside/model.ckpt"
    elif where == "absolute":
        target = str(outside / "model.ckpt")
    else:
        for f in os.listdir(outside):
            os.symlink(str(outside / f), str(d / f))
        target = "model.ckpt"
    (d / "checkpoint").write_text('model_checkpoint_path: "%s"\nall_model_checkpoint_paths: "%s"\n'
                                  % (target, target))
    return d


@pytest.mark.parametrize("where", ["dotdot", "absolute", "symlink"])
def test_checkpoint_state_file_leading_out_of_the_folder_is_refused(tmp_path, where):
    d = _ckpt_dir(tmp_path, where)
    p = _pb(d, _graph(variable=("w", [3])))
    with pytest.raises(irconv.IrconvError, match="outside"):
        irconv.convert_model(p, input_checkpoint=str(d))


@pytest.mark.parametrize("where", ["dotdot", "absolute"])
def test_meta_graph_beside_a_state_file_leading_out_is_refused(tmp_path, where):
    """A .meta without its own checkpoint finds the `checkpoint` file beside it; that file may
    not lead out of the folder."""
    d = _ckpt_dir(tmp_path, where)
    mg = proto.MetaGraphDef()
    mg.graph_def.CopyFrom(_graph(variable=("w", [3])).gd)
    (d / "graph.meta").write_bytes(mg.SerializeToString())
    with pytest.raises(irconv.IrconvError, match="outside"):
        irconv.convert_model(str(d / "graph.meta"), input=["x"], output=["y"])


def test_state_file_inside_the_folder_still_works(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "sub").mkdir()
    write_v2_checkpoint(str(d / "sub" / "model.ckpt"), {"w": np.arange(3, dtype=np.float32)})
    (d / "checkpoint").write_text('model_checkpoint_path: "sub/model.ckpt"\n')
    p = _pb(d, _graph(variable=("w", [3])))
    m = irconv.convert_model(p, input_checkpoint=str(d))
    assert m.outputs


def test_user_given_checkpoint_outside_the_model_folder_is_fine(tmp_path):
    """The paths the user gives are the user's choice; only paths read from files are confined."""
    ck = tmp_path / "elsewhere"
    ck.mkdir()
    write_v2_checkpoint(str(ck / "model.ckpt"), {"w": np.arange(3, dtype=np.float32)})
    d = tmp_path / "model"
    d.mkdir()
    p = _pb(d, _graph(variable=("w", [3])))
    m = irconv.convert_model(p, input_checkpoint=str(ck / "model.ckpt"))
    assert m.outputs


# ---------------------------------------------------------------- outputs

def test_output_may_not_overwrite_the_checkpoint(tmp_path):
    """A V1 checkpoint named model.bin: saving the IR as model.xml would destroy the weights."""
    ck = tmp_path / "model.bin"
    write_v1_checkpoint(str(ck), {"w": np.arange(3, dtype=np.float32)})
    p = _pb(tmp_path, _graph(variable=("w", [3])), "graph.pb")
    m = irconv.convert_model(p, input_checkpoint=str(ck))
    before = ck.read_bytes()
    with pytest.raises(irconv.IrconvError, match="overwrite an input"):
        m.save(str(tmp_path / "model.xml"))
    assert ck.read_bytes() == before and not (tmp_path / "model.xml").exists()


def test_cli_output_may_not_overwrite_the_checkpoint(tmp_path, capsys):
    """--output_dir/--model_name naming the IR after a V1 checkpoint file: refused, file intact."""
    from irconv.cli import main
    ck = tmp_path / "weights.bin"
    write_v1_checkpoint(str(ck), {"w": np.arange(3, dtype=np.float32)})
    p = _pb(tmp_path, _graph(variable=("w", [3])), "graph.pb")
    before = ck.read_bytes()
    rc = main(["--input_model", p, "--input_checkpoint", str(ck), "--output_dir", str(tmp_path),
               "--model_name", "weights"])
    assert rc != 0 and "overwrite an input" in capsys.readouterr().err
    assert ck.read_bytes() == before and not (tmp_path / "weights.xml").exists()


# ---------------------------------------------------------------- found by the fuzzer

def _gather(tmp_path, batch_dims):
    g = GraphBuilder()
    g.placeholder("x", np.float32, [4, 3])
    g.const("i", np.array([0, 2], np.int32))
    g.const("axis", np.array(0, np.int32))
    g.node("GatherV2", "y", ["x", "i", "axis"], Tparams=("type", 1), Tindices=("type", 3), Taxis=("type", 3))
    n = g.gd.node[-1]
    if batch_dims == "empty":
        n.attr["batch_dims"].SetInParent()          # an AttrValue holding nothing
    elif batch_dims is not None:
        n.attr["batch_dims"].s = batch_dims         # a string where an int belongs
    return _pb(tmp_path, g)


def test_attribute_holding_no_value_counts_as_absent(tmp_path):
    m = irconv.convert_model(_gather(tmp_path, "empty"))
    assert m.outputs[0]["shape"] == [2, 3]


def test_attribute_of_the_wrong_kind_is_a_clean_error(tmp_path):
    with pytest.raises(irconv.IrconvError, match=r"m\.pb: GatherV2 node 'y': attribute 'batch_dims' holds str") as e:
        irconv.convert_model(_gather(tmp_path, b"zero"))
    assert "internal error" not in str(e.value)


def test_type_attribute_holding_a_string_is_a_clean_error(tmp_path):
    g = GraphBuilder()
    g.placeholder("x", np.float32, [4, 3])
    g.node("Shape", "y", ["x"], T=("type", 1), out_type=b"int32")
    with pytest.raises(irconv.IrconvError, match=r"m\.pb: Shape node 'y': attribute 'out_type' holds str"):
        irconv.convert_model(_pb(tmp_path, g))


def test_constant_of_absurd_rank_is_a_clean_error():
    from irconv.frontends.tensorflow.tensors import tensor_value  # noqa: PLC0415
    tp = proto.TensorProto()
    tp.dtype = 3                                    # DT_INT32
    for _ in range(200):
        tp.tensor_shape.dim.add().size = 1
    tp.int_val.append(1)
    with pytest.raises(irconv.IrconvError, match="rank 200"):
        tensor_value(tp, "graph.pb: Const node 'c'")


def test_bad_attribute_of_an_input_node_names_the_file(tmp_path):
    """Found by the fuzzer (unlocated errors): a Placeholder 'shape' holding a DT_INVALID tensor."""
    g = GraphBuilder()
    g.placeholder("x", np.float32, [3])
    g.gd.node[0].attr["shape"].tensor.dtype = 0
    g.op("Relu", "y", ["x"])
    with pytest.raises(irconv.IrconvError, match=r"m\.pb: .*Placeholder node 'x'"):
        irconv.convert_model(_pb(tmp_path, g))


@pytest.mark.parametrize("op,keep", [("Enter", 0), ("Switch", 1)])
def test_while_loop_node_missing_inputs_is_a_clean_error(tmp_path, op, keep):
    """Fuzz finding: a while-loop node with fewer inputs than its op has (an Enter with none) was an
    IndexError while building the loop."""
    from tests.fuzz.harness import FIXTURES  # noqa: PLC0415
    src = os.path.join(FIXTURES, "tf", "od_api_ssd_like", "frozen_inference_graph.pb")
    gd = proto.GraphDef()
    gd.ParseFromString(open(src, "rb").read())
    victim = next(n for n in gd.node if n.op == op and "Postprocessor" in n.name)
    data = [i for i in victim.input if not i.startswith("^")]
    del victim.input[:]
    victim.input.extend(data[:keep])
    p = tmp_path / "frozen_inference_graph.pb"
    p.write_bytes(gd.SerializeToString())
    with pytest.raises(irconv.IrconvError, match="frozen_inference_graph.pb.*%s.*needs %d input" % (op, keep + 1)):
        irconv.convert_model(str(p), input="image_tensor", input_shape="[1,80,96,3]")


def _saved_model_copy(tmp_path):
    import shutil  # noqa: PLC0415
    from tests.fuzz.harness import FIXTURES  # noqa: PLC0415
    d = tmp_path / "sm"
    shutil.copytree(os.path.join(FIXTURES, "tf", "ncf_savedmodel", "saved_model"), d)
    for p in d.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return d


@pytest.mark.parametrize("what", ["folder", "index", "data"])
def test_saved_model_variables_symlinked_out_of_the_folder_are_refused(tmp_path, what):
    d = _saved_model_copy(tmp_path)
    irconv.convert_model(str(d))                # the copy itself converts
    out = tmp_path / "elsewhere"
    out.mkdir()
    v = d / "variables"
    if what == "folder":
        os.rename(v, out / "variables")
        os.symlink(out / "variables", v)
    else:
        name = "variables.index" if what == "index" else "variables.data-00000-of-00001"
        os.rename(v / name, out / name)
        os.symlink(os.path.join("..", "..", "elsewhere", name), v / name)
    with pytest.raises(irconv.IrconvError, match="leads outside the folder"):
        irconv.convert_model(str(d))


@pytest.mark.parametrize("begin,size", [(0, [2]), ([0], 2), ([0, 0], [2])])
def test_slice_with_begin_and_size_of_other_shapes_is_a_clean_error(tmp_path, begin, size):
    """Fuzz finding: a constant Slice size that is a scalar was a TypeError while converting."""
    g = GraphBuilder()
    g.placeholder("x", np.float32, [3])
    g.const("b", np.array(begin, np.int32))
    g.const("s", np.array(size, np.int32))
    g.op("Slice", "y", ["x", "b", "s"], Index=("type", 3))
    with pytest.raises(irconv.IrconvError, match="m.pb.*Slice node 'y'.*1-D vectors of one length"):
        irconv.convert_model(_pb(tmp_path, g))
