"""TfIdfVectorizer over integer tokens (pool_int64s; string pools have no OpenVINO CPU kernels).

For every pooled n-gram g (n tokens, min_gram_length <= n <= max_gram_length) and skip distance
d in 1 .. max_skip_count + 1 (unigrams only once), the count of positions p with
x[p + j*d] == g[j] for all j: compared as shifted slices of the input, summed over positions,
then placed at output column ngram_indexes[i] (i = the n-gram's index in the pool) and weighted
by mode (TF: counts, IDF: weight (or 1) where the count is non-zero, TFIDF: weight * count)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op


def _pool_ngrams(node):
    """[(n, [(pool index, tokens)]), ...] for the sizes within [min, max]."""
    pool = node.attr("pool_int64s")
    if pool is None:
        if node.attr("pool_strings") is not None:
            raise IrconvError("%s: string pools are not supported (OpenVINO has no CPU kernels comparing "
                              "strings)" % node.describe())
        raise IrconvError("%s: pool_int64s is required" % node.describe())
    counts = node.attr_required("ngram_counts")
    lo, hi = node.attr_required("min_gram_length"), node.attr_required("max_gram_length")
    out, index = [], 0
    for i, start in enumerate(counts):
        end = counts[i + 1] if i + 1 < len(counts) else len(pool)
        n = i + 1
        grams = [pool[k:k + n] for k in range(start, end - n + 1, n)] if end > start else []
        if lo <= n <= hi and grams:
            out.append((n, [(index + j, g) for j, g in enumerate(grams)]))
        index += len(grams)
    return out, index


@onnx_op("TfIdfVectorizer", since=9)
def tfidf_vectorizer(ctx, node):
    x = node.input_required(0)
    r = ctx.rank(x)
    if r not in (1, 2):
        raise IrconvError("%s: the input must be [C] or [B, C] with a known rank" % node.describe())
    mode = node.attr_required("mode")
    if mode not in ("TF", "IDF", "TFIDF"):
        raise IrconvError("%s: unknown mode '%s'" % (node.describe(), mode))
    skips = node.attr_required("max_skip_count")
    indexes = np.asarray(node.attr_required("ngram_indexes"), np.int64)
    weights = node.attr("weights")
    sizes, total = _pool_ngrams(node)
    if indexes.size != total:
        raise IrconvError("%s: %d ngram_indexes for %d pooled n-grams" % (node.describe(), indexes.size, total))
    out_size = int(indexes.max()) + 1 if indexes.size else 0
    xs = x if r == 2 else ctx.unsqueeze(x, [0])                   # [B, C]
    xs = ctx.convert(xs, "i64")
    length = ctx.gather(ctx.shape_of(xs), 1)
    place = np.zeros((total, out_size), np.float32)             # pool index -> output column
    place[np.arange(total), indexes] = 1.0
    acc = None
    for n, grams in sizes:
        table = np.array([g for _, g in grams], np.int64)                       # [K, n]
        rows = np.array([i for i, _ in grams], np.int64)
        counts = None
        for d in range(1, (skips + 1 if n > 1 else 1) + 1):
            span = (n - 1) * d
            match = None
            for j in range(n):
                # x[p + j*d] for p = 0 .. C - 1 - span
                start, stop = j * d, ctx.binary("Subtract", length, ctx.i64(span - j * d))
                part = ctx.op1("Slice", [xs, ctx.i64([start]), ctx.reshape(stop, [1]), ctx.i64([1]), ctx.i64([1])],
                               version="opset8")                             # [B, L]
                eq = ctx.binary("Equal", ctx.unsqueeze(part, [2]),
                                ctx.const(np.ascontiguousarray(table[:, j].reshape(1, 1, -1))))   # [B, L, K]
                match = eq if match is None else ctx.binary("LogicalAnd", match, eq)
            c = ctx.op1("ReduceSum", [ctx.convert(match, "f32"), ctx.i64([1])], {"keep_dims": False})   # [B, K]
            counts = c if counts is None else ctx.binary("Add", counts, c)
        y = ctx.op1("MatMul", [counts, ctx.const(np.ascontiguousarray(place[rows]))],
                    {"transpose_a": False, "transpose_b": False})
        acc = y if acc is None else ctx.binary("Add", acc, y)
    if acc is None:
        acc = ctx.op1("Broadcast", [ctx.const(np.float32(0)), ctx.concat([ctx.gather(ctx.shape_of(xs), [0]),
                                                                        ctx.i64([out_size])], 0)],
                      {"mode": "numpy"}, version="opset3")
    w = np.asarray(weights, np.float32) if weights else None
    if w is not None and w.size != out_size:
        raise IrconvError("%s: %d weights for %d outputs" % (node.describe(), w.size, out_size))
    if mode == "IDF":
        acc = ctx.convert(ctx.binary("Greater", acc, ctx.const(np.float32(0))), "f32")
    if mode in ("IDF", "TFIDF") and w is not None:
        acc = ctx.binary("Multiply", acc, ctx.const(w))
    return acc if r == 2 else ctx.squeeze(acc, [0])
