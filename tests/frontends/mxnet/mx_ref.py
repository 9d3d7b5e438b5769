"""numpy references of MXNet 1.9 operator maths (written from MXNet's operator definitions), for
the op tests: pooling windows and divisors, deconvolution with pad/adj/target_shape, RNN cells."""
import math

import numpy as np


def pool(x, k, s, p, kind="max", full=False, include_pad=True):
    """MXNet pool.h: windows clipped to the padded input; avg divides by the clipped window
    (count_include_pad) or by its part inside the input."""
    n, c = x.shape[:2]
    sp = x.shape[2:]
    nd = len(sp)
    k, s, p = [list(v) if isinstance(v, (list, tuple)) else [v] * nd for v in (k, s, p)]
    osz = []
    for i in range(nd):
        num = sp[i] + 2 * p[i] - k[i]
        osz.append((-(-num // s[i]) if full else num // s[i]) + 1)
    out = np.zeros((n, c) + tuple(osz), dtype=np.float64)
    for idx in np.ndindex(*osz):
        lo, hi, size = [], [], 1
        for i in range(nd):
            st = idx[i] * s[i] - p[i]
            en = min(st + k[i], sp[i] + p[i])
            size *= en - st
            lo.append(max(st, 0))
            hi.append(min(en, sp[i]))
        win = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        inside = int(np.prod([b - a for a, b in zip(lo, hi)]))
        if kind == "max":
            v = win.reshape(n, c, -1).max(axis=2) if inside else np.full((n, c), -np.inf)
        elif kind == "sum":
            v = win.reshape(n, c, -1).sum(axis=2)
        else:
            v = win.reshape(n, c, -1).sum(axis=2) / (size if include_pad else max(inside, 1))
        out[(slice(None), slice(None)) + idx] = v
    return out.astype(x.dtype)


def deconv(x, w, stride, pad, adj=None, dilate=None, group=1, target=None, bias=None):
    """Deconvolution (weight (C_in, C_out/group, k...)): the full transposed convolution, cropped by
    pad at the start, with adj extra positions at the end; target_shape sets pad/adj (InferPad)."""
    n, cin = x.shape[:2]
    sp = x.shape[2:]
    nd = len(sp)
    ks = w.shape[2:]
    dilate = dilate or [1] * nd
    adj = list(adj or [0] * nd)
    pad = list(pad)
    full = [stride[i] * (sp[i] - 1) + dilate[i] * (ks[i] - 1) + 1 for i in range(nd)]
    if target is not None and any(target):
        for i in range(nd):
            total = full[i] - target[i]
            adj[i] = total % 2
            pad[i] = (total + 1) // 2
    og = w.shape[1]
    cg = cin // group
    size = [max(full[i], pad[i] + full[i] - 2 * pad[i] + adj[i]) for i in range(nd)]
    buf = np.zeros((n, og * group) + tuple(size), dtype=np.float64)
    for g in range(group):
        for ci in range(cg):
            c = g * cg + ci
            for pos in np.ndindex(*sp):
                for kk in np.ndindex(*ks):
                    o = tuple(pos[i] * stride[i] + kk[i] * dilate[i] for i in range(nd))
                    buf[(slice(None), slice(g * og, (g + 1) * og)) + o] += \
                        x[(slice(None), c) + pos][:, None] * w[(c, slice(None)) + kk][None, :]
    out_sz = [full[i] - 2 * pad[i] + adj[i] for i in range(nd)]
    out = buf[(slice(None), slice(None)) + tuple(slice(pad[i], pad[i] + out_sz[i]) for i in range(nd))]
    if bias is not None:
        out = out + bias.reshape((1, -1) + (1,) * nd)
    return out.astype(x.dtype)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def erf(x):
    return np.vectorize(math.erf)(x).astype(x.dtype)
