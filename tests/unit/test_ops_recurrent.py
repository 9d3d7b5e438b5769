"""Recurrent and CTC op schemas (LSTM/GRU/RNN cells and sequences, CTCLoss, CTCGreedyDecoder,
CTCGreedyDecoderSeqLen): inferred shapes/types equal what OpenVINO infers for the saved IR, and
the sequences and the sequence-length CTC decoder run on OpenVINO's CPU plugin give what a numpy
reference of the op spec computes."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import run_ir
from op_check import infer_vs_ov

RNG = np.random.default_rng(42)
F = "f32"


def w(*shape):
    return (RNG.standard_normal(shape) * 0.5).astype(np.float32)


def seq_attrs(hidden, direction="forward", **kw):
    a = {"hidden_size": hidden, "direction": direction}
    a.update(kw)
    return a


# ----------------------------------------------------------------------------------------------
# shape / type inference against OpenVINO

LSTM_SEQ_CASES = [
    # X, H, C, lens, W, R, B, direction
    ([2, 5, 3], [2, 1, 4], [2, 1, 4], [2], [1, 16, 3], [1, 16, 4], [1, 16], "forward"),
    ([2, 5, 3], [2, 2, 4], [2, 2, 4], [2], [2, 16, 3], [2, 16, 4], [2, 16], "bidirectional"),
    ([-1, -1, 3], [-1, 1, -1], [-1, 1, -1], [-1], [1, 16, 3], [1, 16, 4], [1, 16], "reverse"),
    ([-1, 7, -1], [2, -1, -1], [-1, -1, -1], [-1], [-1, -1, -1], [-1, -1, -1], [-1, -1], "forward"),
    (None, None, None, None, [2, 20, 3], [2, 20, 5], [2, 20], "bidirectional"),
]


@pytest.mark.parametrize("x,h,c,lens,wt,r,b,d", LSTM_SEQ_CASES)
def test_lstm_sequence_shapes(x, h, c, lens, wt, r, b, d):
    ins = [(F, x), (F, h), (F, c), ("i32", lens), (F, wt), (F, r), (F, b)]
    infer_vs_ov("LSTMSequence", ins, seq_attrs(4 if h and h[2] > 0 else 5, d))


GRU_SEQ_CASES = [
    ([3, 4, 2], [3, 1, 5], [3], [1, 15, 2], [1, 15, 5], [1, 15], "forward", False),
    ([3, 4, 2], [3, 2, 5], [3], [2, 15, 2], [2, 15, 5], [2, 20], "bidirectional", True),
    ([-1, -1, 2], [-1, 1, -1], [-1], [1, 15, 2], [1, -1, -1], [1, 20], "reverse", True),
    (None, [3, 1, 5], None, [1, 15, 2], [1, 15, 5], [1, 15], "forward", False),
]


@pytest.mark.parametrize("x,h,lens,wt,r,b,d,lbr", GRU_SEQ_CASES)
def test_gru_sequence_shapes(x, h, lens, wt, r, b, d, lbr):
    ins = [(F, x), (F, h), ("i64", lens), (F, wt), (F, r), (F, b)]
    infer_vs_ov("GRUSequence", ins, seq_attrs(5, d, linear_before_reset=lbr))


@pytest.mark.parametrize("x,h,d", [([2, 6, 3], [2, 1, 4], "forward"), ([-1, -1, 3], [-1, 2, 4], "bidirectional"),
                                   (None, None, "reverse")])
def test_rnn_sequence_shapes(x, h, d):
    nd = 2 if d == "bidirectional" else 1
    ins = [(F, x), (F, h), ("i32", [-1]), (F, [nd, 4, 3]), (F, [nd, 4, 4]), (F, [nd, 4])]
    infer_vs_ov("RNNSequence", ins, seq_attrs(4, d))


CELL_CASES = [
    ("LSTMCell", 4, [[2, 3], [2, 5], [2, 5]]),
    ("LSTMCell", 4, [[-1, 3], [-1, -1], None]),
    ("LSTMCell", 4, [None, None, None]),
    ("GRUCell", 3, [[2, 3], [2, 5]]),
    ("GRUCell", 3, [[-1, -1], None]),
    ("RNNCell", 1, [[2, 3], [2, 5]]),
    ("RNNCell", 1, [None, [-1, 5]]),
]


@pytest.mark.parametrize("op,gates,states", CELL_CASES)
def test_cell_shapes(op, gates, states):
    ins = [(F, s) for s in states] + [(F, [gates * 5, 3]), (F, [gates * 5, 5]), (F, [gates * 5])]
    attrs = {"hidden_size": 5}
    out = infer_vs_ov(op, ins, attrs)
    assert (out[0] if isinstance(out, list) else out)[1] == "f32"


def test_gru_cell_linear_before_reset_bias():
    infer_vs_ov("GRUCell", [(F, [2, 3]), (F, [2, 5]), (F, [15, 3]), (F, [15, 5]), (F, [20])],
                {"hidden_size": 5, "linear_before_reset": True})


def test_recurrent_errors_name_node_and_expectation():
    g = _core.Graph("bad")

    def p(shape, et=F):
        return g.parameter("p%d" % len(g.parameters), et, shape).output(0)

    x, h, c, lens = p([2, 5, 3]), p([2, 1, 4]), p([2, 1, 4]), p([2], "i32")
    with pytest.raises(IrconvError, match=r"LSTMSequence 'l1'.*W has 12 rows"):
        g.op("LSTMSequence", [x, h, c, lens, p([1, 12, 3]), p([1, 16, 4]), p([1, 16])], seq_attrs(4), name="l1")
    with pytest.raises(IrconvError, match=r"'l2'.*direction"):
        g.op("LSTMSequence", [x, h, c, lens, p([1, 16, 3]), p([1, 16, 4]), p([1, 16])], seq_attrs(4, "both"),
             name="l2")
    with pytest.raises(IrconvError, match=r"'l3'.*2 directions, expected 1"):
        g.op("LSTMSequence", [x, h, c, lens, p([2, 16, 3]), p([2, 16, 4]), p([2, 16])], seq_attrs(4), name="l3")
    with pytest.raises(IrconvError, match=r"'l4'.*activation 'softsign'"):
        g.op("LSTMSequence", [x, h, c, lens, p([1, 16, 3]), p([1, 16, 4]), p([1, 16])],
             seq_attrs(4, activations=["sigmoid", "softsign", "tanh"]), name="l4")
    with pytest.raises(IrconvError, match=r"'l5'.*batch_size"):
        g.op("LSTMSequence", [x, h, c, p([3], "i32"), p([1, 16, 3]), p([1, 16, 4]), p([1, 16])], seq_attrs(4),
             name="l5")
    with pytest.raises(IrconvError, match=r"'l6'.*sequence_lengths.*integer"):
        g.op("LSTMSequence", [x, h, c, p([2]), p([1, 16, 3]), p([1, 16, 4]), p([1, 16])], seq_attrs(4), name="l6")


# ----------------------------------------------------------------------------------------------
# numeric checks against a numpy reference of the OpenVINO op spec

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def cell_step(kind, x, h, c, W, R, B, lbr, clip):
    """One step of an OpenVINO cell; W [G*h, in], R [G*h, h], gate orders fico / zrh."""
    hs = h.shape[-1]

    def cl(v):
        return np.clip(v, -clip, clip) if clip else v

    if kind == "LSTM":
        g = x @ W.T + h @ R.T + B
        f, i, cc, o = (g[:, k * hs:(k + 1) * hs] for k in range(4))
        f, i, cc, o = sigmoid(cl(f)), sigmoid(cl(i)), np.tanh(cl(cc)), sigmoid(cl(o))
        c = f * c + i * cc
        return o * np.tanh(c), c
    if kind == "GRU":
        gx = x @ W.T
        z = sigmoid(cl(gx[:, :hs] + h @ R[:hs].T + B[:hs]))
        r = sigmoid(cl(gx[:, hs:2 * hs] + h @ R[hs:2 * hs].T + B[hs:2 * hs]))
        if lbr:
            hh = np.tanh(cl(gx[:, 2 * hs:] + B[2 * hs:3 * hs] + r * (h @ R[2 * hs:].T + B[3 * hs:])))
        else:
            hh = np.tanh(cl(gx[:, 2 * hs:] + (r * h) @ R[2 * hs:].T + B[2 * hs:]))
        return (1 - z) * hh + z * h, None
    return np.tanh(cl(x @ W.T + h @ R.T + B)), None


def run_sequence_ref(kind, X, H0, C0, lens, W, R, B, direction, lbr=False, clip=0.0):
    batch, T, _ = X.shape
    nd = W.shape[0]
    hs = H0.shape[2]
    Y = np.zeros((batch, nd, T, hs), np.float32)
    Ho = np.zeros((batch, nd, hs), np.float32)
    Co = np.zeros((batch, nd, hs), np.float32)
    for d in range(nd):
        rev = direction == "reverse" or (direction == "bidirectional" and d == 1)
        for b in range(batch):
            h = H0[b:b + 1, d]
            c = C0[b:b + 1, d] if C0 is not None else None
            steps = range(lens[b] - 1, -1, -1) if rev else range(lens[b])
            for t in steps:
                h, c = cell_step(kind, X[b:b + 1, t], h, c, W[d], R[d], B[d], lbr, clip)
                Y[b, d, t] = h[0]
            Ho[b, d] = h[0]
            if c is not None:
                Co[b, d] = c[0]
    return Y, Ho, Co


SEQ_RUNS = [
    ("LSTM", "forward", False, [5, 3], 0.0),
    ("LSTM", "reverse", False, [2, 5], 0.0),
    ("LSTM", "bidirectional", False, [4, 5], 0.0),
    ("GRU", "forward", False, [5, 5], 0.0),
    ("GRU", "bidirectional", True, [3, 5], 0.0),
    ("GRU", "reverse", True, [5, 1], 0.0),
    ("RNN", "bidirectional", False, [5, 2], 0.0),
]


@pytest.mark.parametrize("kind,direction,lbr,lens,clip", SEQ_RUNS)
def test_sequence_values_match_reference(kind, direction, lbr, lens, clip):
    batch, T, inp, hs = 2, 5, 3, 4
    nd = 2 if direction == "bidirectional" else 1
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    X, H0, C0 = w(batch, T, inp), w(batch, nd, hs), w(batch, nd, hs)
    W, R, B = w(nd, G * hs, inp), w(nd, G * hs, hs), w(nd, (G + (1 if lbr else 0)) * hs)
    L = np.array(lens, np.int32)
    g = _core.Graph("seq")
    px = g.parameter("x", F, [batch, T, inp]).output(0)
    ph = g.parameter("h", F, [batch, nd, hs]).output(0)
    ins = [px, ph]
    feeds = {"x": X, "h": H0}
    if kind == "LSTM":
        ins.append(g.parameter("c", F, [batch, nd, hs]).output(0))
        feeds["c"] = C0
    pl = g.parameter("lens", "i32", [batch]).output(0)
    feeds["lens"] = L
    ins += [pl] + [g.constant(a).output(0) for a in (W, R, B)]
    attrs = seq_attrs(hs, direction)
    if kind == "GRU":
        attrs["linear_before_reset"] = lbr
    if clip:
        attrs["clip"] = clip
    n = g.op(kind + "Sequence", ins, attrs, name="seq")
    for i in range(n.num_outputs):
        g.result(n.output(i), name="o%d" % i)
    got = run_ir(g, feeds)
    Y, Ho, Co = run_sequence_ref(kind, X, H0, C0 if kind == "LSTM" else None, L, W, R, B, direction, lbr, clip)
    np.testing.assert_allclose(got[0], Y, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[1], Ho, rtol=1e-4, atol=1e-5)
    if kind == "LSTM":
        np.testing.assert_allclose(got[2], Co, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------------------------
# CTC

@pytest.mark.parametrize("data,mask", [([7, 2, 5], [7, 2]), ([-1, 3, 5], [7, -1]), (None, [7, 2]), (None, None)])
def test_ctc_greedy_decoder_shapes(data, mask):
    infer_vs_ov("CTCGreedyDecoder", [(F, data), (F, mask)], {"ctc_merge_repeated": True})


@pytest.mark.parametrize("data,lens,blank,attrs", [
    ([2, 7, 5], [2], None, {}),
    ([-1, 7, 5], [3], [], {"classes_index_type": "i64", "sequence_length_type": "i64"}),
    (None, [-1], [1], {"merge_repeated": False}),
    ([2, -1, 5], None, None, {"sequence_length_type": "i64"}),
])
def test_ctc_greedy_decoder_seq_len_shapes(data, lens, blank, attrs):
    ins = [(F, data), ("i32", lens)] + ([("i32", blank)] if blank is not None else [])
    infer_vs_ov("CTCGreedyDecoderSeqLen", ins, attrs)


@pytest.mark.parametrize("logits,blank", [([2, 6, 5], True), ([-1, 6, 5], False), (None, True)])
def test_ctc_loss_shapes(logits, blank):
    ins = [(F, logits), ("i32", [-1]), ("i32", [-1, 6]), ("i32", [2 if logits else -1])]
    if blank:
        ins.append(("i32", []))
    infer_vs_ov("CTCLoss", ins, {"ctc_merge_repeated": True, "preprocess_collapse_repeated": False, "unique": False})


def test_ctc_errors():
    g = _core.Graph("bad")
    x = g.parameter("x", F, [2, 7, 5]).output(0)
    with pytest.raises(IrconvError, match=r"CTCGreedyDecoderSeqLen 'd1'.*batch"):
        g.op("CTCGreedyDecoderSeqLen", [x, g.parameter("l", "i32", [3]).output(0)], {}, name="d1")
    with pytest.raises(IrconvError, match=r"'d2'.*classes_index_type"):
        g.op("CTCGreedyDecoderSeqLen", [x, g.parameter("l2", "i32", [2]).output(0)], {"classes_index_type": "f32"},
             name="d2")


def ctc_greedy_ref(data, lens, blank, merge):
    N, T, _ = data.shape
    classes = np.full((N, T), -1, np.int64)
    out_len = np.zeros(N, np.int64)
    for b in range(N):
        prev, k = -1, 0
        for t in range(lens[b]):
            c = int(np.argmax(data[b, t]))
            if c != blank and not (merge and c == prev):
                classes[b, k] = c
                k += 1
            prev = c
        out_len[b] = k
    return classes, out_len


@pytest.mark.parametrize("merge,blank", [(True, None), (False, 1), (True, 0)])
def test_ctc_greedy_decoder_seq_len_values(merge, blank):
    N, T, C = 3, 8, 4
    data = RNG.integers(0, 4, (N, T, C)).astype(np.float32) + RNG.random((N, T, C)).astype(np.float32) * 0.1
    data[:, 2] = data[:, 1]  # repeats
    lens = np.array([8, 5, 1], np.int32)
    g = _core.Graph("ctc")
    ins = [g.parameter("d", F, [N, T, C]).output(0), g.parameter("l", "i32", [N]).output(0)]
    if blank is not None:
        ins.append(g.constant(np.array(blank, np.int32)).output(0))
    n = g.op("CTCGreedyDecoderSeqLen", ins, {"merge_repeated": merge, "classes_index_type": "i64"}, name="dec")
    g.result(n.output(0), name="cls")
    g.result(n.output(1), name="len")
    got = run_ir(g, {"d": data, "l": lens})
    cls, ln = ctc_greedy_ref(data, lens, C - 1 if blank is None else blank, merge)
    assert got[0].dtype == np.int64 and got[1].dtype == np.int32
    np.testing.assert_array_equal(got[1], ln)
    for b in range(N):  # OpenVINO leaves the tail after the decoded classes unspecified (-1 on CPU)
        np.testing.assert_array_equal(got[0][b, :ln[b]], cls[b, :ln[b]])
