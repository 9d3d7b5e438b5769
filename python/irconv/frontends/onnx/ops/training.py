"""ai.onnx.preview.training optimizers: Adagrad, Adam, Momentum (one update step, element-wise).

Inputs are R (learning rate, scalar), T (iteration count, int64 scalar), then the groups
X_1..X_n, G_1..G_n and the state tensors; outputs are the new X's then the new states, each
group of n. The update rules are ONNX's (onnx/defs/training/defs.cc)."""
from __future__ import annotations

from irconv.errors import IrconvError

from ..registry import onnx_op

DOMAIN = "ai.onnx.preview.training"


def _groups(node, n_groups: int):
    n_in = len(node.inputs) - 2
    if n_in <= 0 or n_in % n_groups:
        raise IrconvError("%s: expected 2 + %d*n inputs, got %d" % (node.describe(), n_groups, len(node.inputs)))
    n = n_in // n_groups
    return n, [[node.input_required(2 + g * n + i) for i in range(n)] for g in range(n_groups)]


class _Math:
    """Element-wise helpers in the type of a reference tensor."""

    def __init__(self, ctx, like):
        self.ctx, self.like = ctx, like

    def c(self, v):
        return self.ctx.const(float(v), self.like)

    def add(self, a, b):
        return self.ctx.binary("Add", a, b)

    def sub(self, a, b):
        return self.ctx.binary("Subtract", a, b)

    def mul(self, a, b):
        return self.ctx.binary("Multiply", a, b)

    def div(self, a, b):
        return self.ctx.binary("Divide", a, b)

    def sel(self, cond, a, b):
        return self.ctx.op1("Select", [cond, a, b], {"auto_broadcast": "numpy"})

    def scalar(self, out):
        return self.ctx.convert(self.ctx.to_scalar(out), self.ctx.et(self.like))


@onnx_op("Adagrad", domain=DOMAIN)
def adagrad(ctx, node):
    # r' = r / (1 + t * decay); g' = norm * x + g; h' = h + g'^2; x' = x - r' * g' / (sqrt(h') + eps)
    n, (xs, gs, hs) = _groups(node, 3)
    decay = node.attr("decay_factor", 0.0)
    eps = node.attr("epsilon", 1e-6)
    norm = node.attr("norm_coefficient", 0.0)
    new_x, new_h = [], []
    for x, g, h in zip(xs, gs, hs):
        m = _Math(ctx, x)
        r, t = m.scalar(node.input_required(0)), m.scalar(node.input_required(1))
        r_adj = m.div(r, m.add(m.c(1.0), m.mul(t, m.c(decay))))
        g_reg = m.add(m.mul(m.c(norm), x), g)
        h_new = m.add(h, m.mul(g_reg, g_reg))
        h_sqrt = m.add(ctx.op1("Sqrt", [h_new]), m.c(eps))
        new_x.append(m.sub(x, m.div(m.mul(r_adj, g_reg), h_sqrt)))
        new_h.append(h_new)
    return new_x + new_h


@onnx_op("Adam", domain=DOMAIN)
def adam(ctx, node):
    # g' = norm * x + g; v' = alpha v + (1 - alpha) g'; h' = beta h + (1 - beta) g'^2;
    # r' = t > 0 ? r * sqrt(1 - beta^t) / (1 - alpha^t) : r; x' = (1 - post) (x - r' v' / (sqrt(h') + eps))
    n, (xs, gs, vs, hs) = _groups(node, 4)
    alpha = node.attr("alpha", 0.9)
    beta = node.attr("beta", 0.999)
    eps = node.attr("epsilon", 1e-6)
    norm = node.attr("norm_coefficient", 0.0)
    post = node.attr("norm_coefficient_post", 0.0)
    new_x, new_v, new_h = [], [], []
    for x, g, v, h in zip(xs, gs, vs, hs):
        m = _Math(ctx, x)
        r, t = m.scalar(node.input_required(0)), m.scalar(node.input_required(1))
        g_reg = m.add(m.mul(m.c(norm), x), g)
        v_new = m.add(m.mul(m.c(alpha), v), m.mul(m.c(1 - alpha), g_reg))
        h_new = m.add(m.mul(m.c(beta), h), m.mul(m.c(1 - beta), m.mul(g_reg, g_reg)))
        h_sqrt = m.add(ctx.op1("Sqrt", [h_new]), m.c(eps))
        corr = m.div(ctx.op1("Sqrt", [m.sub(m.c(1.0), ctx.binary("Power", m.c(beta), t))]),
                     m.sub(m.c(1.0), ctx.binary("Power", m.c(alpha), t)))
        r_adj = m.sel(ctx.binary("Greater", t, m.c(0.0)), m.mul(r, corr), r)
        x_new = m.sub(x, m.mul(r_adj, m.div(v_new, h_sqrt)))
        new_x.append(m.mul(m.c(1 - post), x_new))
        new_v.append(v_new)
        new_h.append(h_new)
    return new_x + new_v + new_h


@onnx_op("Momentum", domain=DOMAIN)
def momentum(ctx, node):
    # g' = norm * x + g; b = t > 0 ? beta : 1; v' = alpha v + b g';
    # standard: x' = x - r v'; nesterov: x' = x - r (g' + alpha v')
    n, (xs, gs, vs) = _groups(node, 3)
    alpha = node.attr_required("alpha")
    beta = node.attr_required("beta")
    norm = node.attr_required("norm_coefficient")
    mode = node.attr_required("mode")
    if mode not in ("standard", "nesterov"):
        raise IrconvError("%s: unknown mode '%s'" % (node.describe(), mode))
    new_x, new_v = [], []
    for x, g, v in zip(xs, gs, vs):
        m = _Math(ctx, x)
        r, t = m.scalar(node.input_required(0)), m.scalar(node.input_required(1))
        g_reg = m.add(m.mul(m.c(norm), x), g)
        b = m.sel(ctx.binary("Greater", t, m.c(0.0)), m.c(beta), m.c(1.0))
        v_new = m.add(m.mul(m.c(alpha), v), m.mul(b, g_reg))
        step = v_new if mode == "standard" else m.add(g_reg, m.mul(m.c(alpha), v_new))
        new_x.append(m.sub(x, m.mul(r, step)))
        new_v.append(v_new)
    return new_x + new_v
