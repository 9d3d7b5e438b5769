"""Fused LSTM blocks: BlockLSTM / BlockLSTMV2 (over a sequence) and LSTMBlockCell (one step).

TF's kernel [in + hidden, 4 * hidden] holds the gates as i, c~, f, o (BlockLSTM, LSTMBlockCell) or
i, f, c~, o (BlockLSTMV2); forget_bias is added to the f gate. OpenVINO's LSTMCell takes
W [4H, in], R [4H, H], B [4H] in the order f, i, c~, o. A sequence becomes a TensorIterator over
the time axis whose body runs one cell; steps at or after seq_len_max output zeros and keep the
state (TF's BlockLSTM stops there). With peepholes or a cell clip the cell is written out in
elementwise ops (LSTMCell has neither)."""
import numpy as np

from irconv.errors import IrconvError

from ..registry import tf_op

_ORDER = {"icfo": {"i": 0, "c": 1, "f": 2, "o": 3}, "ifco": {"i": 0, "f": 1, "c": 2, "o": 3}}


def _core():
    from irconv import _core as core  # noqa: PLC0415
    return core


def _gate_blocks(ctx, w, layout, axis):
    """Splits the 4 gate blocks of w along `axis` -> {gate: Output}."""
    sp = ctx.op("Split", [w, ctx.i64(axis)], {"num_splits": 4})
    return {g: sp.output(i) for g, i in _ORDER[layout].items()}


def _ov_weights(ctx, w, b, forget_bias, layout, n_in):
    """TF kernel [in+H, 4H] and bias [4H] -> OpenVINO W [4H, in], R [4H, H], B [4H] (f, i, c, o)."""
    blocks = _gate_blocks(ctx, ctx.transpose(w, [1, 0]), layout, 0)       # each [H, in+H]
    wt = ctx.concat([blocks[g] for g in "fico"], 0)                       # [4H, in+H]
    sp = ctx.op("VariadicSplit", [wt, ctx.i64(1), ctx.i64([n_in, -1])])
    bb = _gate_blocks(ctx, b, layout, 0)
    fb = ctx.binary("Add", bb["f"], ctx.const(forget_bias, b)) if forget_bias else bb["f"]
    bias = ctx.concat([fb, bb["i"], bb["c"], bb["o"]], 0)
    return sp.output(0), sp.output(1), bias


def _used(ctx, node, port):
    """Whether output `port` of the node is read by another node or is a model output."""
    nodes = ctx.scope.nodes
    for cname, idx in ctx.translator.consumers(nodes).get(node.tf.name, []):
        if nodes[cname].inputs[idx][1] == port:
            return True
    return ctx.scope.name == "main" and (node.tf.name, port) in ctx.output_refs


class _Body:
    def __init__(self, ctx, name):
        self.g = _core().Graph(name)
        self.ctx = ctx

    def c(self, v):
        a = np.asarray(v)          # (np.ascontiguousarray would turn a scalar into shape [1])
        return self.g.constant(a if a.flags.c_contiguous else np.ascontiguousarray(a)).output(0)

    def op(self, t, ins, attrs=None, version=""):
        return self.g.op(t, ins, dict(attrs or {}), version=version).output(0)

    def bin(self, t, a, b):
        return self.op(t, [a, b], {"auto_broadcast": "numpy"})


def _manual_cell(bd, x, h, c, w, b, wci, wcf, wco, forget_bias, cell_clip, layout, peephole):
    """One TF LSTM block step in elementwise ops -> dict of i, cs, f, o, ci, co, h."""
    xh = bd.op("Concat", [x, h], {"axis": 1})
    z = bd.bin("Add", bd.op("MatMul", [xh, w], {"transpose_a": False, "transpose_b": False}), b)
    sp = bd.g.op("Split", [z, bd.c(np.int64(1))], {"num_splits": 4})
    gates = {g: sp.output(i) for g, i in _ORDER[layout].items()}
    gi, gf = gates["i"], gates["f"]
    if peephole:
        gi = bd.bin("Add", gi, bd.bin("Multiply", c, wci))
        gf = bd.bin("Add", gf, bd.bin("Multiply", c, wcf))
    if forget_bias:
        gf = bd.bin("Add", gf, bd.c(np.float32(forget_bias)))
    i = bd.op("Sigmoid", [gi])
    f = bd.op("Sigmoid", [gf])
    ci = bd.op("Tanh", [gates["c"]])
    cs = bd.bin("Add", bd.bin("Multiply", ci, i), bd.bin("Multiply", c, f))
    if cell_clip > 0:
        cs = bd.op("Clamp", [cs], {"min": -float(cell_clip), "max": float(cell_clip)})
    go = gates["o"]
    if peephole:
        go = bd.bin("Add", go, bd.bin("Multiply", cs, wco))
    o = bd.op("Sigmoid", [go])
    co = bd.op("Tanh", [cs])
    hh = bd.bin("Multiply", co, o)
    return {"i": i, "cs": cs, "f": f, "o": o, "ci": ci, "co": co, "h": hh}


_PORTS = ["i", "cs", "f", "o", "ci", "co", "h"]


@tf_op("BlockLSTM", "BlockLSTMV2")
def block_lstm(ctx, node):
    slm, x, cs0, h0, w, wci, wcf, wco, b = [node.input(i) for i in range(9)]
    layout = "icfo" if node.op == "BlockLSTM" else "ifco"
    forget_bias = float(node.attr("forget_bias", 1.0)) if node.op == "BlockLSTM" else 0.0
    cell_clip = float(node.attr("cell_clip", 3.0 if node.op == "BlockLSTM" else 0.0))
    peephole = bool(node.attr("use_peephole", False))
    xs, ws = ctx.shape(x), ctx.shape(w)
    if xs is None or len(xs) != 3 or ws is None or len(ws) != 2 or xs[2] < 0 or ws[1] < 0:
        raise IrconvError("needs x [time, batch, input] with a static input size and a [in+H, 4H] kernel; got %s, %s"
                          % (xs, ws))
    n_in, hidden = xs[2], ws[1] // 4
    used = [p for p in range(7) if _used(ctx, node, p)]
    simple = not peephole and cell_clip <= 0 and all(_PORTS[p] in ("cs", "h") for p in used)
    et = ctx.et(x)
    # steps at or after seq_len_max produce zeros; skip the masking when it covers every step
    slm64 = ctx.to_scalar(ctx.convert(slm, "i64"))
    sv, T = ctx.value(slm64), xs[0]
    mask = not (sv is not None and T >= 0 and int(sv) >= T)

    bd = _Body(ctx, node.name + "/body")
    p_x = bd.g.parameter("x_t", et, [1] + xs[1:])
    p_h = bd.g.parameter("h", et, ctx.shape(h0))
    p_c = bd.g.parameter("c", et, ctx.shape(cs0))
    p_n = bd.g.parameter("t", "i64", [])
    p_m = bd.g.parameter("seq_len_max", "i64", [])
    invariants = [(slm64, p_m)]

    def body_value(outer):
        v = ctx.value(outer)
        if v is not None:
            return bd.c(v)
        p = bd.g.parameter("w_%d" % len(invariants), outer.element_type, outer.shape)
        invariants.append((outer, p))
        return p.output(0)

    xt = bd.op("Squeeze", [p_x.output(0), bd.c(np.array([0], np.int64))])
    h, c = p_h.output(0), p_c.output(0)
    if simple:
        W, R, B = _ov_weights(ctx, w, b, forget_bias, layout, n_in)
        cell = bd.g.op("LSTMCell", [xt, h, c, body_value(W), body_value(R), body_value(B)],
                       {"hidden_size": hidden, "activations": ["sigmoid", "tanh", "tanh"],
                        "activations_alpha": [], "activations_beta": [], "clip": 0.0}, version="opset4")
        outs = {"h": cell.output(0), "cs": cell.output(1)}
    else:
        outs = _manual_cell(bd, xt, h, c, body_value(w), body_value(b), body_value(wci), body_value(wcf),
                            body_value(wco), forget_bias, cell_clip, layout, peephole)
    if mask:
        active = bd.bin("Less", p_n.output(0), p_m.output(0))
        zero = bd.c(np.zeros((), dtype=np.float32 if et == "f32" else np.float64 if et == "f64" else np.float16))
        h_next = bd.op("Select", [active, outs["h"], h], {"auto_broadcast": "numpy"})
        c_next = bd.op("Select", [active, outs["cs"], c], {"auto_broadcast": "numpy"})
        seq = {k: bd.op("Select", [active, v, zero], {"auto_broadcast": "numpy"}) for k, v in outs.items()}
    else:
        h_next, c_next, seq = outs["h"], outs["cs"], outs
    r_h = bd.g.result(h_next)
    r_c = bd.g.result(c_next)
    r_n = bd.g.result(bd.bin("Add", p_n.output(0), bd.c(np.int64(1))))
    ports = [p for p in range(7) if _PORTS[p] in seq and (p in used or _PORTS[p] in ("cs", "h"))]
    r_seq = [bd.g.result(bd.op("Unsqueeze", [seq[_PORTS[p]], bd.c(np.array([0], np.int64))])) for p in ports]
    inputs = [x, h0, cs0, ctx.i64(0)] + [o for o, _ in invariants]
    input_map = [{"outer": 0, "param": p_x, "axis": 0},
                 {"outer": 1, "param": p_h, "back_edge": r_h},
                 {"outer": 2, "param": p_c, "back_edge": r_c},
                 {"outer": 3, "param": p_n, "back_edge": r_n}]
    input_map += [{"outer": 4 + j, "param": p} for j, (_, p) in enumerate(invariants)]
    output_map = [{"outer": j, "result": r, "axis": 0} for j, r in enumerate(r_seq)]
    ti = ctx.g.op_with_bodies("TensorIterator", inputs, [bd.g], input_map, output_map, name=node.name,
                              version="opset1")
    ctx.created.append(ti)
    result = [None] * 7
    for j, p in enumerate(ports):
        result[p] = ti.output(j)
    return result


@tf_op("LSTMBlockCell")
def lstm_block_cell(ctx, node):
    x, cs0, h0, w, wci, wcf, wco, b = [node.input(i) for i in range(8)]
    forget_bias = float(node.attr("forget_bias", 1.0))
    cell_clip = float(node.attr("cell_clip", 3.0))
    peephole = bool(node.attr("use_peephole", False))

    class _Outer:
        g = ctx.g

        @staticmethod
        def c(v):
            return ctx.const(np.asarray(v))

        @staticmethod
        def op(t, ins, attrs=None, version=""):
            return ctx.op1(t, ins, attrs, version=version)

        @staticmethod
        def bin(t, a, b_):
            return ctx.binary(t, a, b_)
    outs = _manual_cell(_Outer, x, h0, cs0, w, b, wci, wcf, wco, forget_bias, cell_clip, "icfo", peephole)
    return [outs[p] for p in _PORTS]
