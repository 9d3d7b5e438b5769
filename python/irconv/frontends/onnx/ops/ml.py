"""ai.onnx.ml operators with numeric tensors: Binarizer, ArrayFeatureExtractor, LabelEncoder
(numeric keys and values; string tensors have no OpenVINO CPU kernels) and TreeEnsemble
(evaluated as a fixed number of gather/compare/select steps, one per tree level)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import ET_TO_NP, StringConst
from ..registry import onnx_op

ML = "ai.onnx.ml"


@onnx_op("Binarizer", domain=ML)
def binarizer(ctx, node):
    # y = x > threshold ? 1 : 0, in x's type
    x = node.input_required(0)
    gt = ctx.binary("Less", ctx.const(node.attr("threshold", 0.0), x), x)   # false for NaN
    return ctx.convert(gt, ctx.et(x))


@onnx_op("ArrayFeatureExtractor", domain=ML)
def array_feature_extractor(ctx, node):
    # y = x[..., indices.ravel()]; a 1-D x gives a [1, n] result (as ONNX Runtime and the reference)
    x, idx = node.input_required(0), node.input_required(1)
    flat = ctx.reshape(ctx.convert(idx, "i64"), [-1])
    y = ctx.gather(x, flat, -1 if ctx.rank(x) is None else max(ctx.rank(x) - 1, 0))
    if ctx.rank(x) == 1:
        y = ctx.unsqueeze(y, [0])
    return y


def _ml_values(node, prefix: str):
    """(array or StringConst or None) of <prefix>_floats / _int64s / _strings / _tensor."""
    for suffix, dtype in (("_floats", np.float32), ("_int64s", np.int64)):
        v = node.attr(prefix + suffix)
        if v is not None:
            return np.asarray(v, dtype)
    if node.attr(prefix + "_strings") is not None:
        return StringConst(node.attr(prefix + "_strings"), [])
    t = node.attr(prefix + "_tensor")
    return t


@onnx_op("LabelEncoder", domain=ML, since=2)
def label_encoder(ctx, node):
    # y[i] = values[k] where keys[k] == x[i] (NaN matches NaN), else the default
    x = node.input_required(0)
    keys, values = _ml_values(node, "keys"), _ml_values(node, "values")
    if keys is None or values is None:
        raise IrconvError("%s: keys and values are required" % node.describe())
    if not isinstance(keys, np.ndarray) or not isinstance(values, np.ndarray) or ctx.et(x) == "string":
        raise IrconvError("%s: string keys, values or inputs are not supported (OpenVINO has no CPU kernels "
                          "comparing strings)" % node.describe())
    keys, values = keys.reshape(-1), values.reshape(-1)
    if keys.size != values.size:
        raise IrconvError("%s: %d keys for %d values" % (node.describe(), keys.size, values.size))
    if node.has_attr("default_tensor"):
        default = np.asarray(node.attr("default_tensor")).reshape(-1)[:1].astype(values.dtype).reshape(())
    elif values.dtype == np.float32:
        default = np.asarray(node.attr("default_float", -0.0), np.float32)
    else:
        default = np.asarray(node.attr("default_int64", -1), np.int64)
    if values.dtype not in [ET_TO_NP[e] for e in ET_TO_NP]:
        raise IrconvError("%s: values of type %s are not supported" % (node.describe(), values.dtype))
    kc = ctx.convert(ctx.const(keys), ctx.et(x))
    xe = ctx.unsqueeze(x, [-1])                                        # [..., 1] vs [k]
    eq = ctx.binary("Equal", xe, kc)
    if keys.dtype.kind == "f" and np.isnan(keys).any():
        eq = ctx.binary("LogicalOr", eq, ctx.binary("LogicalAnd", ctx.op1("IsNaN", [xe], version="opset10"),
                                                  ctx.op1("IsNaN", [kc], version="opset10")))
    hit = ctx.convert(eq, "i32")
    r = ctx.rank(xe)
    last = -1 if r is None else r - 1
    top = ctx.op("TopK", [hit, ctx.const(np.array(1, np.int64))],
                 {"axis": last, "mode": "max", "sort": "value", "index_element_type": "i64", "stable": True},
                 version="opset11")
    found = ctx.binary("Greater", ctx.squeeze(top.output(0), [last]), ctx.const(np.array(0, np.int32)))
    picked = ctx.gather(ctx.const(values), ctx.squeeze(top.output(1), [last]))
    return ctx.op1("Select", [found, picked, ctx.const(default)], {"auto_broadcast": "numpy"})


# ---------------------------------------------------------------- TreeEnsemble
LEQ, LT, GTE, GT, EQ, NEQ, MEMBER = range(7)


def _ints(node, name, n=None, default=None):
    v = node.attr(name)
    if v is None:
        if default is None:
            raise IrconvError("%s: attribute '%s' is required" % (node.describe(), name))
        return np.full(n, default, np.int64)
    return np.asarray(v, np.int64).reshape(-1)


def _floats(node, name):
    v = node.attr(name)
    if v is None:
        return None
    return np.asarray(v, np.float64).reshape(-1)


@onnx_op("TreeEnsemble", domain=ML, since=5)
def tree_ensemble(ctx, node):
    x = node.input_required(0)
    if ctx.rank(x) != 2:
        raise IrconvError("%s: X must be 2-D [N, features]" % node.describe())
    et = ctx.et(x)
    splits = _floats(node, "nodes_splits")
    if splits is None:
        raise IrconvError("%s: attribute 'nodes_splits' is required" % node.describe())
    nn = splits.size
    feat = _ints(node, "nodes_featureids")
    modes = _ints(node, "nodes_modes")
    t_ids, f_ids = _ints(node, "nodes_truenodeids"), _ints(node, "nodes_falsenodeids")
    t_leaf, f_leaf = _ints(node, "nodes_trueleafs"), _ints(node, "nodes_falseleafs")
    missing = _ints(node, "nodes_missing_value_tracks_true", nn, 0)
    leaf_t = _ints(node, "leaf_targetids")
    leaf_w = _floats(node, "leaf_weights")
    roots = _ints(node, "tree_roots")
    n_targets = int(node.attr_required("n_targets"))
    agg = node.attr("aggregate_function", 1)
    post = node.attr("post_transform", 0)
    if any(a.size != nn for a in (feat, modes, t_ids, f_ids, t_leaf, f_leaf, missing)):
        raise IrconvError("%s: the nodes_* attributes differ in length" % node.describe())
    nl = leaf_w.size if leaf_w is not None else 0
    if leaf_t.size != nl or nl == 0:
        raise IrconvError("%s: leaf_targetids and leaf_weights must have the same non-zero length" % node.describe())
    if ((leaf_t < 0) | (leaf_t >= n_targets)).any():
        raise IrconvError("%s: a leaf target id is outside [0, n_targets)" % node.describe())
    # states: interior node i -> i, leaf j -> nn + j (a leaf state loops to itself)
    t_next = np.concatenate([t_ids + t_leaf * nn, nn + np.arange(nl)])
    f_next = np.concatenate([f_ids + f_leaf * nn, nn + np.arange(nl)])
    if (t_next >= nn + nl).any() or (f_next >= nn + nl).any() or (t_next < 0).any() or (f_next < 0).any():
        raise IrconvError("%s: a node refers to a node or leaf that does not exist" % node.describe())
    starts = []
    for r in roots:
        if t_leaf[r] and f_leaf[r] and t_ids[r] == f_ids[r]:
            starts.append(nn + t_ids[r])          # the tree is a single leaf
        else:
            starts.append(int(r))
    # depth: the longest root-to-leaf path (the graph must be acyclic)
    depth = 0
    for s in starts:
        frontier, d = {s}, 0
        while any(v < nn for v in frontier):
            frontier = {int(t_next[v]) for v in frontier if v < nn} | {int(f_next[v]) for v in frontier if v < nn}
            d += 1
            if d > nn:
                raise IrconvError("%s: the trees have a cycle" % node.describe())
        depth = max(depth, d)
    # set membership: one NaN-terminated set per MEMBER node, in node order
    n_member = int((modes == MEMBER).sum())
    sets = np.full((nn + nl, 1), np.nan)
    if n_member:
        mv = _floats(node, "membership_values")
        if mv is None:
            raise IrconvError("%s: MEMBER nodes need membership_values" % node.describe())
        groups, cur = [], []
        for v in mv:
            if np.isnan(v):
                groups.append(cur)
                cur = []
            else:
                cur.append(v)
        if len(groups) != n_member:
            raise IrconvError("%s: %d membership sets for %d MEMBER nodes" % (node.describe(), len(groups), n_member))
        width = max(1, max(len(g) for g in groups))
        sets = np.full((nn + nl, width), np.nan)
        for i, g in zip(np.where(modes == MEMBER)[0], groups):
            sets[i, :len(g)] = g
    np_et = ET_TO_NP.get(et, np.float32)

    def table(v, dtype=np.int64):
        return ctx.const(np.ascontiguousarray(v, dtype=dtype))

    feat_tbl = table(np.concatenate([feat, np.zeros(nl, np.int64)]))
    split_tbl = table(np.concatenate([splits, np.zeros(nl)]), np_et)
    mode_tbl = table(np.concatenate([modes, np.full(nl, -1)]))
    miss_tbl = table(np.concatenate([missing, np.zeros(nl, np.int64)]) != 0, np.bool_)
    t_tbl, f_tbl = table(t_next), table(f_next)
    n = ctx.gather(ctx.shape_of(x), [0])
    state = ctx.op1("Broadcast", [table(np.asarray(starts, np.int64).reshape(1, -1)),
                                  ctx.concat([n, ctx.i64([len(starts)])], 0)], {"mode": "numpy"}, version="opset3")
    present = set(int(m) for m in modes)
    # x >= s as s <= x, x > s as s < x (the CPU plugin's Greater* are true for NaN)
    cmp_ops = {LEQ: ("LessEqual", False), LT: ("Less", False), GTE: ("LessEqual", True), GT: ("Less", True),
               EQ: ("Equal", False)}
    for _ in range(depth):
        xv = ctx.op1("GatherElements", [x, ctx.gather(feat_tbl, state)], {"axis": 1}, version="opset6")
        sp = ctx.gather(split_tbl, state)
        md = ctx.gather(mode_tbl, state)
        cond = None
        for m in sorted(present):
            if m == MEMBER:
                members = ctx.gather(ctx.const(sets.astype(np_et)), state)          # [N, T, width]
                c = ctx.convert(ctx.binary("Equal", ctx.unsqueeze(xv, [2]), members), "i32")
                c = ctx.binary("Greater", ctx.op1("ReduceMax", [c, ctx.i64([2])], {"keep_dims": False}),
                               ctx.const(np.array(0, np.int32)))
            elif m in cmp_ops:
                op, swap = cmp_ops[m]
                c = ctx.binary(op, sp, xv) if swap else ctx.binary(op, xv, sp)
            elif m == NEQ:
                c = ctx.op1("LogicalNot", [ctx.binary("Equal", xv, sp)])   # NaN != s is true
            else:
                raise IrconvError("%s: unknown node mode %d" % (node.describe(), m))
            if cond is None:
                cond = c
            else:
                cond = ctx.op1("Select", [ctx.binary("Equal", md, ctx.i64(m)), c, cond], {"auto_broadcast": "numpy"})
        if missing.any():
            cond = ctx.binary("LogicalOr", cond, ctx.binary("LogicalAnd", ctx.gather(miss_tbl, state),
                                                            ctx.op1("IsNaN", [xv], version="opset10")))
        state = ctx.op1("Select", [cond, ctx.gather(t_tbl, state), ctx.gather(f_tbl, state)],
                        {"auto_broadcast": "numpy"})
    leaf = ctx.binary("Subtract", state, ctx.i64(nn))
    w = ctx.gather(table(leaf_w, np_et), leaf)                                   # [N, T]
    tid = ctx.gather(table(leaf_t), leaf)
    hot = ctx.op1("OneHot", [tid, ctx.i64(n_targets), ctx.const(np.array(True)), ctx.const(np.array(False))],
                  {"axis": -1})                                                # [N, T, targets]
    w3 = ctx.unsqueeze(w, [2])
    if agg in (0, 1):
        if agg == 0:
            w3 = ctx.binary("Multiply", w3, ctx.const(1.0 / len(starts), x))      # value / n_trees, summed
        y = ctx.op1("ReduceSum", [ctx.op1("Select", [hot, w3, ctx.const(0.0, x)], {"auto_broadcast": "numpy"}),
                                  ctx.i64([1])], {"keep_dims": False})
    elif agg in (2, 3):
        fill = np.finfo(np_et).max if agg == 2 else np.finfo(np_et).min
        y = ctx.op1("ReduceMin" if agg == 2 else "ReduceMax",
                    [ctx.op1("Select", [hot, w3, ctx.const(fill, x)], {"auto_broadcast": "numpy"}), ctx.i64([1])],
                    {"keep_dims": False})
    else:
        raise IrconvError("%s: unknown aggregate_function %d" % (node.describe(), agg))
    if post == 0:
        return y
    if post == 1:
        return ctx.op1("SoftMax", [y], {"axis": -1}, version="opset8")
    if post == 2:
        return ctx.op1("Sigmoid", [y])
    if post == 3:
        # softmax over the non-zero scores; zeros stay zero
        nz = ctx.binary("NotEqual", y, ctx.const(0.0, x))
        m = ctx.op1("ReduceMax", [ctx.op1("Select", [nz, y, ctx.const(np.finfo(np_et).min, x)],
                                          {"auto_broadcast": "numpy"}), ctx.i64([-1])], {"keep_dims": True})
        e = ctx.op1("Select", [nz, ctx.op1("Exp", [ctx.binary("Subtract", y, m)]), ctx.const(0.0, x)],
                    {"auto_broadcast": "numpy"})
        s = ctx.op1("ReduceSum", [e, ctx.i64([-1])], {"keep_dims": True})
        return ctx.binary("Divide", e, ctx.op1("Select", [ctx.binary("Equal", s, ctx.const(0.0, x)),
                                                          ctx.const(1.0, x), s], {"auto_broadcast": "numpy"}))
    raise IrconvError("%s: post_transform %d (PROBIT) is not supported" % (node.describe(), post))
