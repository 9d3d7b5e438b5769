"""The fused RNN op (LSTM / GRU / RNN; stacked; bidirectional) on hand-written symbol JSON +
.params, against a numpy implementation of MXNet's RNN maths (gate blocks LSTM [i, f, c, o],
GRU [r, z, n] with the reset gate applied to the biased hidden projection)."""
import numpy as np
import pytest

from mx_files import SymBuilder, run_model
from mx_ref import sigmoid

G = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def make_params(rng, mode, layers, dirs, hidden, input_size):
    """Per (layer, direction) weights in MXNet's layout, and the packed vector (all weights, then
    all biases; forward before backward; i2h before h2h)."""
    g = G[mode]
    per = []
    for layer in range(layers):
        cin = input_size if layer == 0 else dirs * hidden
        for _ in range(dirs):
            per.append((rng.uniform(-0.5, 0.5, (g * hidden, cin)).astype(np.float32),
                        rng.uniform(-0.5, 0.5, (g * hidden, hidden)).astype(np.float32),
                        rng.uniform(-0.5, 0.5, g * hidden).astype(np.float32),
                        rng.uniform(-0.5, 0.5, g * hidden).astype(np.float32)))
    flat = np.concatenate([np.concatenate([wi.ravel(), wh.ravel()]) for wi, wh, _, _ in per] +
                          [np.concatenate([bi, bh]) for _, _, bi, bh in per])
    return per, flat.astype(np.float32)


def mx_rnn(x, per, mode, layers, dirs, hidden, h0, c0=None):
    """MXNet's RNN forward: x (T, N, C) -> (out (T, N, D*H), h (L*D, N, H), c (L*D, N, H))."""
    T = x.shape[0]
    inp = x.astype(np.float64)
    hs, cs = [], []
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            wi, wh, bi, bh = per[layer * dirs + d]
            h = h0[layer * dirs + d].astype(np.float64)
            c = c0[layer * dirs + d].astype(np.float64) if c0 is not None else None
            ys = [None] * T
            for t in (range(T) if d == 0 else reversed(range(T))):
                gi = inp[t] @ wi.T + bi
                gh = h @ wh.T + bh
                if mode == "lstm":
                    i, f, gg, o = np.split(gi + gh, 4, axis=-1)
                    c = sigmoid(f) * c + sigmoid(i) * np.tanh(gg)
                    h = sigmoid(o) * np.tanh(c)
                elif mode == "gru":
                    ir, iz, inn = np.split(gi, 3, axis=-1)
                    hr, hz, hn = np.split(gh, 3, axis=-1)
                    r = sigmoid(ir + hr)
                    z = sigmoid(iz + hz)
                    n = np.tanh(inn + r * hn)
                    h = (1 - z) * n + z * h
                elif mode == "rnn_tanh":
                    h = np.tanh(gi + gh)
                else:
                    h = np.maximum(gi + gh, 0)
                ys[t] = h
            outs.append(np.stack(ys))
            hs.append(h)
            cs.append(c)
        inp = np.concatenate(outs, axis=-1)
    return inp.astype(np.float32), np.stack(hs).astype(np.float32), \
        (np.stack(cs).astype(np.float32) if c0 is not None else None)


CASES = [("lstm", 1, False), ("lstm", 2, True), ("gru", 1, False), ("gru", 2, True), ("rnn_tanh", 1, True),
         ("rnn_relu", 2, False)]


@pytest.mark.parametrize("mode,layers,bidir", CASES)
def test_rnn_symbol_api(mode, layers, bidir):
    """Symbol-API style: packed parameters stored as one variable, states as model inputs."""
    rng = np.random.RandomState(11)
    T, N, C, H = 5, 2, 3, 4
    dirs = 2 if bidir else 1
    per, flat = make_params(rng, mode, layers, dirs, H, C)
    x = rng.uniform(-1, 1, (T, N, C)).astype(np.float32)
    h0 = rng.uniform(-1, 1, (layers * dirs, N, H)).astype(np.float32)
    c0 = rng.uniform(-1, 1, (layers * dirs, N, H)).astype(np.float32)
    b = SymBuilder()
    ins = [b.var("data"), b.var("rnn_parameters"), b.var("h0")] + ([b.var("c0")] if mode == "lstm" else [])
    y = b.op("RNN", "rnn", ins, mode=mode, state_size=H, num_layers=layers, bidirectional=bidir,
             state_outputs=True)
    heads = [y, (y[0], 1)] + ([(y[0], 2)] if mode == "lstm" else [])
    feeds = {"data": x, "h0": h0}
    if mode == "lstm":
        feeds["c0"] = c0
    got = run_model(b.to_json(heads), {"arg:rnn_parameters": flat}, feeds)
    out, hn, cn = mx_rnn(x, per, mode, layers, dirs, H, h0, c0 if mode == "lstm" else None)
    np.testing.assert_allclose(got["rnn_output"], out, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["rnn_state_output"], hn, rtol=1e-4, atol=1e-5)
    if mode == "lstm":
        np.testing.assert_allclose(got["rnn_statecell_output"], cn, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode,layers,bidir", [("lstm", 2, True), ("gru", 1, True)])
def test_rnn_gluon_export_layout(mode, layers, bidir):
    """Gluon export style: NTC data through SwapAxis, parameters as _rnn_param_concat of Reshape(-1)
    of per-layer variables, begin states as _zeros with a 0 batch dimension."""
    rng = np.random.RandomState(12)
    T, N, C, H = 4, 3, 5, 6
    dirs = 2 if bidir else 1
    per, _ = make_params(rng, mode, layers, dirs, H, C)
    b = SymBuilder()
    data = b.var("data")
    names, arrays = [], {}
    for layer in range(layers):
        for d in range(dirs):
            p = "lstm0_%s%d_" % ("l" if d == 0 else "r", layer)
            wi, wh, bi, bh = per[layer * dirs + d]
            arrays.update({"arg:" + p + "i2h_weight": wi, "arg:" + p + "h2h_weight": wh,
                           "arg:" + p + "i2h_bias": bi, "arg:" + p + "h2h_bias": bh})
    order = []
    for kind in ("weight", "bias"):
        for layer in range(layers):
            for d in range(dirs):
                p = "lstm0_%s%d_" % ("l" if d == 0 else "r", layer)
                order += [p + "i2h_" + kind, p + "h2h_" + kind]
    pieces = [b.op("Reshape", "rs_" + n, [b.var(n, __shape__=(0,) * arrays["arg:" + n].ndim)], shape=-1)
              for n in order]
    params = b.op("_rnn_param_concat", "concat0", pieces, dim=0, num_args=len(pieces))
    swapped = b.op("SwapAxis", "swap0", [data], dim1=0, dim2=1)
    states = [b.op("_zeros", "zeros%d" % k, [], shape=(layers * dirs, 0, H), __layout__="LNC")
              for k in range(2 if mode == "lstm" else 1)]
    y = b.op("RNN", "lstm0_rnn0", [swapped, params] + states, mode=mode, state_size=H, num_layers=layers,
             bidirectional=bidir, p=0.2, state_outputs=True)
    out = b.op("SwapAxis", "lstm0_swap1", [y], dim1=0, dim2=1)
    x = rng.uniform(-1, 1, (N, T, C)).astype(np.float32)
    got = run_model(b.to_json([out]), arrays, {"data": x})
    zeros = np.zeros((layers * dirs, N, H), np.float32)
    want, _, _ = mx_rnn(x.transpose(1, 0, 2), per, mode, layers, dirs, H, zeros, zeros if mode == "lstm" else None)
    np.testing.assert_allclose(got["lstm0_swap1_output"], want.transpose(1, 0, 2), rtol=1e-4, atol=1e-5)


def test_rnn_wrong_parameter_count():
    from irconv.errors import IrconvError
    from mx_files import convert
    b = SymBuilder()
    y = b.op("RNN", "rnn", [b.var("data"), b.var("p"), b.var("h0")], mode="gru", state_size=4)
    with pytest.raises(IrconvError, match="needs"):
        convert(b.to_json([y]), {"arg:p": np.zeros(10, np.float32)}, input_shape="[2,1,3],[1,1,4]")
