"""The fused RNN op (modes lstm, gru, rnn_tanh, rnn_relu; stacked; bidirectional) -> one
LSTMSequence / GRUSequence / RNNSequence (opset5) per layer.

MXNet's RNN takes data (T, N, C), one packed 1-D parameter vector, the initial state
(L*D, N, H) [and the initial cell (L*D, N, H) for LSTM]. The vector holds all weights first, then
all biases; inside each, layer by layer, forward before backward, i2h before h2h:
  weights: l0 i2h (G*H, C), l0 h2h (G*H, H), [r0 i2h, r0 h2h], l1 i2h (G*H, D*H), ...
  biases:  l0 i2h (G*H), l0 h2h (G*H), [r0 ...], l1 ...
Gate blocks: LSTM [i, f, c, o] (OpenVINO: f, i, c, o); GRU [r, z, n] (OpenVINO: z, r, h) with
n = tanh(W_n x + b_in + r * (U_n h + b_hn)), i.e. OpenVINO's linear_before_reset with the
bias [b_z, b_r, b_in, b_hn] (b_z, b_r summed over i2h and h2h).
Outputs: (T, N, D*H) [, state (L*D, N, H) [, cell (L*D, N, H)]].
"""
from __future__ import annotations

import numpy as np

from ..registry import mxnet_op

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
# OpenVINO gate order as indices into MXNet's gate blocks
_ORDER = {"lstm": [1, 0, 2, 3], "gru": [1, 0, 2], "rnn_tanh": [0], "rnn_relu": [0]}
_FILLS = ("_zeros", "zeros", "_npi_zeros", "_ones", "ones", "_full", "full")


def _outputs(mx):
    names = ["output"]
    st = mx.attrs.get("state_outputs", "False").strip() in ("True", "true", "1")
    if st:
        names.append("state_output")
        if mx.attrs.get("mode", "").strip() == "lstm":
            names.append("statecell_output")
    return names


def unpack_params(node, flat, mode, layers, dirs, hidden, input_size):
    """The packed vector -> per (layer, direction): (W_i2h, W_h2h, b_i2h, b_h2h) in MXNet's gate order."""
    g = _GATES[mode]
    gh = g * hidden
    shapes = []
    for layer in range(layers):
        in_l = input_size if layer == 0 else dirs * hidden
        for _ in range(dirs):
            shapes.append(((gh, in_l), (gh, hidden)))
    n_w = sum(a[0] * a[1] + b[0] * b[1] for a, b in shapes)
    n_b = len(shapes) * 2 * gh
    if flat.size != n_w + n_b:
        node.fail("the packed parameters have %d values; %s with %d layer(s), %d direction(s), state_size %d "
                  "and input size %d needs %d" % (flat.size, mode, layers, dirs, hidden, input_size, n_w + n_b))
    out = []
    pos = 0
    ws = []
    for a, b in shapes:
        wi = flat[pos:pos + a[0] * a[1]].reshape(a)
        pos += a[0] * a[1]
        wh = flat[pos:pos + b[0] * b[1]].reshape(b)
        pos += b[0] * b[1]
        ws.append((wi, wh))
    for wi, wh in ws:
        bi = flat[pos:pos + gh]
        bh = flat[pos + gh:pos + 2 * gh]
        pos += 2 * gh
        out.append((wi, wh, bi, bh))
    return out


def _reorder(a, mode, hidden):
    blocks = [a[i * hidden:(i + 1) * hidden] for i in range(_GATES[mode])]
    return np.concatenate([blocks[i] for i in _ORDER[mode]], axis=0)


def ov_weights(mode, hidden, wi, wh, bi, bh):
    """One direction's MXNet weights -> OpenVINO W, R, B (gate order and GRU bias layout)."""
    W = _reorder(wi, mode, hidden)
    Rm = _reorder(wh, mode, hidden)
    if mode == "gru":
        bi_o, bh_o = _reorder(bi, mode, hidden), _reorder(bh, mode, hidden)
        B = np.concatenate([bi_o[:2 * hidden] + bh_o[:2 * hidden], bi_o[2 * hidden:], bh_o[2 * hidden:]])
    else:
        B = _reorder(bi, mode, hidden) + _reorder(bh, mode, hidden)
    return W, Rm, B


def _initial_state(ctx, node, slot, x_tnc, layers, dirs, hidden):
    """The (L*D, N, H) initial state input, or zeros when it is an unresolved fill (Gluon exports
    begin states as _zeros with a 0 batch dimension)."""
    src = node.input_node(slot)
    if src is not None and src.op in _FILLS and (src.index, 0) not in ctx.outputs:
        et = ctx.et(x_tnc)
        value = 0.0
        if src.op in ("_ones", "ones"):
            value = 1.0
        elif src.op in ("_full", "full"):
            value = float(src.attrs.get("value", "0"))
        n = ctx.dims_of(x_tnc, [1])
        target = ctx.concat([ctx.i64([layers * dirs]), n, ctx.i64([hidden])])
        return ctx.op1("Broadcast", [ctx.scalar(value, x_tnc), target], {"mode": "numpy"}, version="opset3")
    return node.input(slot)


@mxnet_op("RNN", outputs=_outputs)
def rnn(ctx, node):
    mode = node.required("mode")
    if mode not in _GATES:
        node.fail("mode '%s' is not supported (lstm, gru, rnn_tanh, rnn_relu)" % mode)
    if node.int("projection_size") is not None:
        node.fail("projection_size (LSTMP) is not supported")
    if node.float("lstm_state_clip_min") is not None or node.float("lstm_state_clip_max") is not None:
        node.fail("lstm_state_clip_min/max are not supported")
    hidden = node.required("state_size", "int")
    layers = node.int("num_layers", 1)
    dirs = 2 if node.bool("bidirectional", False) else 1
    x = node.input(0)
    xs = ctx.shape(x)
    if xs is None or len(xs) != 3 or xs[2] < 0:
        node.fail("data must be (seq, batch, features) with known features, got %s" % (xs,))
    flat = ctx.value(node.input(1))
    if flat is None:
        node.fail("the packed parameters must be constant (stored in .params)")
    flat = np.asarray(flat).reshape(-1)
    params = unpack_params(node, flat, mode, layers, dirs, hidden, xs[2])
    h0 = _initial_state(ctx, node, 2, x, layers, dirs, hidden)
    c0 = _initial_state(ctx, node, 3, x, layers, dirs, hidden) if mode == "lstm" else None
    use_len = node.bool("use_sequence_length", False)
    et = ctx.et(x)
    np_et = flat.dtype if flat.dtype in (np.float32, np.float16, np.float64) else np.float32

    seq = ctx.transpose(x, [1, 0, 2])                       # (N, T, C)
    if use_len:
        lens = ctx.convert(node.input(4 if mode == "lstm" else 3), "i32")
    else:
        lens = ctx.op1("Broadcast", [ctx.convert(ctx.dims_of(x, [0]), "i32"), ctx.dims_of(x, [1])],
                       {"mode": "numpy"}, version="opset3")
    direction = "bidirectional" if dirs == 2 else "forward"
    states, cells = [], []
    for layer in range(layers):
        Ws, Rs, Bs = [], [], []
        for d in range(dirs):
            W, Rm, B = ov_weights(mode, hidden, *params[layer * dirs + d])
            Ws.append(W)
            Rs.append(Rm)
            Bs.append(B)
        Wc = ctx.const(np.stack(Ws).astype(np_et), et, name="%s/l%d/W" % (node.name, layer))
        Rc = ctx.const(np.stack(Rs).astype(np_et), et, name="%s/l%d/R" % (node.name, layer))
        Bc = ctx.const(np.stack(Bs).astype(np_et), et, name="%s/l%d/B" % (node.name, layer))
        sl = [layer * dirs, (layer + 1) * dirs]

        def init(s):
            part = ctx.op1("Slice", [s, ctx.i64([sl[0]]), ctx.i64([sl[1]]), ctx.i64([1]), ctx.i64([0])], version="opset8")
            return ctx.transpose(part, [1, 0, 2])         # (N, D, H)
        attrs = {"hidden_size": hidden, "direction": direction, "clip": 0.0}
        if mode == "lstm":
            attrs.update({"activations": ["sigmoid", "tanh", "tanh"], "activations_alpha": [], "activations_beta": []})
            n = ctx.op("LSTMSequence", [seq, init(h0), init(c0), lens, Wc, Rc, Bc], attrs, version="opset5")
        elif mode == "gru":
            attrs.update({"activations": ["sigmoid", "tanh"], "activations_alpha": [], "activations_beta": [],
                          "linear_before_reset": True})
            n = ctx.op("GRUSequence", [seq, init(h0), lens, Wc, Rc, Bc], attrs, version="opset5")
        else:
            attrs.update({"activations": ["tanh" if mode == "rnn_tanh" else "relu"], "activations_alpha": [],
                          "activations_beta": []})
            n = ctx.op("RNNSequence", [seq, init(h0), lens, Wc, Rc, Bc], attrs, version="opset5")
        y = n.output(0)                                     # (N, D, T, H)
        y = ctx.transpose(y, [0, 2, 1, 3])                  # (N, T, D, H)
        seq = ctx.reshape(y, [0, 0, dirs * hidden], special_zero=True)
        states.append(ctx.transpose(n.output(1), [1, 0, 2]))
        if mode == "lstm":
            cells.append(ctx.transpose(n.output(2), [1, 0, 2]))
    out = ctx.transpose(seq, [1, 0, 2])                     # (T, N, D*H)
    outs = [out]
    if node.bool("state_outputs", False):
        outs.append(ctx.concat(states, 0))
        if mode == "lstm":
            outs.append(ctx.concat(cells, 0))
    return outs
