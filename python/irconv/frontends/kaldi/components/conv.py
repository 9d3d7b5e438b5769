"""Convolution and pooling components, as OpenVINO Convolution / MaxPool / AvgPool over the
frame's features reshaped to the component's layout (exact: same weights, same windows).

  nnet1 <ConvolutionalComponent>   1-D convolution over frequency of spliced frames
  nnet2 Convolutional1dComponent   the same (also with frequency-major "appended" input)
  nnet1 <MaxPoolingComponent> / <AveragePoolingComponent>
  nnet3 TimeHeightConvolutionComponent   2-D (time x height) convolution with zero padding
  nnet3 MaxpoolingComponent        3-D max pooling of an (x, y, z) vectorized tensor
"""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import check_expansion

from ..registry import nnet1_component, nnet_component
from ._util import check_in, matrix, vector


def _need(comp, tag):
    v = comp.get(tag)
    if v is None:
        raise IrconvError("%s has no <%s>" % (comp.describe(), tag))
    return int(v)


def _conv(ctx, x, w, strides, pads_begin, pads_end, name="conv"):
    return ctx.op("Convolution", [x, ctx.const(w, name + "/weights")],
                  {"strides": list(strides), "dilations": [1] * len(strides), "pads_begin": list(pads_begin),
                   "pads_end": list(pads_end), "auto_pad": "explicit"}, name=name)


def _pool(ctx, kind, x, kernel, strides, name="pool"):
    attrs = {"strides": list(strides), "pads_begin": [0] * len(kernel), "pads_end": [0] * len(kernel),
             "kernel": list(kernel), "rounding_type": "floor", "auto_pad": "explicit"}
    if kind == "AvgPool":
        attrs["exclude-pad"] = True
    return ctx.op(kind, [x], attrs, name=name)


# ---------------------------------------------------------------------------- nnet1
# <ConvolutionalComponent> <PatchDim> d <PatchStep> p <PatchStride> s [<LearnRateCoef> ...] <Filters> [F x S*d]
# <Bias> [F]. The input is S = in/s spliced frames of s values; patch q reads columns q*p + j*s + k
# (j < S, k < d); out[q*F + f] = filters[f] . patch_q + bias[f].
def _nnet1_conv_out(comp, in_dim_fn):
    return comp.output_dim


@nnet1_component("ConvolutionalComponent", fields={"Filters": "mv", "Bias": "mv"}, out_dim=_nnet1_conv_out)
def nnet1_convolutional(ctx, comp, x):
    d, p, s = _need(comp, "PatchDim"), _need(comp, "PatchStep"), _need(comp, "PatchStride")
    filters, bias = matrix(comp, "Filters"), vector(comp, "Bias")
    n_in = int(comp.input_dim)
    if s <= 0 or p <= 0 or d <= 0 or n_in % s or (s - d) % p or d > s:
        raise IrconvError("%s: inconsistent PatchDim %d, PatchStep %d, PatchStride %d for input dim %d"
                          % (comp.describe(), d, p, s, n_in))
    splice, patches, nf = n_in // s, 1 + (s - d) // p, filters.shape[0]
    if filters.shape[1] != splice * d or bias.shape[0] != nf:
        raise IrconvError("%s: filters %s / bias %s do not match %d spliced frames x patch dim %d"
                          % (comp.describe(), filters.shape, bias.shape, splice, d))
    check_in(comp, x, n_in)
    w = np.ascontiguousarray(filters.reshape(nf, splice, d), dtype=np.float32)
    y = _conv(ctx, ctx.reshape(x, [0, splice, s], name="frames"), w, [p], [0], [0])   # [N, F, patches]
    y = ctx.op("Transpose", [y, ctx.i64([0, 2, 1])], name="patch_major")
    y = ctx.reshape(y, [0, patches * nf], name="rows")
    return ctx.add(y, ctx.row(np.tile(bias, patches), "bias"), name="bias")


# <MaxPoolingComponent> / <AveragePoolingComponent>: <PoolSize> n <PoolStep> p <PoolStride> s; the input
# is in/s patches of s values; pool q = max (mean) of patches q*p .. q*p+n-1, element-wise.
def _nnet1_pool(kind):
    def fn(ctx, comp, x):
        n, p, s = _need(comp, "PoolSize"), _need(comp, "PoolStep"), _need(comp, "PoolStride")
        n_in = int(comp.input_dim)
        if s <= 0 or p <= 0 or n <= 0 or n_in % s or (n_in // s) < n or ((n_in // s) - n) % p:
            raise IrconvError("%s: inconsistent PoolSize %d, PoolStep %d, PoolStride %d for input dim %d"
                              % (comp.describe(), n, p, s, n_in))
        check_in(comp, x, n_in)
        y = _pool(ctx, kind, ctx.reshape(x, [0, 1, n_in // s, s], name="patches"), [n, 1], [p, 1])
        return ctx.reshape(y, [0, -1], name="rows")
    return fn


nnet1_component("MaxPoolingComponent")(_nnet1_pool("MaxPool"))
nnet1_component("AveragePoolingComponent")(_nnet1_pool("AvgPool"))


# nnet2 Convolutional1dComponent: <LearningRate> <PatchDim> d <PatchStep> p <PatchStride> s
# [<AppendedConv> b] <FilterParams> [F x S*d] <BiasParams> [F]: as nnet1's, with S = cols / d spliced
# frames; with AppendedConv the input is frequency-major: patch q reads column (q*p + k)*S + j.
def _conv1d_geometry(comp):
    d, p, s = _need(comp, "PatchDim"), _need(comp, "PatchStep"), _need(comp, "PatchStride")
    filters = matrix(comp, "FilterParams")
    if d <= 0 or p <= 0 or s < d or (s - d) % p or filters.shape[1] % d:
        raise IrconvError("%s: inconsistent PatchDim %d, PatchStep %d, PatchStride %d, filters %s"
                          % (comp.describe(), d, p, s, filters.shape))
    return d, p, s, filters.shape[1] // d, 1 + (s - d) // p, filters


@nnet_component("Convolutional1dComponent", fields={"FilterParams": "mv", "AppendedConv": "b"},
                out_dim=lambda comp, in_dim_fn: _conv1d_geometry(comp)[4] * matrix(comp, "FilterParams").shape[0])
def nnet2_convolutional1d(ctx, comp, x):
    d, p, s, splice, patches, filters = _conv1d_geometry(comp)
    bias = vector(comp, "BiasParams", dim=filters.shape[0])
    check_in(comp, x, splice * s)
    appended = bool(comp.get("AppendedConv", False))
    cols = [((q * p + k) * splice + j) if appended else (q * p + j * s + k)
            for q in range(patches) for j in range(splice) for k in range(d)]
    g = ctx.op("Gather", [x, ctx.i64(cols), ctx.i64(1)], {"batch_dims": 0}, name="patches", version="opset8")
    g = ctx.reshape(g, [0, patches, splice * d], name="patch_rows")
    y = ctx.matmul(g, np.ascontiguousarray(filters, dtype=np.float32), name="filters")      # [N, P, F]
    y = ctx.add(y, ctx.row(bias, "bias"), name="bias")
    return ctx.reshape(y, [0, patches * filters.shape[0]], name="rows")


nnet2_convolutional1d.in_dim = lambda comp: _conv1d_geometry(comp)[3] * _conv1d_geometry(comp)[2]


# ---------------------------------------------------------------------------- nnet3
_THC_FIELDS = {"Model": "", "ConvolutionModel": "", "NumFiltersIn": "i", "NumFiltersOut": "i", "HeightIn": "i",
               "HeightOut": "i", "HeightSubsampleOut": "i", "Offsets": "ipv", "RequiredTimeOffsets": "iv",
               "MaxMemoryMb": "f", "NumMinibatchesHistory": "f"}


def _thc_offsets(comp):
    offs = comp.get("Offsets")
    if offs is None or not len(offs):
        raise IrconvError("%s has no (time, height) <Offsets>" % comp.describe())
    return [(int(a), int(b)) for a, b in np.asarray(offs).reshape(-1, 2)]


def _thc_time_offsets(comp):
    return sorted({t for t, _ in _thc_offsets(comp)})


def _thc_out_dim(comp, in_dim_fn):
    return _need(comp, "NumFiltersOut") * _need(comp, "HeightOut")


# TimeHeightConvolutionComponent: the frame is a (height, filter) image (column h*F + f). The model
# lists (time, height) offsets; params [F_out x #offsets*F_in] (offset-major); output
# y(t, h, g) = b[g] + sum_i sum_f W[g, i*F_in + f] x(t + dt_i, h*subsample + dh_i, f), zero outside the
# height range. The builder appends the input at the distinct time offsets; this is then a
# Convolution over (time-slot, height) with stride (1, subsample).
@nnet_component("TimeHeightConvolutionComponent", fields=_THC_FIELDS, out_dim=_thc_out_dim)
def time_height_convolution(ctx, comp, x):
    fi, fo = _need(comp, "NumFiltersIn"), _need(comp, "NumFiltersOut")
    hi, ho = _need(comp, "HeightIn"), _need(comp, "HeightOut")
    sub = int(comp.get("HeightSubsampleOut", 1) or 1)
    offs = _thc_offsets(comp)
    times = _thc_time_offsets(comp)
    params, bias = matrix(comp, "LinearParams"), vector(comp, "BiasParams")
    if params.shape != (fo, len(offs) * fi) or bias.shape != (fo,):
        raise IrconvError("%s: params %s / bias %s, expected (%d, %d) / (%d,)"
                          % (comp.describe(), params.shape, bias.shape, fo, len(offs) * fi, fo))
    k = len(times)
    check_in(comp, x, k * hi * fi)
    dh_min, dh_max = min(h for _, h in offs), max(h for _, h in offs)
    kh = dh_max - dh_min + 1
    check_expansion(fo * fi * k * kh * 4, "%s: a [%d, %d, %d, %d] kernel" % (comp.describe(), fo, fi, k, kh))
    w = np.zeros((fo, fi, k, kh), np.float32)
    for i, (t, h) in enumerate(offs):
        w[:, :, times.index(t), h - dh_min] = params[:, i * fi:(i + 1) * fi]
    img = ctx.reshape(x, [0, k, hi, fi], name="image")
    img = ctx.op("Transpose", [img, ctx.i64([0, 3, 1, 2])], name="nchw")            # [N, F_in, k, H_in]
    crop = max(dh_min, 0)
    if crop:
        img = ctx.op("Slice", [img, ctx.i64([crop]), ctx.i64([hi]), ctx.i64([1]), ctx.i64([3])],
                     name="crop", version="opset8")
    h_eff, pb = hi - crop, max(-dh_min, 0)
    pe = max(0, (ho - 1) * sub + kh - h_eff - pb)
    y = _conv(ctx, img, w, [1, sub], [0, pb], [0, pe])                                # [N, F_out, 1, H']
    h_got = (h_eff + pb + pe - kh) // sub + 1
    if h_got > ho:
        y = ctx.op("Slice", [y, ctx.i64([0]), ctx.i64([ho]), ctx.i64([1]), ctx.i64([3])],
                   name="height_out", version="opset8")
    y = ctx.reshape(y, [0, fo, ho], name="squeeze_time")
    y = ctx.op("Transpose", [y, ctx.i64([0, 2, 1])], name="height_major")            # [N, H_out, F_out]
    y = ctx.reshape(y, [0, ho * fo], name="rows")
    return ctx.add(y, ctx.row(np.tile(bias, ho), "bias"), name="bias")


time_height_convolution.time_offsets = _thc_time_offsets


# MaxpoolingComponent (nnet3): the frame is an (x, y, z) tensor (column x*Y*Z + y*Z + z); 3-D max
# pooling with sizes and steps per axis; the output keeps the same vectorization.
@nnet_component("MaxpoolingComponent", out_dim=lambda comp, in_dim_fn: int(np.prod(
    [1 + (_need(comp, "Input%sDim" % a) - _need(comp, "Pool%sSize" % a)) // _need(comp, "Pool%sStep" % a)
     for a in "XYZ"])))
def nnet3_maxpooling(ctx, comp, x):
    dims = [_need(comp, "Input%sDim" % a) for a in "XYZ"]
    size = [_need(comp, "Pool%sSize" % a) for a in "XYZ"]
    step = [_need(comp, "Pool%sStep" % a) for a in "XYZ"]
    if any(s <= 0 or p <= 0 or s > d for d, s, p in zip(dims, size, step)):
        raise IrconvError("%s: bad pooling sizes %s / steps %s for input %s" % (comp.describe(), size, step, dims))
    check_in(comp, x, int(np.prod(dims)))
    y = _pool(ctx, "MaxPool", ctx.reshape(x, [0, 1] + dims, name="tensor"), size, step)
    return ctx.reshape(y, [0, -1], name="rows")

