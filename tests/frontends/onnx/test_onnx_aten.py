"""ATen embedding_bag (ops/aten.py) in both layouts, built with onnx.helper and checked against a
numpy embedding_bag (onnxruntime has no ATen kernel). torch's own exports are in
tests/e2e/test_onnx_exports.py."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from helpers import read_ir, run_ir
from irconv.errors import IrconvError
from onnx_fe_util import make_model, to_graph

VOCAB, DIM = 20, 5
MODES = {0: "sum", 1: "mean", 2: "max"}


def embedding_bag(table, ids, offsets, mode, w=None, pad=-1):
    """torch.nn.functional.embedding_bag's forward: bags [offsets[i], offsets[i+1]) (2D ids: rows),
    entries equal to pad (>= 0) left out, empty bags zero."""
    if offsets is None:
        offsets = np.arange(0, ids.size, ids.shape[1])
        ids, w = ids.reshape(-1), None if w is None else w.reshape(-1)
    ends = list(offsets[1:]) + [len(ids)]
    out = np.zeros((len(offsets), table.shape[1]), np.float32)
    for b, (s, e) in enumerate(zip(offsets, ends)):
        idx = ids[s:e]
        keep = idx != pad if pad >= 0 else np.ones(len(idx), bool)
        rows = table[idx[keep]] * (1 if w is None else w[s:e][keep][:, None])
        if len(rows):
            out[b] = {0: rows.sum(0), 1: rows.mean(0), 2: rows.max(0)}[mode]
    return out


def data(seed, n=11, bags=(0, 3, 4, 4, 8, 10), ids_et=np.int64):
    r = np.random.RandomState(seed)
    table = r.standard_normal((VOCAB, DIM)).astype(np.float32)
    return table, r.randint(0, VOCAB, n).astype(ids_et), np.array(bags, ids_et), r.rand(n).astype(np.float32)


def older_model(mode, with_offsets, weighted, table, ids_shape, ids_et=TensorProto.INT64, **attrs):
    """As torch < 1.13 wrote it: default domain, scalars as attributes, weights as input 3."""
    ins = ["table", "ids", "offsets" if with_offsets else "", "w" if weighted else ""]
    while ins[-1] == "":
        ins.pop()
    node = helper.make_node("ATen", ins, ["y", "offset2bag", "bag_size", "max_indices"], name="bag",
                            operator="embedding_bag", mode=mode, **attrs)
    inputs = {"ids": (ids_et, ids_shape)}
    if with_offsets:
        inputs["offsets"] = (ids_et, ["bags"])
    if weighted:
        inputs["w"] = (TensorProto.FLOAT, ids_shape)
    return make_model([node], inputs, ["y"], {"table": table}, opset=9)


def current_model(mode, table, weighted, last=0, pad=None, n_static=None, ids_et=TensorProto.INT64):
    """As torch >= 1.13 writes it (ONNX_ATEN): domain org.pytorch.aten, every argument an input,
    the scalars as Constants, None as an empty name."""
    def const(name, value, et):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, et, [], [value]))
    nodes = [const("false", 0, TensorProto.BOOL), const("mode", mode, TensorProto.INT64),
             const("last", last, TensorProto.BOOL)]
    if pad is not None:
        nodes.append(const("pad", pad, TensorProto.INT64))
    nodes.append(helper.make_node(
        "ATen", ["table", "ids", "offsets", "false", "mode", "false", "w" if weighted else "", "last",
                 "pad" if pad is not None else ""],
        ["y", "o1", "o2", "o3"], name="bag", domain="org.pytorch.aten", operator="embedding_bag", overload_name=""))
    n = [n_static if n_static else "n"]
    inputs = {"ids": (ids_et, n), "offsets": (ids_et, ["bags"])}
    if weighted:
        inputs["w"] = (TensorProto.FLOAT, n)
    m = make_model(nodes, inputs, ["y"], {"table": table}, opset=17)
    m.opset_import.append(helper.make_opsetid("org.pytorch.aten", 1))
    return m


def run(model, tmp_path, feeds):
    return run_ir(to_graph(model, tmp_path), feeds)[0]


@pytest.mark.parametrize("mode,with_offsets,weighted", [(m, o, False) for m in MODES for o in (True, False)]
                         + [(0, True, True), (0, False, True)])   # weights go with mode sum only
def test_older_layout(tmp_path, mode, with_offsets, weighted):
    table, ids, offsets, w = data(mode)
    if not with_offsets:
        ids, w, offsets = ids[:8].reshape(4, 2), w[:8].reshape(4, 2), None
    m = older_model(mode, with_offsets, weighted, table, ["n"] if with_offsets else ["b", "s"])
    feeds = {"ids": ids}
    if with_offsets:
        feeds["offsets"] = offsets
    if weighted:
        feeds["w"] = w
    want = embedding_bag(table, ids, offsets, mode, w if weighted else None)
    np.testing.assert_allclose(run(m, tmp_path, feeds), want, rtol=1e-5, atol=1e-5)


def test_older_layout_attributes_padding_and_last_offset(tmp_path):
    table, ids, offsets, _ = data(3)
    ids[[1, 3]] = 7
    m = older_model(1, True, False, table, ["n"], include_last_offset=1, padding_idx=7)
    full = np.concatenate([offsets, [len(ids)]]).astype(np.int64)
    np.testing.assert_allclose(run(m, tmp_path, {"ids": ids, "offsets": full}),
                               embedding_bag(table, ids, offsets, 1, pad=7), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode,weighted,pad", [(0, False, None), (0, True, None), (1, False, None),
                                               (2, False, None), (0, True, 7), (1, False, 7), (2, False, 7)])
def test_current_layout(tmp_path, mode, weighted, pad):
    table, ids, offsets, w = data(10 + mode)
    if pad is not None:
        ids[[1, 3, 4]] = pad       # padding in a bag, and a bag of padding only
    m = current_model(mode, table, weighted, pad=pad)
    feeds = {"ids": ids, "offsets": offsets}
    if weighted:
        feeds["w"] = w
    want = embedding_bag(table, ids, offsets, mode, w if weighted else None, -1 if pad is None else pad)
    np.testing.assert_allclose(run(m, tmp_path, feeds), want, rtol=1e-5, atol=1e-5)


def test_current_layout_static_length_int32_last_offset(tmp_path):
    """Weights of a static length stay EmbeddingBagOffsets' per_sample_weights; i32 indices."""
    table, ids, offsets, w = data(20, ids_et=np.int32)
    full = np.concatenate([offsets, [len(ids)]]).astype(np.int32)
    m = current_model(0, table, True, last=1, n_static=len(ids), ids_et=TensorProto.INT32)
    g = to_graph(m, tmp_path)
    ebo = [n for n in g.topo_order() if n.type == "EmbeddingBagOffsets"]
    assert len(ebo) == 1 and len(ebo[0].inputs) == 5
    assert read_ir(g).outputs[0].get_partial_shape().to_string() == "[?,%d]" % DIM
    got = run_ir(g, {"ids": ids, "offsets": full, "w": w})[0]
    np.testing.assert_allclose(got, embedding_bag(table, ids, offsets, 0, w), rtol=1e-5, atol=1e-5)


def test_errors_name_the_node(tmp_path):
    table = data(0)[0]
    with pytest.raises(IrconvError, match="'bag'.*mode 3"):
        to_graph(older_model(3, True, False, table, ["n"]), tmp_path)
    with pytest.raises(IrconvError, match="'bag'.*per_sample_weights only with mode sum"):
        to_graph(older_model(1, True, True, table, ["n"]), tmp_path)
    with pytest.raises(IrconvError, match="'bag'.*2D indices"):
        to_graph(older_model(0, False, False, table, ["n"]), tmp_path)
    m = current_model(0, table, False)
    m.graph.node[1].CopyFrom(helper.make_node("Identity", ["offsets"], ["mode"]))  # mode known at run time only
    with pytest.raises(IrconvError, match="'bag'.*mode.*conversion time"):
        to_graph(m, tmp_path)
    odd = helper.make_node("ATen", ["ids"], ["y"], name="odd", domain="org.pytorch.aten", operator="upsample_bicubic2d")
    m = make_model([odd], {"ids": (TensorProto.FLOAT, [2])}, ["y"], opset=17)
    m.opset_import.append(helper.make_opsetid("org.pytorch.aten", 1))
    with pytest.raises(IrconvError, match="'odd'.*upsample_bicubic2d.*supported: embedding_bag"):
        to_graph(m, tmp_path)
