"""Sequence and optional ops, lowered at conversion time.

An IR has tensors only, so an ONNX sequence is tracked while converting: a Seq (known length,
one tensor per item), or a StackedSeq (items are the slices of one tensor along axis 0; its
length may be known only at run time, e.g. SplitToSequence of a dynamic axis or a sequence built
by a Loop). Optionals are Opt values whose presence is known. Ops whose result would depend on a
sequence length or an optional's presence known only at run time are reported as unsupported.
"""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import et_of_onnx
from ..registry import onnx_op
from .control_flow import GrowingSeq, Opt, Seq, StackedSeq, is_tensor, kind_of, require_tensor, translate_graph


def _seq(node, v, what="input 0"):
    if not isinstance(v, (Seq, StackedSeq, GrowingSeq)):
        raise IrconvError("%s: %s is an ONNX %s, a sequence is expected" % (node.describe(), what, kind_of(v)))
    if isinstance(v, GrowingSeq):
        raise IrconvError("%s: a sequence carried by a Loop can only grow by SequenceInsert at its end inside "
                          "the loop body" % node.describe())
    return v


def _known_int(ctx, node, i, what):
    v = node.input_value(i)
    if v is None:
        raise IrconvError("%s: %s is known only at run time; it must be a constant for a sequence of known "
                          "items" % (node.describe(), what))
    return int(np.asarray(v).reshape(-1)[0])


def _position(node, pos: int, n: int, insert: bool) -> int:
    hi = n if insert else n - 1
    if not -n <= pos <= hi:
        raise IrconvError("%s: position %d is out of range for a sequence of %d items" % (node.describe(), pos, n))
    return pos + n if pos < 0 else pos


def _stack(ctx, node, items, what="sequence"):
    if not items:
        raise IrconvError("%s: the %s is empty" % (node.describe(), what))
    return ctx.concat([ctx.unsqueeze(x, 0) for x in items], 0)


def _stacked(ctx, node, s):
    return s.stacked if isinstance(s, StackedSeq) else _stack(ctx, node, s.items)


def _move_axis0(ctx, x, to: int, rank: int):
    """Transpose moving axis 0 of a rank-`rank` tensor to position `to`."""
    if to == 0:
        return x
    perm = list(range(1, to + 1)) + [0] + list(range(to + 1, rank))
    return ctx.op1("Transpose", [x, np.asarray(perm, np.int64)])


@onnx_op("SequenceEmpty", since=11)
def sequence_empty(ctx, node):
    return Seq([], et_of_onnx(node.attr("dtype", 1), node.describe()))


@onnx_op("SequenceConstruct", since=11)
def sequence_construct(ctx, node):
    items = [require_tensor(node, node.input_required(i), "input %d" % i) for i in range(len(node.inputs))]
    return Seq(items)


@onnx_op("SequenceInsert", since=11)
def sequence_insert(ctx, node):
    s = node.input_required(0)
    t = require_tensor(node, node.input_required(1), "input 1")
    has_pos = node.has_input(2)
    if isinstance(s, GrowingSeq):
        if has_pos or s.appended is not None:
            raise IrconvError("%s: a sequence carried by a Loop can only grow by one SequenceInsert at its end per "
                              "iteration" % node.describe())
        return GrowingSeq(s.marker, t)
    s = _seq(node, s)
    if isinstance(s, StackedSeq):
        if has_pos:
            raise IrconvError("%s: inserting at a position into a sequence of run-time length is not supported"
                              % node.describe())
        return StackedSeq(ctx.concat([s.stacked, ctx.unsqueeze(t, 0)], 0))
    n = len(s.items)
    pos = _position(node, _known_int(ctx, node, 2, "position"), n, True) if has_pos else n
    return Seq(s.items[:pos] + [t] + s.items[pos:], s.et or t.element_type)


@onnx_op("SequenceErase", since=11)
def sequence_erase(ctx, node):
    s = _seq(node, node.input_required(0))
    if isinstance(s, StackedSeq):
        raise IrconvError("%s: erasing from a sequence of run-time length is not supported" % node.describe())
    n = len(s.items)
    pos = _position(node, _known_int(ctx, node, 1, "position") if node.has_input(1) else -1, n, False)
    return Seq(s.items[:pos] + s.items[pos + 1:], s.et)


@onnx_op("SequenceAt", since=11)
def sequence_at(ctx, node):
    s = _seq(node, node.input_required(0))
    pos_v = node.input_value(1)
    if isinstance(s, Seq) and pos_v is not None:
        return s.items[_position(node, int(np.asarray(pos_v).reshape(-1)[0]), len(s.items), False)]
    pos = ctx.to_scalar(ctx.convert(node.input_required(1), "i64"))
    return ctx.gather(_stacked(ctx, node, s), pos, 0)


@onnx_op("SequenceLength", since=11)
def sequence_length(ctx, node):
    s = _seq(node, node.input_required(0))
    if isinstance(s, Seq):
        return ctx.const(np.int64(len(s.items)))
    n = ctx.static_shape(s.stacked)
    if n is not None:
        return ctx.const(np.int64(n[0]))
    return ctx.gather(ctx.shape_of(s.stacked), np.asarray(0, np.int64), 0)


@onnx_op("ConcatFromSequence", since=11)
def concat_from_sequence(ctx, node):
    s = _seq(node, node.input_required(0))
    axis = node.attr_required("axis")
    new_axis = node.attr("new_axis", 0)
    if isinstance(s, Seq):
        if not s.items:
            raise IrconvError("%s: the sequence is empty" % node.describe())
        r = ctx.rank(s.items[0])
        if new_axis:
            a = ctx.norm_axis(axis, None if r is None else r + 1)
            return ctx.concat([ctx.unsqueeze(x, a) for x in s.items], a)
        return ctx.concat(s.items, ctx.norm_axis(axis, r))
    x = s.stacked
    rs = ctx.rank(x)
    if rs is None:
        raise IrconvError("%s: the items' rank is not known" % node.describe())
    if new_axis:
        return _move_axis0(ctx, x, ctx.norm_axis(axis, rs), rs)
    a = ctx.norm_axis(axis, rs - 1)
    moved = _move_axis0(ctx, x, a, rs)
    # [d0..d(a-1), N, da, ...] -> [d0..d(a-1), N*da, ...]
    shape = ctx.shape_of(moved)
    parts = []
    if a > 0:
        parts.append(ctx.op1("Slice", [shape, ctx.i64([0]), ctx.i64([a]), ctx.i64([1])], version="opset8"))
    parts.append(ctx.i64([-1]))
    if a + 2 < rs:
        parts.append(ctx.op1("Slice", [shape, ctx.i64([a + 2]), ctx.i64([rs]), ctx.i64([1])], version="opset8"))
    return ctx.reshape(moved, ctx.concat(parts, 0))


@onnx_op("SplitToSequence", since=11)
def split_to_sequence(ctx, node):
    x = require_tensor(node, node.input_required(0), "input 0")
    r = ctx.rank(x)
    axis = ctx.norm_axis(node.attr("axis", 0), r)
    keepdims = node.attr("keepdims", 1)
    shape = ctx.shape(x)
    dim = shape[axis] if shape is not None else -1
    if node.has_input(1):
        split = node.input_value(1)
        if split is None:
            raise IrconvError("%s: 'split' is known only at run time" % node.describe())
        split = np.asarray(split).astype(np.int64)
        if split.ndim == 0:
            if dim < 0:
                raise IrconvError("%s: splitting into chunks of %d needs a static dimension %d"
                                  % (node.describe(), int(split), axis))
            size = int(split)
            if size <= 0:
                raise IrconvError("%s: split must be positive, got %d" % (node.describe(), size))
            sizes = [size] * (dim // size) + ([dim % size] if dim % size else [])
        else:
            sizes = [int(v) for v in split.reshape(-1)]
        if not sizes:
            return Seq([], x.element_type)
        n = ctx.op("VariadicSplit", [x, np.asarray(axis, np.int64), np.asarray(sizes, np.int64)])
        return Seq([n.output(i) for i in range(n.num_outputs)], x.element_type)
    # no split: items of size 1 along axis (squeezed unless keepdims)
    if dim >= 0:
        if dim == 0:
            return Seq([], x.element_type)
        n = ctx.op("Split", [x, np.asarray(axis, np.int64)], {"num_splits": dim})
        items = [n.output(i) for i in range(n.num_outputs)]
        if not keepdims:
            items = [ctx.squeeze(i, axis) for i in items]
        return Seq(items, x.element_type)
    if r is None:
        raise IrconvError("%s: the input rank is not known" % node.describe())
    perm = [axis] + [i for i in range(r) if i != axis]
    stacked = ctx.op1("Transpose", [x, np.asarray(perm, np.int64)]) if axis else x
    if keepdims:
        stacked = ctx.unsqueeze(stacked, axis + 1)
    return StackedSeq(stacked)


@onnx_op("SequenceMap", since=17)
def sequence_map(ctx, node):
    """SequenceMap over sequences of known length: the body is translated once per item."""
    body = node.attr_required("body")
    args = [node.input_required(i) for i in range(len(node.inputs))]
    seqs = [a for a in args if not is_tensor(a)]
    n = None
    for a in seqs:
        a = _seq(node, a, "an input")
        if isinstance(a, StackedSeq):
            raise IrconvError("%s: SequenceMap over a sequence of run-time length is not supported" % node.describe())
        if n is not None and len(a.items) != n:
            raise IrconvError("%s: the input sequences have %d and %d items" % (node.describe(), n, len(a.items)))
        n = len(a.items)
    outs = [[] for _ in body.output]
    for i in range(n or 0):
        formals = [("value", a.items[i] if isinstance(a, Seq) else a) for a in args]
        b = translate_graph(ctx, node, body, formals, node.name, inline=True)
        for k, v in enumerate(b.outputs):
            outs[k].append(require_tensor(node, v, "body output %d" % k))
    return [Seq(o) for o in outs]


@onnx_op("Optional", since=15)
def optional(ctx, node):
    if node.has_input(0):
        return Opt(node.input_required(0))
    types = [a.tp for a in node.proto.attribute if a.name == "type"]
    return Opt(None, types[0] if types else None)


@onnx_op("OptionalHasElement", since=15)
def optional_has_element(ctx, node):
    if not node.has_input(0):
        return ctx.const(np.bool_(False))
    v = node.input_required(0)
    present = v.value is not None if isinstance(v, Opt) else True
    return ctx.const(np.bool_(present))


@onnx_op("OptionalGetElement", since=15)
def optional_get_element(ctx, node):
    v = node.input_required(0)
    if isinstance(v, Opt):
        if v.value is None:
            raise IrconvError("%s: the optional is empty" % node.describe())
        return v.value
    return v
