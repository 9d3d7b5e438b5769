"""LSTM components: nnet1 <LstmProjected> (a whole projected LSTM layer with its recurrent state)
and nnet3 LstmNonlinearityComponent (the cell maths; nnet3 routes the recurrence through
descriptors)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import nnet1_component, nnet_component
from ._util import check_in, data, in_dim, matrix


def _sigmoid(ctx, x, name):
    return ctx.op("Sigmoid", [x], name=name)


def _tanh(ctx, x, name):
    return ctx.op("Tanh", [x], name=name)


# nnet1 <LstmProjected> (alias <LstmProjectedStreams>): tags <CellDim> C, <CellClip>, ... then
# w_gifo_x [4C x in], w_gifo_r [4C x P], bias [4C], peephole_i_c, peephole_f_c, peephole_o_c [C],
# w_r_m [P x C]. Per frame (r, c start at zero):
#   gifo = W_x x + b + W_r r_prev;  g = tanh(g);  i = s(i + p_i c_prev);  f = s(f + p_f c_prev)
#   c = f c_prev + g i  (clipped to +-CellClip when CellClip > 0);  o = s(o + p_o c)
#   r = W_rm (o tanh(c));  output r.
@nnet1_component("LstmProjected", "LstmProjectedStreams",
                 data=("matrix", "matrix", "vector", "vector", "vector", "vector", "matrix"), stateful=True)
def lstm_projected(ctx, comp, x):
    w_x, w_r, bias = data(comp, 0, "matrix"), data(comp, 1, "matrix"), data(comp, 2, "vector")
    p_i, p_f, p_o = data(comp, 3, "vector"), data(comp, 4, "vector"), data(comp, 5, "vector")
    w_rm = data(comp, 6, "matrix")
    c_dim = int(comp.get("CellDim", w_x.shape[0] // 4))
    p_dim = int(w_rm.shape[0])
    shapes_ok = (w_x.shape[0] == 4 * c_dim and w_r.shape == (4 * c_dim, p_dim) and bias.shape == (4 * c_dim,)
                 and p_i.shape == p_f.shape == p_o.shape == (c_dim,) and w_rm.shape == (p_dim, c_dim))
    if not shapes_ok:
        raise IrconvError("%s: inconsistent parameter shapes for cell dim %d, projection %d: w_gifo_x %s, w_gifo_r %s, "
                          "bias %s, peepholes %s/%s/%s, w_r_m %s" % (comp.describe(), c_dim, p_dim, w_x.shape, w_r.shape,
                                                                    bias.shape, p_i.shape, p_f.shape, p_o.shape, w_rm.shape))
    if comp.output_dim is not None and comp.output_dim != p_dim:
        raise IrconvError("%s: output dim %d but the projection has %d rows" % (comp.describe(), comp.output_dim, p_dim))
    check_in(comp, x, w_x.shape[1])
    clip = float(comp.get("CellClip", 50.0))
    r_key, c_key = ctx.scope + "/r", ctx.scope + "/c"
    r_prev = ctx.state(r_key, p_dim)
    c_prev = ctx.state(c_key, c_dim)
    gifo = ctx.add(ctx.affine(x, w_x, bias, name="x_gifo"), ctx.matmul(r_prev, w_r, name="r_gifo"), name="gifo")
    g, i, f, o = ctx.split_cols(gifo, [c_dim] * 4, name="gifo_split")
    g = _tanh(ctx, g, "g")
    i = _sigmoid(ctx, ctx.add(i, ctx.mul(c_prev, ctx.row(p_i, "peephole_i")), name="i_pre"), "i")
    f = _sigmoid(ctx, ctx.add(f, ctx.mul(c_prev, ctx.row(p_f, "peephole_f")), name="f_pre"), "f")
    c = ctx.add(ctx.mul(f, c_prev, name="fc"), ctx.mul(g, i, name="gi"), name="c")
    if clip > 0:
        c = ctx.clamp(c, -clip, clip, name="c_clip")
    o = _sigmoid(ctx, ctx.add(o, ctx.mul(c, ctx.row(p_o, "peephole_o")), name="o_pre"), "o")
    m = ctx.mul(o, _tanh(ctx, c, "h"), name="m")
    r = ctx.matmul(m, w_rm, name="r")
    ctx.assign(r_key, r)
    ctx.assign(c_key, c)
    return r


def _lstm_nl_out_dim(comp, in_dim_fn):
    return 2 * int(np.asarray(comp.require("Params")).shape[1])


# nnet3 LstmNonlinearityComponent: <Params> [3 x C] (w_ic, w_fc, w_oc) ... [<UseDropout> bool].
# Input (i_part, f_part, c_part, o_part, c_prev) [5C] (+ 3 dropout scales); output (c_t, m_t):
#   i = s(i_part + w_ic c_prev); f = s(f_part + w_fc c_prev); c_t = f c_prev + i tanh(c_part)
#   o = s(o_part + w_oc c_t);    m_t = o tanh(c_t)   (with dropout scales on i, f, o).
@nnet_component("LstmNonlinearityComponent", out_dim=_lstm_nl_out_dim)
def lstm_nonlinearity(ctx, comp, x):
    params = matrix(comp, "Params")
    if params.shape[0] != 3:
        raise IrconvError("%s: <Params> must have 3 rows (w_ic, w_fc, w_oc), found %d" % (comp.describe(), params.shape[0]))
    c_dim = params.shape[1]
    d = in_dim(x)
    dropout = bool(comp.get("UseDropout", False)) or d == 5 * c_dim + 3
    if d >= 0 and d != 5 * c_dim + (3 if dropout else 0):
        raise IrconvError("%s: input dim %d, expected %d (5 x cell dim%s)"
                          % (comp.describe(), d, 5 * c_dim + (3 if dropout else 0), " + 3" if dropout else ""))
    sizes = [c_dim] * 5 + ([1, 1, 1] if dropout else [])
    parts = ctx.split_cols(x, sizes, name="parts")
    i_part, f_part, c_part, o_part, c_prev = parts[:5]
    i = _sigmoid(ctx, ctx.add(i_part, ctx.mul(c_prev, ctx.row(params[0], "w_ic")), name="i_pre"), "i")
    f = _sigmoid(ctx, ctx.add(f_part, ctx.mul(c_prev, ctx.row(params[1], "w_fc")), name="f_pre"), "f")
    if dropout:
        i = ctx.mul(i, parts[5], name="i_scaled")
        f = ctx.mul(f, parts[6], name="f_scaled")
    c = ctx.add(ctx.mul(f, c_prev, name="fc"), ctx.mul(i, _tanh(ctx, c_part, "g"), name="ig"), name="c")
    o = _sigmoid(ctx, ctx.add(o_part, ctx.mul(c, ctx.row(params[2], "w_oc")), name="o_pre"), "o")
    if dropout:
        o = ctx.mul(o, parts[7], name="o_scaled")
    m = ctx.mul(o, _tanh(ctx, c, "h"), name="m")
    return ctx.concat([c, m], name="cm")


# nnet1 <RecurrentComponent>: [<GradClip> <DiffClip> <LearnRateCoef> <BiasLearnRateCoef>] W_forward [out x in]
# W_recurrent [out x out] bias [out]; y_t = tanh(W_f x_t + b + W_r y_{t-1}), y_{-1} = 0.
@nnet1_component("RecurrentComponent", data=("matrix", "matrix", "vector"), stateful=True)
def recurrent(ctx, comp, x):
    w_f, w_r, b = data(comp, 0, "matrix"), data(comp, 1, "matrix"), data(comp, 2, "vector")
    out = w_f.shape[0]
    if w_r.shape != (out, out) or b.shape != (out,):
        raise IrconvError("%s: W_forward %s, W_recurrent %s, bias %s are inconsistent"
                          % (comp.describe(), w_f.shape, w_r.shape, b.shape))
    check_in(comp, x, w_f.shape[1])
    key = ctx.scope + "/y"
    y_prev = ctx.state(key, out)
    y = _tanh(ctx, ctx.add(ctx.affine(x, w_f, b, name="forward"), ctx.matmul(y_prev, w_r, name="recurrent"),
                           name="pre"), "y")
    ctx.assign(key, y)
    return y
