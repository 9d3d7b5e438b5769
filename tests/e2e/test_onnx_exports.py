"""Real architectures exported by torch.onnx.export - the TorchScript exporter (dynamo=False) and,
where it works, the dynamo exporter - converted by irconv and run on OpenVINO at a shape other
than the export's, against onnxruntime and torch at that shape. Inputs exported with dynamic
axes must stay dynamic (-1) in the IR.

Known exporter limits this file works around (none is an irconv matter):
- The TorchScript exporter bakes the key length of nn.MultiheadAttention's packed in-projection
  (`k.view(k.shape[0], ...)` becomes a constant), so its nn.TransformerEncoder/Decoder exports run
  at another batch only (onnxruntime fails at another sequence length too); the dynamo exports
  are checked at another batch and sequence length.
- The TorchScript exporter's Loop-based EmbeddingBag reduces an empty bag with ReduceMax to -inf
  where torch gives 0: max bags are checked on non-empty bags there (empty bags against onnxruntime).
- Its ONNX_ATEN_FALLBACK path writes no ATen embedding_bag in torch 2.13 (opset >= 11 has a
  symbolic; below, the fallback fails on the op's four outputs): the ATen node comes from
  operator_export_type=ONNX_ATEN (the older layout, ATen in the default domain with the scalars as
  attributes, is in tests/frontends/onnx/test_onnx_aten.py). onnxruntime has no ATen kernel:
  torch is the oracle there.
"""
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import irconv
from helpers import infer_xml

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

try:
    import onnxscript  # noqa: F401  (torch.onnx.export(dynamo=True) needs it)
    HAVE_DYNAMO = True
except ImportError:
    HAVE_DYNAMO = False

EXPORTERS = ["torchscript", pytest.param("dynamo", marks=pytest.mark.skipif(
    not HAVE_DYNAMO, reason="torch.onnx.export(dynamo=True) needs onnxscript"))]

D, HEADS, FF, VOCAB = 16, 2, 32, 50
TOL = 1e-4
# the dynamo exporter's time grows with the graph (~5 s a transformer layer on a busy machine)
LAYERS = {"torchscript": 2, "dynamo": 1}


# ---------------------------------------------------------------------------------------------
# export / convert / compare

def export(model, args, path, names, outputs, dyn, exporter, **kw):
    """dyn: {tensor name: {axis: dim name}} for inputs (and outputs, TorchScript only)."""
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            dims = {}
            shapes = {n: {a: dims.setdefault(d, torch.export.Dim(d, min=1, max=1024)) for a, d in dyn[n].items()}
                      for n in names if n in dyn}
            torch.onnx.export(model, tuple(args), path, dynamo=True, input_names=names, output_names=outputs,
                              dynamic_shapes=shapes, verbose=False, **kw)
        else:
            torch.onnx.export(model, tuple(args), path, dynamo=False, input_names=names, output_names=outputs,
                              dynamic_axes=dyn, **kw)
    return path


def convert(path, tmp_path, dynamic=None):
    """Converts, saves as f32 IR; dynamic: {input name: export-time shape with -1 on dynamic
    axes}, checked against the IR's inputs."""
    model = irconv.convert_model(path)
    xml = str(tmp_path / "model.xml")
    model.save(xml, compress_to_fp16=False)
    for name, shape in (dynamic or {}).items():
        port = [p for p in model.inputs if name in p["names"]]
        assert len(port) == 1, "IR input %s not found in %s" % (name, model.inputs)
        assert port[0]["shape"] == shape, "IR input %s: %s, exported as %s" % (name, port[0]["shape"], shape)
    return model, xml


def dyn_shape(arr, axes):
    return [-1 if a in axes else int(s) for a, s in enumerate(arr.shape)]


def torch_run(model, args):
    with torch.no_grad():
        out = model(*args)
    return [o.numpy() for o in (out if isinstance(out, (tuple, list)) else (out,))]


def check(xml, onnx_path, feeds, want, use_ort=True, tol=TOL):
    """IR on OpenVINO vs `want` (torch's outputs) and vs onnxruntime, output by output."""
    got = infer_xml(xml, feeds)
    if use_ort:
        sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        ref = sess.run(None, {i.name: feeds[i.name] for i in sess.get_inputs()})
    for i, w in enumerate(want):
        assert got[i].shape == w.shape, "output %d: IR %s, torch %s" % (i, got[i].shape, w.shape)
        np.testing.assert_allclose(got[i], w, rtol=tol, atol=tol, err_msg="output %d vs torch" % i)
        if use_ort:
            np.testing.assert_allclose(got[i], ref[i], rtol=tol, atol=tol, err_msg="output %d vs onnxruntime" % i)
    return got


def feeds_of(names, args):
    return {n: a.numpy() for n, a in zip(names, args)}


# ---------------------------------------------------------------------------------------------
# transformers

class Encoder(nn.Module):
    def __init__(self, layers):
        super().__init__()
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, x, mask):
        return self.enc(x, src_key_padding_mask=mask)


class Decoder(nn.Module):
    def __init__(self, layers):
        super().__init__()
        layer = nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.dec = nn.TransformerDecoder(layer, layers)

    def forward(self, tgt, memory):
        n = tgt.shape[1]
        causal = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
        return self.dec(tgt, memory, tgt_mask=causal, tgt_is_causal=True)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = [z.view(b, t, HEADS, D // HEADS).transpose(1, 2) for z in (q, k, v)]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, D))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, D), nn.Embedding(64, D)
        self.blocks = nn.Sequential(Block(), Block())
        self.ln, self.head = nn.LayerNorm(D), nn.Linear(D, VOCAB, bias=False)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        return self.head(self.ln(self.blocks(self.tok(ids) + self.pos(pos))))


def padding_mask(batch, seq, lengths):
    m = torch.zeros(batch, seq, dtype=torch.bool)
    for b, n in enumerate(lengths):
        m[b, n:] = True
    return m


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_transformer_encoder_with_padding_mask(tmp_path, exporter):
    torch.manual_seed(0)
    model = Encoder(LAYERS[exporter]).eval()
    names, dyn = ["x", "mask"], {"x": {0: "batch", 1: "seq"}, "mask": {0: "batch", 1: "seq"}}
    args = [torch.randn(2, 5, D), padding_mask(2, 5, [5, 3])]
    path = export(model, args, str(tmp_path / "enc.onnx"), names, ["y"], dict(dyn, y={0: "batch", 1: "seq"})
                  if exporter != "dynamo" else dyn, exporter)
    _, xml = convert(path, tmp_path, {"x": [-1, -1, D], "mask": [-1, -1]})
    seq = 5 if exporter == "torchscript" else 7   # TorchScript bakes the key length (see above)
    test = [torch.randn(3, seq, D), padding_mask(3, seq, [seq, 2, 4])]
    check(xml, path, feeds_of(names, test), torch_run(model, test))


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_transformer_decoder_causal_with_memory(tmp_path, exporter):
    torch.manual_seed(1)
    model = Decoder(LAYERS[exporter]).eval()
    names, dyn = ["tgt", "memory"], {"tgt": {0: "batch", 1: "tgt_len"}, "memory": {0: "batch", 1: "mem_len"}}
    args = [torch.randn(2, 5, D), torch.randn(2, 4, D)]
    path = export(model, args, str(tmp_path / "dec.onnx"), names, ["y"], dict(dyn, y={0: "batch", 1: "tgt_len"})
                  if exporter != "dynamo" else dyn, exporter)
    _, xml = convert(path, tmp_path, {"tgt": [-1, -1, D], "memory": [-1, -1, D]})
    t, m = (5, 4) if exporter == "torchscript" else (7, 6)
    test = [torch.randn(3, t, D), torch.randn(3, m, D)]
    check(xml, path, feeds_of(names, test), torch_run(model, test))


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_gpt_decoder_with_sdpa(tmp_path, exporter):
    torch.manual_seed(2)
    model = GPT().eval()
    dyn = {"ids": {0: "batch", 1: "seq"}}
    path = export(model, [torch.randint(0, VOCAB, (2, 5))], str(tmp_path / "gpt.onnx"), ["ids"], ["logits"],
                  dict(dyn, logits={0: "batch", 1: "seq"}) if exporter != "dynamo" else dyn, exporter)
    model_ir, xml = convert(path, tmp_path, {"ids": [-1, -1]})
    assert model_ir.outputs[0]["shape"] == [-1, -1, VOCAB]
    test = [torch.randint(0, VOCAB, (3, 9))]
    check(xml, path, feeds_of(["ids"], test), torch_run(model, test))


# ---------------------------------------------------------------------------------------------
# recurrent language models

class RNNLM(nn.Module):
    def __init__(self, kind, bidirectional):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(VOCAB, D)
        self.rnn = getattr(nn, kind)(D, D, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.out = nn.Linear(D * (2 if bidirectional else 1), VOCAB)

    def forward(self, ids, h0=None, c0=None):
        if self.kind == "LSTM":
            y, (h, c) = self.rnn(self.emb(ids), None if h0 is None else (h0, c0))
            return self.out(y), h, c
        y, h = self.rnn(self.emb(ids), h0)
        return self.out(y), h


@pytest.mark.parametrize("kind,bidirectional,states,exporter", [
    ("LSTM", False, False, "torchscript"),
    ("LSTM", False, True, "torchscript"),
    ("LSTM", True, True, "torchscript"),
    ("GRU", False, True, "torchscript"),
    ("GRU", True, False, "torchscript"),
    pytest.param("LSTM", False, True, "dynamo", marks=EXPORTERS[1].marks),
])
def test_rnn_language_model(tmp_path, kind, bidirectional, states, exporter):
    torch.manual_seed(3)
    model = RNNLM(kind, bidirectional).eval()
    layers = 2 * (2 if bidirectional else 1)
    names = ["ids"] + (["h0", "c0"] if kind == "LSTM" else ["h0"]) * states
    outs = ["logits", "h", "c"] if kind == "LSTM" else ["logits", "h"]
    dyn = {"ids": {0: "batch", 1: "seq"}, "h0": {1: "batch"}, "c0": {1: "batch"}}
    if exporter != "dynamo":
        dyn.update(logits={0: "batch", 1: "seq"}, h={1: "batch"}, c={1: "batch"})

    def make(batch, seq):
        return [torch.randint(0, VOCAB, (batch, seq))] + [torch.randn(layers, batch, D) for _ in names[1:]]

    args = make(2, 5)
    path = export(model, args, str(tmp_path / "lm.onnx"), names, outs, {k: v for k, v in dyn.items()
                                                                         if k in names or k in outs}, exporter)
    model_ir, xml = convert(path, tmp_path, {n: dyn_shape(a, dyn[n]) for n, a in zip(names, args)})
    assert len(model_ir.outputs) == len(outs)
    test = make(3, 8)
    check(xml, path, feeds_of(names, test), torch_run(model, test))


# ---------------------------------------------------------------------------------------------
# EmbeddingBag

class Bag(nn.Module):
    def __init__(self, mode, **kw):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, D, mode=mode, **kw)

    def forward(self, ids, offsets, w=None):
        return self.bag(ids, offsets, per_sample_weights=w)


def bag_inputs(weighted, n, offsets):
    g = torch.Generator().manual_seed(n)
    ids = torch.randint(0, VOCAB, (n,), generator=g)
    args = [ids, torch.tensor(offsets)]
    return args + [torch.rand(n, generator=g)] if weighted else args


BAG_DYN = {"ids": {0: "n"}, "offsets": {0: "bags"}, "w": {0: "n"}}
BAG_EXPORT = ([0, 2, 2, 5], 7)                   # an empty bag
BAG_TEST = ([0, 3, 4, 4, 8, 10], 11)             # another count of bags and indices, an empty bag
BAG_TEST_NONEMPTY = ([0, 3, 4, 6, 8, 10], 11)


@pytest.mark.parametrize("mode,weighted,exporter", [
    ("sum", False, "torchscript"), ("sum", True, "torchscript"), ("mean", False, "torchscript"),
    ("max", False, "torchscript"), pytest.param("sum", True, "dynamo", marks=EXPORTERS[1].marks)])
def test_embedding_bag_loop_pattern(tmp_path, mode, weighted, exporter):
    """Both exporters write EmbeddingBag as a Loop over the bags (TorchScript: Loop with Slice /
    Gather / Reduce*; dynamo: Loop building a sequence, ConcatFromSequence)."""
    torch.manual_seed(4)
    model = Bag(mode).eval()
    names = ["ids", "offsets"] + ["w"] * weighted
    args = bag_inputs(weighted, BAG_EXPORT[1], BAG_EXPORT[0])
    dyn = {k: v for k, v in BAG_DYN.items() if k in names}
    path = export(model, args, str(tmp_path / "bag.onnx"), names, ["y"],
                  dict(dyn, y={0: "bags"}) if exporter != "dynamo" else dyn, exporter)
    assert any(n.op_type == "Loop" for n in onnx.load(path).graph.node)
    _, xml = convert(path, tmp_path, {n: [-1] for n in names})
    offsets, n = BAG_TEST_NONEMPTY if mode == "max" else BAG_TEST
    test = bag_inputs(weighted, n, offsets)
    check(xml, path, feeds_of(names, test), torch_run(model, test))
    if mode == "max":  # an empty bag: the exported pattern's -inf, as onnxruntime computes it
        test = bag_inputs(weighted, BAG_TEST[1], BAG_TEST[0])
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        want = sess.run(None, feeds_of(names, test))[0]
        np.testing.assert_allclose(infer_xml(xml, feeds_of(names, test))[0], want, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("mode,weighted,kw", [
    ("sum", False, {}), ("sum", True, {}), ("mean", False, {}), ("max", False, {}),
    ("sum", True, {"include_last_offset": True}), ("mean", False, {"padding_idx": 3}),
    ("max", False, {"padding_idx": 3}), ("sum", True, {"padding_idx": 3})])
def test_embedding_bag_aten_op(tmp_path, mode, weighted, kw):
    """torch's ATen op (domain org.pytorch.aten, every argument an input) -> EmbeddingBagOffsets-15
    (sum, mean) or Gather + SegmentMax-16 (max)."""
    torch.manual_seed(5)
    model = Bag(mode, **kw).eval()
    names = ["ids", "offsets"] + ["w"] * weighted
    last = kw.get("include_last_offset", False)

    def make(offsets, n):
        args = bag_inputs(weighted, n, offsets + [n] * last)
        if "padding_idx" in kw:  # some padding entries, and a bag of padding only
            args[0][1] = args[0][3] = args[0][4] = kw["padding_idx"]
        return args

    args = make(*BAG_EXPORT)
    path = export(model, args, str(tmp_path / "bag.onnx"), names, ["y"], {k: v for k, v in BAG_DYN.items()
                                                                        if k in names}, "torchscript",
                  operator_export_type=torch.onnx.OperatorExportTypes.ONNX_ATEN)
    aten = [n for n in onnx.load(path).graph.node if n.op_type == "ATen"]
    assert len(aten) == 1 and aten[0].domain == "org.pytorch.aten"
    model_ir, xml = convert(path, tmp_path, {n: [-1] for n in names})
    assert ("SegmentMax" if mode == "max" else "EmbeddingBagOffsets") in model_ir.ops()
    test = make(*BAG_TEST)
    check(xml, path, feeds_of(names, test), torch_run(model, test), use_ort=False)


# ---------------------------------------------------------------------------------------------
# detection head: decode -> TopK -> NonMaxSuppression -> GatherND / ScatterND

def _iou(a, b):
    y1 = torch.maximum(torch.minimum(a[0], a[2]), torch.minimum(b[0], b[2]))
    x1 = torch.maximum(torch.minimum(a[1], a[3]), torch.minimum(b[1], b[3]))
    y2 = torch.minimum(torch.maximum(a[0], a[2]), torch.maximum(b[0], b[2]))
    x2 = torch.minimum(torch.maximum(a[1], a[3]), torch.maximum(b[1], b[3]))
    inter = (y2 - y1).clamp(min=0) * (x2 - x1).clamp(min=0)

    def area(r):
        return (r[2] - r[0]).abs() * (r[3] - r[1]).abs()
    return inter / (area(a) + area(b) - inter)


@torch.library.custom_op("irconv_test::nms", mutates_args=())
def nms(boxes: torch.Tensor, scores: torch.Tensor, max_out: int, iou: float, score_thr: float) -> torch.Tensor:
    """ONNX NonMaxSuppression's semantics (corner boxes, per batch and class, greedy by score):
    the torch-side oracle, exported as NonMaxSuppression like torchvision's nms."""
    out = []
    for n in range(boxes.shape[0]):
        for c in range(scores.shape[1]):
            s, keep = scores[n, c], []
            for i in torch.argsort(s, descending=True, stable=True).tolist():
                if s[i] <= score_thr or len(keep) == max_out:
                    break
                if all(_iou(boxes[n, i], boxes[n, j]) <= iou for j in keep):
                    keep.append(i)
            out += [[n, c, i] for i in keep]
    return torch.tensor(out, dtype=torch.int64).reshape(-1, 3)


@nms.register_fake
def _nms_fake(boxes, scores, max_out, iou, score_thr):
    return boxes.new_empty((torch.library.get_ctx().new_dynamic_size(), 3), dtype=torch.int64)


def _nms_symbolic(g, boxes, scores, max_out, iou, score_thr):
    from torch.onnx import symbolic_helper as sh

    def const(v, dtype):
        return g.op("Constant", value_t=torch.tensor([v], dtype=dtype))
    return g.op("NonMaxSuppression", boxes, scores, const(sh._maybe_get_const(max_out, "i"), torch.int64),
                const(sh._maybe_get_const(iou, "f"), torch.float32),
                const(sh._maybe_get_const(score_thr, "f"), torch.float32))


class DetectionHead(nn.Module):
    TOP_K = 12

    def forward(self, anchors, deltas, logits):
        # anchors, deltas [N, boxes, 4] (y1, x1, y2, x2); logits [N, boxes, classes]
        h, w = anchors[..., 2] - anchors[..., 0], anchors[..., 3] - anchors[..., 1]
        cy = anchors[..., 0] + 0.5 * h + deltas[..., 0] * h
        cx = anchors[..., 1] + 0.5 * w + deltas[..., 1] * w
        h, w = h * torch.exp(deltas[..., 2]), w * torch.exp(deltas[..., 3])
        boxes = torch.stack([cy - 0.5 * h, cx - 0.5 * w, cy + 0.5 * h, cx + 0.5 * w], dim=-1)
        scores = torch.sigmoid(logits)
        _, top = torch.topk(scores.max(dim=2)[0], self.TOP_K, dim=1)
        top_boxes = torch.gather(boxes, 1, top.unsqueeze(-1).expand(-1, -1, 4))
        top_scores = torch.gather(scores, 1, top.unsqueeze(-1).expand(-1, -1, scores.shape[2])).transpose(1, 2)
        sel = torch.ops.irconv_test.nms(top_boxes, top_scores, 4, 0.5, 0.2)   # [M, (batch, class, box)]
        b, c, i = sel[:, 0], sel[:, 1], sel[:, 2]
        det_boxes = top_boxes[b, i]
        det_scores = top_scores[b, c, i]
        dense = torch.zeros_like(top_scores)
        dense[b, c, i] = det_scores
        return sel, det_boxes, det_scores, dense


def detection_inputs(n, boxes, classes, seed):
    g = torch.Generator().manual_seed(seed)
    yx = torch.rand(n, boxes, 2, generator=g) * 10
    hw = torch.rand(n, boxes, 2, generator=g) * 3 + 1
    return [torch.cat([yx, yx + hw], -1), torch.randn(n, boxes, 4, generator=g) * 0.1,
            torch.randn(n, boxes, classes, generator=g) * 2]


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_detection_head_nms(tmp_path, exporter):
    model = DetectionHead().eval()
    names, outs = ["anchors", "deltas", "logits"], ["selected", "boxes", "scores", "dense"]
    dyn = {n: {0: "batch", 1: "boxes"} for n in names}
    args = detection_inputs(2, 20, 3, 0)
    if exporter == "dynamo":
        from onnxscript import opset18 as op

        def nms_onnx(boxes, scores, max_out: int, iou: float, score_thr: float):
            return op.NonMaxSuppression(boxes, scores, op.Constant(value_ints=[max_out]),
                                        op.Constant(value_floats=[iou]), op.Constant(value_floats=[score_thr]))
        path = export(model, args, str(tmp_path / "det.onnx"), names, outs, dyn, exporter,
                      custom_translation_table={torch.ops.irconv_test.nms.default: nms_onnx})
    else:
        torch.onnx.register_custom_op_symbolic("irconv_test::nms", _nms_symbolic, 11)
        try:
            path = export(model, args, str(tmp_path / "det.onnx"), names, outs, dyn, exporter)
        finally:
            torch.onnx.unregister_custom_op_symbolic("irconv_test::nms", 11)
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert {"TopK", "NonMaxSuppression", "ScatterND"} <= ops
    if exporter == "dynamo":
        assert "GatherND" in ops
    model_ir, xml = convert(path, tmp_path, {n: [-1, -1, a.shape[2]] for n, a in zip(names, args)})
    assert model_ir.outputs[0]["shape"] == [-1, 3]
    test = detection_inputs(3, 31, 3, 1)
    got = check(xml, path, feeds_of(names, test), torch_run(model, test))
    assert got[0].shape[0] > 3 * 3  # several boxes kept per image and class
