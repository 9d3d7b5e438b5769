"""LSTM, GRU, RNN.

ONNX lays the sequence out as [seq, batch, ...] (layout 0) or [batch, seq, ...] (layout 1, opset
14); OpenVINO's LSTMSequence-5 / GRUSequence-5 / RNNSequence-5 take X [batch, seq, input], states
[batch, dirs, hidden] and give Y [batch, dirs, seq, hidden], so inputs and outputs are transposed.
Gate orders: ONNX LSTM i,o,f,c vs OpenVINO f,i,c,o (W, R, B reordered); GRU z,r,h in both. ONNX B
is [Wb, Rb]; OpenVINO takes Wb + Rb (GRU with linear_before_reset: [Wbz+Rbz, Wbr+Rbr, Wbh, Rbh]).

What the OpenVINO ops cannot express - LSTM peepholes, input_forget, activations other than
Sigmoid/Tanh/Relu (with the ONNX alpha/beta) - is unrolled over time into plain ops when the
sequence length is static (the ONNX formulas, step by step); otherwise the node is reported as
unsupported. Directions whose activations differ become one sequence op per direction."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
DEFAULT_ACTS = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"], "RNN": ["tanh"]}
NATIVE_ACTS = {"sigmoid", "tanh", "relu"}
# ONNX activation -> (alpha default, beta default, uses alpha, uses beta), as onnxruntime reads them
ACT_PARAMS = {"affine": (1.0, 0.0, True, True), "leakyrelu": (0.01, 0.0, True, False),
              "thresholdedrelu": (1.0, 0.0, True, False), "scaledtanh": (1.0, 1.0, True, True),
              "hardsigmoid": (0.2, 0.5, True, True), "elu": (1.0, 0.0, True, False)}
KNOWN_ACTS = NATIVE_ACTS | set(ACT_PARAMS) | {"softsign", "softplus"}
LSTM_TO_OV = [2, 0, 3, 1]  # OpenVINO f,i,c,o from ONNX i,o,f,c


@onnx_op("LSTM")
def lstm(ctx, node):
    return _recurrent(ctx, node, "LSTM")


@onnx_op("GRU")
def gru(ctx, node):
    return _recurrent(ctx, node, "GRU")


@onnx_op("RNN")
def rnn(ctx, node):
    return _recurrent(ctx, node, "RNN")


# ---------------------------------------------------------------------------- attributes

def _activations(node, kind, dirs):
    """Per direction: a list of (name, alpha, beta); alphas/betas are consumed in order by the
    activations that take them (defaults otherwise), like onnxruntime."""
    n = len(DEFAULT_ACTS[kind])
    names = [a.lower() for a in node.attr("activations", [])] or DEFAULT_ACTS[kind] * dirs
    if len(names) == n and dirs == 2:
        names = names * 2
    if len(names) != n * dirs:
        raise IrconvError("%s: %d activations given, expected %d (%d per direction)"
                          % (node.describe(), len(names), n * dirs, n))
    for a in names:
        if a not in KNOWN_ACTS:
            raise IrconvError("%s: activation '%s' is not supported" % (node.describe(), a))
    alphas = list(node.attr("activation_alpha", []))
    betas = list(node.attr("activation_beta", []))
    acts = []
    for a in names:
        da, db, ua, ub = ACT_PARAMS.get(a, (None, None, False, False))
        alpha = (alphas.pop(0) if alphas else da) if ua else None
        beta = (betas.pop(0) if betas else db) if ub else None
        acts.append((a, alpha, beta))
    return [acts[d * n:(d + 1) * n] for d in range(dirs)]


def _apply_act(ctx, act, x):
    name, alpha, beta = act
    if name == "sigmoid":
        return ctx.op1("Sigmoid", [x])
    if name == "tanh":
        return ctx.op1("Tanh", [x])
    if name == "relu":
        return ctx.op1("ReLU", [x])
    if name == "affine":
        return ctx.binary("Add", ctx.binary("Multiply", x, ctx.const(alpha, x)), ctx.const(beta, x))
    if name == "leakyrelu":
        return ctx.op1("PReLU", [x, ctx.const(np.array([alpha]), x)])
    if name == "thresholdedrelu":
        return ctx.op1("Select", [ctx.binary("Greater", x, ctx.const(alpha, x)), x, ctx.const(0, x)],
                       {"auto_broadcast": "numpy"})
    if name == "scaledtanh":
        t = ctx.op1("Tanh", [ctx.binary("Multiply", x, ctx.const(beta, x))])
        return ctx.binary("Multiply", t, ctx.const(alpha, x))
    if name == "hardsigmoid":
        return ctx.op1("HardSigmoid", [x, ctx.const(alpha, x), ctx.const(beta, x)])
    if name == "elu":
        return ctx.op1("Elu", [x], {"alpha": float(alpha)})
    if name == "softsign":
        return ctx.op1("SoftSign", [x], version="opset9")
    return ctx.op1("SoftPlus", [x], version="opset4")


# ---------------------------------------------------------------------------- tensor helpers

def _split(ctx, x, axis, n):
    """x cut into n equal parts along axis (numpy slices of a constant)."""
    if n == 1:
        return [x]
    v = ctx.value(x)
    if v is not None:
        return [ctx.const(np.ascontiguousarray(p)) for p in np.split(v, n, axis=axis)]
    s = ctx.op("Split", [x, ctx.const(np.array(axis, np.int64))], {"num_splits": n})
    return [s.output(i) for i in range(n)]


def _cat(ctx, parts, axis):
    vals = [ctx.value(p) for p in parts]
    if all(v is not None for v in vals):
        return ctx.const(np.ascontiguousarray(np.concatenate(vals, axis=axis)))
    return ctx.concat(parts, axis)


def _add(ctx, a, b):
    va, vb = ctx.value(a), ctx.value(b)
    if va is not None and vb is not None:
        return ctx.const((va + vb).astype(va.dtype))
    return ctx.binary("Add", a, b)


def _transpose(ctx, x, perm):
    return ctx.op1("Transpose", [x, ctx.i64(perm)])


def _dim(ctx, x, i):
    """Dim i of x as a 1-element i64 tensor (a constant when static)."""
    s = ctx.shape(x)
    if s is not None and s[i] >= 0:
        return ctx.i64([s[i]])
    return ctx.gather(ctx.shape_of(x), [i])


def _zeros(ctx, like, batch_src, tail):
    """Zeros [batch, *tail] of like's type, batch = dim 0 of batch_src."""
    s = ctx.shape(batch_src)
    if s is not None and s[0] >= 0:
        return ctx.const(np.zeros([s[0]] + tail), like)
    target = ctx.concat([_dim(ctx, batch_src, 0), ctx.i64(tail)], 0)
    return ctx.op1("Broadcast", [ctx.const(0, like), target], {"mode": "numpy"}, version="opset3")


def _is_zero(ctx, x):
    v = ctx.value(x)
    return v is not None and not np.any(v)


# ---------------------------------------------------------------------------- translation

class _Spec:
    """The parsed ONNX node, inputs normalized to batch-major OpenVINO-like layouts."""


def _recurrent(ctx, node, kind):
    G = GATES[kind]
    s = _Spec()
    s.kind, s.G = kind, G
    direction = node.attr("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        raise IrconvError("%s: direction '%s' is not supported" % (node.describe(), direction))
    s.direction = direction
    s.dirs = dirs = 2 if direction == "bidirectional" else 1
    layout = node.attr("layout", 0)
    if layout not in (0, 1):
        raise IrconvError("%s: layout %d is not supported (0 or 1)" % (node.describe(), layout))
    X, W, R = node.input_required(0), node.input_required(1), node.input_required(2)
    s.x = X if layout == 1 else _transpose(ctx, X, [1, 0, 2])      # [batch, seq, input]
    s.W, s.R = W, R
    rs = ctx.shape(R)
    hidden = node.attr("hidden_size", None)
    if hidden is None:
        if rs is None or rs[2] < 0:
            raise IrconvError("%s: hidden_size is not given and R's shape is unknown" % node.describe())
        hidden = rs[2]
    s.hidden = hidden
    s.clip = node.attr("clip", None)
    s.lbr = kind == "GRU" and bool(node.attr("linear_before_reset", 0))
    s.input_forget = kind == "LSTM" and bool(node.attr("input_forget", 0))
    s.acts = _activations(node, kind, dirs)

    # B: [dirs, 2*G*h] = [Wb, Rb]
    B = node.input(3)
    if B is None:
        B = ctx.const(np.zeros((dirs, 2 * G * hidden)), X)
    s.Wb, s.Rb = _split(ctx, ctx.convert_like(B, X), 1, 2)
    s.lens = node.input(4)

    def state(i):
        t = node.input(i)
        if t is None:
            return None
        return t if layout == 1 else _transpose(ctx, t, [1, 0, 2])  # [batch, dirs, hidden]
    s.h0 = state(5)
    s.c0 = state(6) if kind == "LSTM" else None
    s.P = node.input(7) if kind == "LSTM" else None
    if s.P is not None and _is_zero(ctx, s.P):
        s.P = None

    native = s.P is None and not s.input_forget and all(a[0] in NATIVE_ACTS for acts in s.acts for a in acts)
    if native:
        Y, Ho, Co = _native(ctx, node, s)
    else:
        Y, Ho, Co = _unrolled(ctx, node, s)

    outs = [None, None, None]
    if node.output_used(0):
        outs[0] = _transpose(ctx, Y, [0, 2, 1, 3] if layout == 1 else [2, 1, 0, 3])
    for i, t in ((1, Ho), (2, Co)):
        if t is not None and node.output_used(i):
            outs[i] = t if layout == 1 else _transpose(ctx, t, [1, 0, 2])
    return outs[:node.num_outputs] if kind == "LSTM" else outs[:2]


def _lens_or_full(ctx, s):
    """sequence_lens, or [batch] filled with the sequence length."""
    if s.lens is not None:
        return s.lens
    xs = ctx.shape(s.x)
    if xs is not None and xs[0] >= 0 and xs[1] >= 0:
        return ctx.const(np.full([xs[0]], xs[1], np.int32))
    return ctx.op1("Broadcast", [_dim(ctx, s.x, 1), _dim(ctx, s.x, 0)], {"mode": "numpy"}, version="opset3")


def _ov_gates(ctx, s, t, axis):
    """ONNX gate order -> OpenVINO's along axis (LSTM only)."""
    if s.kind != "LSTM":
        return t
    parts = _split(ctx, t, axis, 4)
    return _cat(ctx, [parts[i] for i in LSTM_TO_OV], axis)


def _native(ctx, node, s):
    """One LSTMSequence/GRUSequence/RNNSequence (or one per direction when their activations
    differ)."""
    X = s.x
    W = _ov_gates(ctx, s, ctx.convert_like(s.W, X), 1)
    R = _ov_gates(ctx, s, ctx.convert_like(s.R, X), 1)
    if s.lbr:
        wb, rb = _split(ctx, s.Wb, 1, 3), _split(ctx, s.Rb, 1, 3)
        B = _cat(ctx, [_add(ctx, wb[0], rb[0]), _add(ctx, wb[1], rb[1]), wb[2], rb[2]], 1)
    else:
        B = _ov_gates(ctx, s, _add(ctx, s.Wb, s.Rb), 1)
    lens = _lens_or_full(ctx, s)
    states = [s.h0] + ([s.c0] if s.kind == "LSTM" else [])
    states = [t if t is not None else _zeros(ctx, X, X, [s.dirs, s.hidden]) for t in states]
    states = [ctx.convert_like(t, X) for t in states]

    def seq(direction, ws, sts, acts):
        attrs = {"hidden_size": s.hidden, "direction": direction, "activations": [a[0] for a in acts],
                 "activations_alpha": [], "activations_beta": [], "clip": float(s.clip or 0.0)}
        if s.kind == "GRU":
            attrs["linear_before_reset"] = s.lbr
        n = ctx.op(s.kind + "Sequence", [X] + sts + [lens] + ws, attrs, version="opset5")
        return [n.output(i) for i in range(1 + len(sts))]

    if s.dirs == 1 or s.acts[0] == s.acts[1]:
        outs = seq(s.direction, [W, R, B], states, s.acts[0])
    else:
        per = []
        for d, direction in enumerate(("forward", "reverse")):
            ws = [ctx.gather(t, [d]) for t in (W, R, B)]
            per.append(seq(direction, ws, [ctx.gather(t, [d], 1) for t in states], s.acts[d]))
        outs = [ctx.concat([per[0][i], per[1][i]], 1) for i in range(len(per[0]))]
    return outs[0], outs[1], outs[2] if s.kind == "LSTM" else None


# ---------------------------------------------------------------------------- unrolled form

def _unrolled(ctx, node, s):
    xs = ctx.shape(s.x)
    if xs is None or xs[1] < 0:
        raise IrconvError("%s: %s needs a static sequence length (peepholes, input_forget or these "
                          "activations are not expressible with OpenVINO's %sSequence)"
                          % (node.describe(), s.kind, s.kind))
    T = xs[1]
    X = s.x
    W, R = ctx.convert_like(s.W, X), ctx.convert_like(s.R, X)
    Ws, Rs = _split(ctx, W, 0, s.dirs), _split(ctx, R, 0, s.dirs)
    Wbs, Rbs = _split(ctx, s.Wb, 0, s.dirs), _split(ctx, s.Rb, 0, s.dirs)
    Ps = _split(ctx, ctx.convert_like(s.P, X), 0, s.dirs) if s.P is not None else [None] * s.dirs
    lens = ctx.convert(s.lens, "i64") if s.lens is not None else None
    init = []
    for t in (s.h0, s.c0):
        if t is not None:
            t = ctx.convert_like(t, X)
        init.append(t)
    Ys, Hs, Cs = [], [], []
    for d in range(s.dirs):
        reverse = s.direction == "reverse" or d == 1
        w, r = ctx.squeeze(Ws[d], [0]), ctx.squeeze(Rs[d], [0])
        wb, rb = ctx.squeeze(Wbs[d], [0]), ctx.squeeze(Rbs[d], [0])
        p = ctx.squeeze(Ps[d], [0]) if Ps[d] is not None else None
        h, c = [ctx.squeeze(ctx.gather(t, [d], 1), [1]) if t is not None else _zeros(ctx, X, X, [s.hidden])
                for t in init]
        if s.kind != "LSTM":
            c = None
        y, h, c = _unroll_direction(ctx, s, X, T, w, r, wb, rb, p, h, c, lens, reverse, s.acts[d])
        Ys.append(ctx.unsqueeze(y, [1]))
        Hs.append(ctx.unsqueeze(h, [1]))
        if c is not None:
            Cs.append(ctx.unsqueeze(c, [1]))
    return ctx.concat(Ys, 1), ctx.concat(Hs, 1), (ctx.concat(Cs, 1) if Cs else None)


def _unroll_direction(ctx, s, X, T, w, r, wb, rb, p, h, c, lens, reverse, acts):
    """One direction over T steps; returns Y [batch, T, hidden], last H and C [batch, hidden]."""
    hs, G = s.hidden, s.G
    rev_by_lens = reverse and lens is not None
    if rev_by_lens:  # step t of the reversed sequence = element len-1-t of each batch row
        X = ctx.op1("ReverseSequence", [X, lens], {"batch_axis": 0, "seq_axis": 1})
    # input projection of all steps at once: X W^T + Wb (+ Rb where it is added unconditionally)
    rb_parts = _split(ctx, rb, 0, G)
    if s.kind == "GRU":
        bias = _add(ctx, wb, _cat(ctx, [rb_parts[0], rb_parts[1], ctx.const(np.zeros(hs), X)], 0))
    else:
        bias = _add(ctx, wb, rb)
    xw = ctx.binary("Add", ctx.op1("MatMul", [X, w], {"transpose_a": False, "transpose_b": True}), bias)
    steps = [ctx.squeeze(t, [1]) for t in _split(ctx, xw, 1, T)] if T > 1 else [ctx.squeeze(xw, [1])]
    r_parts = _split(ctx, r, 0, G) if s.kind == "GRU" else None
    p_parts = _split(ctx, p, 0, 3) if p is not None else None
    zero = ctx.const(0, X)

    def clip(t):
        if s.clip is None:
            return t
        return ctx.op1("Clamp", [t], {"min": -float(s.clip), "max": float(s.clip)})

    def mm(a, b):
        return ctx.op1("MatMul", [a, b], {"transpose_a": False, "transpose_b": True})

    order = range(T - 1, -1, -1) if reverse and not rev_by_lens else range(T)
    ys = {}
    for t in order:
        g = steps[t]
        if s.kind == "LSTM":
            gi, go, gf, gc = _split(ctx, ctx.binary("Add", g, mm(h, r)), 1, 4)
            if p_parts is not None:
                gi = ctx.binary("Add", gi, ctx.binary("Multiply", p_parts[0], c))
                gf = ctx.binary("Add", gf, ctx.binary("Multiply", p_parts[2], c))
            i = _apply_act(ctx, acts[0], clip(gi))
            f = ctx.binary("Subtract", ctx.const(1, X), i) if s.input_forget else _apply_act(ctx, acts[0], clip(gf))
            cc = _apply_act(ctx, acts[1], clip(gc))
            c_new = ctx.binary("Add", ctx.binary("Multiply", f, c), ctx.binary("Multiply", i, cc))
            if p_parts is not None:
                go = ctx.binary("Add", go, ctx.binary("Multiply", p_parts[1], c_new))
            o = _apply_act(ctx, acts[0], clip(go))
            h_new = ctx.binary("Multiply", o, _apply_act(ctx, acts[2], c_new))
        elif s.kind == "GRU":
            gz, gr, gh = _split(ctx, g, 1, 3)
            z = _apply_act(ctx, acts[0], clip(ctx.binary("Add", gz, mm(h, r_parts[0]))))
            rr = _apply_act(ctx, acts[0], clip(ctx.binary("Add", gr, mm(h, r_parts[1]))))
            if s.lbr:
                hr = ctx.binary("Add", mm(h, r_parts[2]), rb_parts[2])
                hh = ctx.binary("Add", gh, ctx.binary("Multiply", rr, hr))
            else:
                hh = ctx.binary("Add", ctx.binary("Add", gh, mm(ctx.binary("Multiply", rr, h), r_parts[2])),
                                rb_parts[2])
            hh = _apply_act(ctx, acts[1], clip(hh))
            # (1 - z) * hh + z * h = hh + z * (h - hh)
            h_new = ctx.binary("Add", hh, ctx.binary("Multiply", z, ctx.binary("Subtract", h, hh)))
            c_new = None
        else:
            h_new = _apply_act(ctx, acts[0], clip(ctx.binary("Add", g, mm(h, r))))
            c_new = None
        if lens is not None:
            # steps past a row's length leave its state alone and give zeros
            valid = ctx.unsqueeze(ctx.binary("Greater", lens, ctx.const(np.array(t, np.int64))),
                                  [1])
            ys[t] = ctx.op1("Select", [valid, h_new, zero], {"auto_broadcast": "numpy"})
            h = ctx.op1("Select", [valid, h_new, h], {"auto_broadcast": "numpy"})
            if c_new is not None:
                c = ctx.op1("Select", [valid, c_new, c], {"auto_broadcast": "numpy"})
        else:
            ys[t] = h_new
            h, c = h_new, c_new
    y = ctx.concat([ctx.unsqueeze(ys[t], [1]) for t in range(T)], 1)
    if rev_by_lens:
        y = ctx.op1("ReverseSequence", [y, lens], {"batch_axis": 0, "seq_axis": 1})
    return y, h, c
