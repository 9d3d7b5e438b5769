"""LSTM, GRU and RNN against onnxruntime: every direction, both layouts, sequence lengths,
initial states, GRU linear_before_reset, weights as graph inputs, and the unrolled form used for
what OpenVINO's sequence ops cannot express (peepholes, input_forget, other activations)."""
import numpy as np
import pytest

from irconv import IrconvError
from helpers import run_ir
from onnx_fe_util import check, helper, make_model, ort_run, rng, to_graph

R = rng(5)
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def f32(*shape, scale=0.5):
    return (R.randn(*shape) * scale).astype(np.float32)


def rnn_model(kind, T, batch, inp, hidden, direction="forward", layout=0, lens=None, h0=False, c0=False,
              peep=False, bias=True, attrs=None, opset=14, weights_as_inputs=False, dyn=False):
    """One recurrent node; returns (model, feeds)."""
    dirs = 2 if direction == "bidirectional" else 1
    G = GATES[kind]
    x = f32(batch, T, inp) if layout else f32(T, batch, inp)
    inits = {"W": f32(dirs, G * hidden, inp), "R": f32(dirs, G * hidden, hidden)}
    if bias:
        inits["B"] = f32(dirs, 2 * G * hidden)
    feeds = {"X": x}
    names = ["X", "W", "R", "B" if bias else ""]
    if lens is not None:
        feeds["lens"] = np.array(lens, np.int32)
        names.append("lens")
    else:
        names.append("")
    state_shape = [batch, dirs, hidden] if layout else [dirs, batch, hidden]
    for flag, n in ((h0, "h0"), (c0 and kind == "LSTM", "c0")):
        if flag:
            feeds[n] = f32(*state_shape)
            names.append(n)
        elif kind == "LSTM" or n == "h0":
            names.append("")
    if peep:
        inits["P"] = f32(dirs, 3 * hidden)
        names.append("P")
    while names and names[-1] == "":
        names.pop()
    a = {"hidden_size": hidden, "direction": direction}
    if opset >= 14:
        a["layout"] = layout
    a.update(attrs or {})
    outs = ["Y", "Y_h"] + (["Y_c"] if kind == "LSTM" else [])
    node = helper.make_node(kind, names, outs, **a)
    inputs = {k: v for k, v in feeds.items()}
    if dyn:
        inputs = {k: (v.dtype, ["d%d_%s" % (i, k) for i in range(v.ndim)]) for k, v in feeds.items()}
    if weights_as_inputs:
        feeds.update(inits)
        inputs.update(inits)
        inits = {}
    m = make_model([node], inputs, outs, inits, opset=opset)
    return m, feeds


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_bidirectional_with_lengths_and_initial_states(kind, tmp_path):
    m, feeds = rnn_model(kind, 5, 3, 4, 6, "bidirectional", lens=[5, 2, 4], h0=True, c0=kind == "LSTM")
    check(m, feeds, tmp_path)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_layout_1(kind, direction, tmp_path):
    # onnxruntime runs only layout 0: the reference is the layout-0 twin on transposed data
    global R
    state = R.get_state()
    m1, feeds1 = rnn_model(kind, 4, 2, 3, 5, direction, layout=1, lens=[3, 4], h0=True, c0=True)
    R.set_state(state)
    m0, feeds0 = rnn_model(kind, 4, 2, 3, 5, direction, layout=0, lens=[3, 4], h0=True, c0=True)
    feeds0 = {k: (v.transpose(1, 0, 2) if k in ("X", "h0", "c0") else v) for k, v in feeds1.items()}
    ref = ort_run(m0, feeds0)
    got = run_ir(to_graph(m1, tmp_path), feeds1)
    for name, r in ref.items():
        r = r.transpose(2, 0, 1, 3) if name == "Y" else r.transpose(1, 0, 2)
        np.testing.assert_allclose(got[name], r, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("lbr", [0, 1])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_gru_linear_before_reset(lbr, direction, tmp_path):
    m, feeds = rnn_model("GRU", 6, 2, 3, 4, direction, lens=[6, 3], h0=True, attrs={"linear_before_reset": lbr})
    check(m, feeds, tmp_path)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_defaults_without_bias_states_or_lengths(kind, tmp_path):
    m, feeds = rnn_model(kind, 3, 2, 3, 4, "reverse", bias=False, opset=7)
    check(m, feeds, tmp_path)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_weights_as_graph_inputs_and_dynamic_shapes(kind, tmp_path):
    m, feeds = rnn_model(kind, 4, 2, 3, 5, "bidirectional", lens=[4, 1], h0=True, c0=True, weights_as_inputs=True,
                         dyn=True)
    check(m, feeds, tmp_path)


def test_bidirectional_with_different_activations_per_direction(tmp_path):
    acts = ["Sigmoid", "Tanh", "Tanh", "Sigmoid", "Relu", "Relu"]
    m, feeds = rnn_model("LSTM", 4, 2, 3, 4, "bidirectional", lens=[4, 2], h0=True, c0=True,
                         attrs={"activations": acts})
    g, _, _ = check(m, feeds, tmp_path)
    assert sum(n.type == "LSTMSequence" for n in g.topo_order()) == 2


def test_clip(tmp_path):
    m, feeds = rnn_model("GRU", 4, 2, 3, 4, "forward", attrs={"clip": 0.3}, h0=True)
    check(m, feeds, tmp_path)


@pytest.mark.parametrize("direction,lens", [("forward", [3, 5]), ("reverse", [5, 2]), ("bidirectional", None)])
def test_lstm_peepholes_unrolled(direction, lens, tmp_path):
    m, feeds = rnn_model("LSTM", 5, 2, 3, 4, direction, lens=lens, h0=True, c0=True, peep=True)
    g, _, _ = check(m, feeds, tmp_path)
    assert not any(n.type == "LSTMSequence" for n in g.topo_order())


def test_lstm_input_forget_and_clip_unrolled(tmp_path):
    m, feeds = rnn_model("LSTM", 4, 2, 3, 4, "forward", h0=True, c0=True, peep=True,
                         attrs={"input_forget": 1, "clip": 0.8})
    check(m, feeds, tmp_path)


@pytest.mark.parametrize("kind,acts,alpha,beta", [
    ("LSTM", ["HardSigmoid", "LeakyRelu", "Softsign"], [0.3, 0.05], [0.4]),
    ("GRU", ["ScaledTanh", "Elu"], [0.8, 1.1], [1.2]),
    ("GRU", ["Affine", "Softplus"], [0.5], [0.1]),
    ("RNN", ["ThresholdedRelu"], [0.1], []),
])
def test_other_activations_unrolled(kind, acts, alpha, beta, tmp_path):
    attrs = {"activations": acts, "activation_alpha": alpha}
    if beta:
        attrs["activation_beta"] = beta
    m, feeds = rnn_model(kind, 4, 2, 3, 4, "reverse", lens=[4, 3], h0=True, c0=True, attrs=attrs)
    check(m, feeds, tmp_path)


def test_unrolled_needs_static_sequence_length(tmp_path):
    m, _ = rnn_model("LSTM", 4, 2, 3, 4, peep=True, dyn=True)
    with pytest.raises(IrconvError, match=r"LSTM node .*static sequence length"):
        to_graph(m, tmp_path)


def test_only_hidden_state_used(tmp_path):
    # outputs left unnamed are not produced
    x = f32(3, 2, 4)
    node = helper.make_node("LSTM", ["X", "W", "R"], ["", "Y_h"], hidden_size=5)
    m = make_model([node], {"X": x}, ["Y_h"], {"W": f32(1, 20, 4), "R": f32(1, 20, 5)}, opset=14)
    check(m, {"X": x}, tmp_path)


def test_unrolled_with_dynamic_batch(tmp_path):
    # static sequence length, batch known only at run time; no initial states (zeros of the batch)
    x = f32(3, 2, 4)
    node = helper.make_node("LSTM", ["X", "W", "R", "B", "", "", "", "P"], ["Y", "Y_h", "Y_c"], hidden_size=5,
                            direction="bidirectional")
    inits = {"W": f32(2, 20, 4), "R": f32(2, 20, 5), "B": f32(2, 40), "P": f32(2, 15)}
    m = make_model([node], {"X": (np.float32, [3, "N", 4])}, ["Y", "Y_h", "Y_c"], inits, opset=14)
    check(m, {"X": x}, tmp_path)
