"""GatherTree (GNMT's beam-search back-tracking, tf.contrib.seq2seq.gather_tree; TF 2.x has no
kernel for it, so the graph is written node by node) -> GatherTree-1, checked on OpenVINO against
TF's kernel (beam_search_ops.cc) written in numpy, with the cut the GNMT guide used
(IteratorGetNext ports as typed inputs, vocabulary look-ups frozen to values)."""
import os

import numpy as np

import irconv
from helpers import infer_xml
from tf_writers import GraphBuilder


def gather_tree_ref(step_ids, parent_ids, max_len, end_token):
    """TF's GatherTreeOp on CPU."""
    T, B, W = step_ids.shape
    beams = np.full_like(step_ids, end_token)
    for b in range(B):
        n = min(T, int(max_len[b]))
        if n <= 0:
            continue
        for w in range(W):
            beams[n - 1, b, w] = step_ids[n - 1, b, w]
            parent = parent_ids[n - 1, b, w]
            for level in range(n - 2, -1, -1):
                beams[level, b, w] = step_ids[level, b, parent]
                parent = parent_ids[level, b, parent]
            finished = False
            for t in range(n):
                if finished:
                    beams[t, b, w] = end_token
                elif beams[t, b, w] == end_token:
                    finished = True
    return beams


def _graph():
    """IteratorGetNext -> (src ids, src length); a vocabulary look-up gives the end token; the beam
    search's stacked step/parent ids come in as placeholders; GatherTree at the end."""
    g = GraphBuilder()
    g.node("IteratorV2", "Iterator", shared_name="", container="",
           output_types=("list_type", [3, 3]), output_shapes=("list_s", []))
    g.node("IteratorGetNext", "IteratorGetNext", ["Iterator"], output_types=("list_type", [3, 3]))
    g.placeholder("step_ids", np.int32, [None, None, None])
    g.placeholder("parent_ids", np.int32, [None, None, None])
    g.node("HashTableV2", "dynamic_seq2seq/hash_table", key_dtype=("type", 7), value_dtype=("type", 9))
    g.node("Placeholder", "dynamic_seq2seq/eos", dtype=("type", 7), shape=("shape", []))    # a string
    g.const("dynamic_seq2seq/unk", np.array(-1, np.int64))
    g.node("LookupTableFindV2", "dynamic_seq2seq/hash_table_Lookup",
           ["dynamic_seq2seq/hash_table", "dynamic_seq2seq/eos", "dynamic_seq2seq/unk"],
           Tin=("type", 7), Tout=("type", 9))
    g.node("Cast", "dynamic_seq2seq/Cast", ["dynamic_seq2seq/hash_table_Lookup"], SrcT=("type", 9),
           DstT=("type", 3))
    # max lengths: 2 * source length, as GNMT's maximum_iterations
    g.const("two", np.array(2, np.int32))
    g.node("Mul", "max_len", ["IteratorGetNext:1", "two"], T=("type", 3))
    g.node("GatherTree", "dynamic_seq2seq/decoder/decoder/GatherTree",
           ["step_ids", "parent_ids", "max_len", "dynamic_seq2seq/Cast"], T=("type", 3))
    return g.gd.SerializeToString()


def test_gather_tree_with_the_gnmt_cut(tmp_path):
    path = os.path.join(str(tmp_path), "gnmt_beam.pb")
    with open(path, "wb") as f:
        f.write(_graph())
    rng = np.random.default_rng(0)
    T, B, W, eos = 7, 3, 4, 1
    step = rng.integers(0, 6, (T, B, W)).astype(np.int32)
    parent = rng.integers(0, W, (T, B, W)).astype(np.int32)
    src_len = np.array([3, 1, 2], np.int32)                 # max lengths 6, 2, 4 (< T)
    m = irconv.convert_model(path, input="IteratorGetNext:1{i32}[3],step_ids,parent_ids,"
                             "dynamic_seq2seq/hash_table_Lookup:0[]->[1]",
                             output="dynamic_seq2seq/decoder/decoder/GatherTree")
    assert "GatherTree" in m.ops()
    xml = os.path.join(str(tmp_path), "m.xml")
    m.save(xml, compress_to_fp16=False)
    got = infer_xml(xml, {"IteratorGetNext:1": src_len, "step_ids": step, "parent_ids": parent})
    np.testing.assert_array_equal(got[0], gather_tree_ref(step, parent, 2 * src_len, eos))


def test_gather_tree_core_shape_inference():
    import pytest
    from irconv import _core
    g = _core.Graph("gt")
    s = g.parameter("s", "i32", [-1, 2, 3])
    p = g.parameter("p", "i32", [5, -1, 3])
    m = g.parameter("m", "i32", [-1])
    e = g.constant(np.array(1, np.int32))
    n = g.op("GatherTree", [s.output(0), p.output(0), m.output(0), e.output(0)], {})
    assert n.output(0).shape == [5, 2, 3] and n.output(0).element_type == "i32"
    f = g.parameter("f", "f32", [5, 2, 3])
    with pytest.raises(_core.IrconvError, match="element type"):
        g.op("GatherTree", [s.output(0), f.output(0), m.output(0), e.output(0)], {})
    with pytest.raises(_core.IrconvError, match="end_token"):
        g.op("GatherTree", [s.output(0), p.output(0), m.output(0), m.output(0)], {})
