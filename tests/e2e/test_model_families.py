"""The model families the Model Optimizer had guides for, converted directly (issue 12).

- DeepSpeech (TF frozen graph): the shared fixture, and graphs TensorFlow writes here with
  BlockLSTMV2 (the guide's cut: input_lengths frozen, states as inputs, the GatherNd states and
  logits as outputs) and LSTMBlockFusedCell's BlockLSTM with forget_bias, peepholes and a cell
  clip over real, unequal input lengths.
- GNMT-style seq2seq (TF1 frozen graph): bidirectional dynamic_rnn encoder + greedy while_loop
  decoder with attention and TensorArrays -> a Loop in the IR; the decoded ids equal TF's exactly,
  on two inputs of different batch and source length.
- TF Object Detection API SSD: the shared fixture and graphs with NonMaxSuppressionV3/V4/V5
  (padded or not, soft-NMS) inside the Postprocessor map_fn, batch 2 and a dynamic batch; no
  transformations config or pipeline.config needed (accepted and reported as not needed).
- Mask R-CNN (ONNX from torch's exporter, dynamic image size): compared with onnxruntime at image
  sizes other than the export's.
Detections are compared as sets of rows where the framework leaves their order undefined
(detections.py). TF/torch cases skip when the framework is not installed."""
import logging
import os

import numpy as np
import pytest

import irconv
import irconv.cli
from detections import compare_instances, compare_od_api
from fixtures import Case, compare
from helpers import infer_xml

F32 = np.float32


@pytest.fixture(scope="module")
def ftf():
    pytest.importorskip("tensorflow")
    import families_tf
    return families_tf


@pytest.fixture(scope="module")
def ftorch():
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    import families_torch
    return families_torch


def cli(tmp_path, argv, name="m"):
    """Converts with the `irconv` command line (as the README shows) -> the .xml path."""
    out = str(tmp_path)
    assert irconv.cli.main(argv + ["--output_dir", out, "--model_name", name, "--compress_to_fp16", "False"]) == 0
    return os.path.join(out, name + ".xml")


def ir_ops(xml):
    """The op types in the IR, loop/iterator bodies included."""
    import re
    with open(xml) as f:
        return set(re.findall(r'<layer [^>]*type="([A-Za-z0-9_]+)"', f.read()))


# ---------------------------------------------------------------- shared fixtures of the families

def test_deepspeech_fixture(tmp_path, monkeypatch):
    case = Case("tf", "deepspeech_like")
    monkeypatch.chdir(case.dir)
    xml = cli(tmp_path, list(case.mo_args))
    compare(case, infer_xml(xml, case.inputs))
    assert {"TensorIterator", "LSTMCell"} <= ir_ops(xml)


def test_od_api_ssd_fixture_without_configs(tmp_path, monkeypatch, caplog):
    """The graph converts as it is; the legacy configs are accepted, never read, and reported."""
    case = Case("tf", "od_api_ssd_like")
    monkeypatch.chdir(case.dir)
    argv = ["--input_model", case.spec["model"][0], "--input", "image_tensor", "--input_shape", "[1,80,96,3]",
            "--transformations_config", "ssd_v2_support.json", "--tensorflow_object_detection_api_pipeline_config",
            "pipeline.config"]
    assert not os.path.exists("ssd_v2_support.json") and not os.path.exists("pipeline.config")
    with caplog.at_level(logging.INFO, logger="irconv"):
        xml = cli(tmp_path, argv)
    msgs = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("--transformations_config" in m and "not needed by irconv" in m for m in msgs), msgs
    assert any("--tensorflow_object_detection_api_pipeline_config" in m and "not needed" in m for m in msgs), msgs
    got = infer_xml(xml, case.inputs)
    compare_od_api(got, case.expected, case.rtol, case.atol)
    assert {"Loop", "NonMaxSuppression"} <= ir_ops(xml)


def test_od_api_ssd_fixture_reverse_input_channels(tmp_path, monkeypatch):
    """The guide's --reverse_input_channels (RGB-trained weights, BGR input) flips the channels of
    the uint8 NHWC image input."""
    case = Case("tf", "od_api_ssd_like")
    monkeypatch.chdir(case.dir)
    xml = cli(tmp_path, ["--input_model", case.spec["model"][0], "--input", "image_tensor", "--input_shape",
                         "[1,80,96,3]", "--reverse_input_channels"])
    bgr = np.ascontiguousarray(case.inputs["image_tensor"][..., ::-1])
    compare_od_api(infer_xml(xml, {"image_tensor": bgr}), case.expected, case.rtol, case.atol)


# ---------------------------------------------------------------- DeepSpeech

def _ds_feeds(batch, T, H, seed=0):
    rng = np.random.default_rng(seed)
    return {"input_node": rng.standard_normal((batch, T, 19, 26)).astype(F32),
            "previous_state_c": rng.standard_normal((batch, H)).astype(F32),
            "previous_state_h": rng.standard_normal((batch, H)).astype(F32)}


def test_deepspeech_blocklstmv2_guide_cut(tmp_path, ftf):
    """BlockLSTMV2 (gates i, f, c~, o, no forget bias) converted with the guide's command: frozen
    input_lengths, states as inputs, the LSTM's GatherNd states and logits as outputs."""
    H = 24
    g = ftf.deepspeech("BlockLSTMV2", hidden=H)
    pb = ftf.save_pb(g, str(tmp_path / "output_graph.pb"))
    s = ftf.DS_SCOPE
    feeds = _ds_feeds(1, 16, H)
    outs = ["logits", s + "GatherNd", s + "GatherNd_1"]
    ref = ftf.run(g, dict(feeds, input_lengths=np.array([16], np.int32)), outs)
    xml = cli(tmp_path, ["--input_model", pb, "--input",
                         "input_lengths->[16],input_node[1,16,19,26],previous_state_h[1,%d],previous_state_c[1,%d]"
                         % (H, H), "--output", "%sGatherNd_1,%sGatherNd,logits" % (s, s)])
    got = infer_xml(xml, feeds)
    assert len([k for k in got if isinstance(k, int)]) == 3
    for name, r in zip(outs, ref):
        np.testing.assert_allclose(got[name], r, rtol=1e-4, atol=1e-5, err_msg=name)
    assert {"TensorIterator", "LSTMCell"} <= ir_ops(xml)


def test_deepspeech_lstm_block_fused_cell_lengths(tmp_path, ftf):
    """LSTMBlockFusedCell's BlockLSTM (gates i, c~, f, o) with forget_bias 1, peepholes and a cell
    clip, over real input lengths of a batch of 2 (steps past seq_len_max are zeros, final states
    gathered per sentence); converted without a cut, so the IR keeps every input."""
    H = 16
    g = ftf.deepspeech("BlockLSTM", hidden=H, peephole=True, cell_clip=0.8, forget_bias=1.0, seed=3)
    pb = ftf.save_pb(g, str(tmp_path / "ds.pb"))
    s = ftf.DS_SCOPE
    outs = ["logits", s + "GatherNd", s + "GatherNd_1"]
    xml = cli(tmp_path, ["--input_model", pb, "--output", ",".join(outs)])
    for T, lens in ((12, [9, 5]), (7, [7, 3])):
        feeds = dict(_ds_feeds(2, T, H, seed=T), input_lengths=np.array(lens, np.int32))
        ref = ftf.run(g, feeds, outs)
        got = infer_xml(xml, feeds)
        for name, r in zip(outs, ref):
            np.testing.assert_allclose(got[name], r, rtol=1e-4, atol=1e-5, err_msg="%s T=%d" % (name, T))


# ---------------------------------------------------------------- GNMT

def test_gnmt_greedy_decoder_ids_exact(tmp_path, ftf):
    g = ftf.gnmt()
    pb = ftf.save_pb(g, str(tmp_path / "gnmt.pb"))
    xml = cli(tmp_path, ["--input_model", pb, "--input", "src_ids,src_len", "--output", "decoded_ids,decoded_length"])
    assert "Loop" in ir_ops(xml)
    rng = np.random.default_rng(5)
    for src, lens in ((rng.integers(2, 17, (3, 7)), [5, 4, 3]), (rng.integers(2, 17, (2, 9)), [9, 6])):
        feeds = {"src_ids": src.astype(np.int32), "src_len": np.array(lens, np.int32)}
        ids, n = ftf.run(g, feeds, ["decoded_ids", "decoded_length"])
        got = infer_xml(xml, feeds)
        assert got["decoded_ids"].shape == ids.shape, (got["decoded_ids"].shape, ids.shape)
        np.testing.assert_array_equal(got["decoded_ids"], ids)
        np.testing.assert_array_equal(got["decoded_length"], n)
        assert (ids == 1).any()                     # some sentence stopped at EOS before the limit


# ---------------------------------------------------------------- Object Detection API SSD

@pytest.mark.parametrize("nms", ["v3", "v4", "v4_padded", "v5", "v5_soft", "dynamic", "v4_padded-cf2",
                                 "dynamic-cf2"])
def test_od_api_ssd_nms_variants_batch2(tmp_path, ftf, nms):
    """-cf2: the map_fn loops as TF 2.x writes them (StatelessWhile over TensorLists, NMS inside
    the body function)."""
    cf2 = nms.endswith("-cf2")
    nms = nms.replace("-cf2", "")
    g = ftf.od_api_ssd(nms, sigma=0.5 if nms == "v5_soft" else 0.0, control_flow_v2=cf2)
    ops = ftf.op_counts(g)
    if cf2:
        assert ops.get("StatelessWhile") == 2 and "LoopCond" not in ops
    else:
        want = {"v3": "NonMaxSuppressionV3", "v4": "NonMaxSuppressionV4", "v4_padded": "NonMaxSuppressionV4",
                "dynamic": "NonMaxSuppressionV3"}
        assert ops.get(want.get(nms, "NonMaxSuppressionV5")) == 3 and ops.get("LoopCond") == 2
    pb = ftf.save_pb(g, str(tmp_path / "frozen_inference_graph.pb"))
    img = np.random.default_rng(1).integers(0, 256, (2, 80, 96, 3)).astype(np.uint8)
    ref = dict(zip(ftf.OD_OUTPUTS, ftf.run(g, {"image_tensor": img}, ftf.OD_OUTPUTS)))
    assert 0 < ref["num_detections"].min() < 8                # some image has fewer than max_total
    xml = cli(tmp_path, ["--input_model", pb, "--input", "image_tensor", "--input_shape", "[2,80,96,3]"])
    compare_od_api(infer_xml(xml, {"image_tensor": img}), ref, 1e-4, 1e-5)


@pytest.mark.parametrize("cf2", [False, True])
def test_od_api_ssd_dynamic_batch_default_outputs(tmp_path, ftf, cf2):
    """No --input_shape: the IR keeps image_tensor [?,?,?,3] and runs batches of 1 and 3 of other
    sizes; without --output the outputs are the OD API's four (not the loops' leftover counters
    or unused TensorLists)."""
    g = ftf.od_api_ssd("v4_padded", control_flow_v2=cf2)
    pb = ftf.save_pb(g, str(tmp_path / "frozen_inference_graph.pb"))
    m = irconv.convert_model(pb)
    outs = [o["names"] for o in m.outputs]
    assert len(outs) == 4 and all(any(n in names for names in outs) for n in ftf.OD_OUTPUTS), outs
    assert m.inputs[0]["shape"] == [-1, -1, -1, 3]
    xml = str(tmp_path / "dyn.xml")
    m.save(xml, compress_to_fp16=False)
    for shape in ((1, 64, 64, 3), (3, 90, 70, 3)):
        img = np.random.default_rng(shape[0]).integers(0, 256, shape).astype(np.uint8)
        ref = dict(zip(ftf.OD_OUTPUTS, ftf.run(g, {"image_tensor": img}, ftf.OD_OUTPUTS)))
        compare_od_api(infer_xml(xml, {"image_tensor": img}), ref, 1e-4, 1e-5)


def test_fill_and_zeros_like_of_empty_tensors(tmp_path, ftf):
    """Detection post-processing makes empty tensors (a class with no boxes): zeros_like/fill of an
    empty tensor followed by arithmetic stays empty (OpenVINO's CPU plugin made a Broadcast feeding
    an Add one element long)."""
    import tensorflow as tf
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        tf.identity(tf.zeros_like(x) + 2.0, name="z")
        tf.identity(tf.fill(tf.shape(x), 3.0) * 2.0, name="f")
        tf.identity(tf.ones_like(x[:, 0]) - 1.0, name="o")
    pb = ftf.save_pb(g, str(tmp_path / "empty.pb"))
    xml = cli(tmp_path, ["--input_model", pb, "--input", "x", "--output", "z,f,o"])
    for n in (0, 3):
        xv = np.ones((n, 2), F32)
        ref = ftf.run(g, {"x": xv}, ["z", "f", "o"])
        got = infer_xml(xml, {"x": xv})
        for k, r in zip("zfo", ref):
            assert got[k].shape == r.shape, (k, n, got[k].shape, r.shape)
            np.testing.assert_array_equal(got[k], r)


# ---------------------------------------------------------------- Mask R-CNN (ONNX)

def test_mask_rcnn_like_onnx_dynamic_image(tmp_path, ftorch):
    import onnx
    import onnxruntime as ort
    model = ftorch.export(size=(64, 80))
    ops = {n.op_type for n in model.graph.node}
    assert {"TopK", "NonMaxSuppression", "RoiAlign", "ConvTranspose", "NonZero", "Gather", "ScatterND"} <= ops
    path = str(tmp_path / "mask_rcnn.onnx")
    onnx.save(model, path)
    xml = cli(tmp_path, ["--input_model", path])
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    keys = ["boxes", "labels", "scores", "masks"]
    seen_labels = set()
    for hw in ((96, 72), (56, 120)):
        img = np.random.default_rng(hw[0]).random((1, 3) + hw).astype(F32)
        exp = dict(zip(keys, sess.run(keys, {"image": img})))
        got = infer_xml(xml, {"image": img})
        assert exp["scores"].shape[0] > 0
        compare_instances(got, exp, keys, 1e-4, 1e-4)
        seen_labels |= set(exp["labels"].tolist())
    assert len(seen_labels) > 1
