"""Convolutions, pooling, batch normalization, matrix products, LRN, resize, image patches.

TF keeps images channels-last (NHWC) unless data_format says NCHW; OpenVINO's spatial ops are
channels-first, so channels-last inputs are transposed in and out (the transposes of constants
fold away)."""
from irconv.errors import IrconvError

from ..registry import tf_op

PADDING = {"SAME": "same_upper", "VALID": "valid", "EXPLICIT": "explicit"}


def channels_last(node):
    fmt = node.attr("data_format", "NHWC")
    return not fmt.startswith("NC")


def to_nchw(ctx, x, rank):
    return ctx.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))


def from_nchw(ctx, x, rank):
    return ctx.transpose(x, [0] + list(range(2, rank)) + [1])


def _spatial(vals, last, n, what, node):
    """A per-dimension attribute in data-format order -> its n spatial values."""
    if vals is None:
        return [1] * n
    if len(vals) == n:
        return list(vals)
    if len(vals) != n + 2:
        raise IrconvError("%s has %d values, expected %d" % (what, len(vals), n + 2))
    return list(vals[1:1 + n]) if last else list(vals[2:])


def _pads(ctx, node, last, n):
    padding = node.attr("padding", "VALID")
    if padding not in PADDING:
        raise IrconvError("unknown padding '%s'" % padding)
    attrs = {"auto_pad": PADDING[padding], "pads_begin": [0] * n, "pads_end": [0] * n}
    if padding == "EXPLICIT":
        ep = node.attr("explicit_paddings", [])
        if len(ep) != 2 * (n + 2):
            raise IrconvError("explicit_paddings has %d values, expected %d" % (len(ep), 2 * (n + 2)))
        pairs = [ep[2 * i:2 * i + 2] for i in range(n + 2)]
        sp = pairs[1:1 + n] if last else pairs[2:]
        attrs["pads_begin"] = [int(p[0]) for p in sp]
        attrs["pads_end"] = [int(p[1]) for p in sp]
    return attrs


def _conv(ctx, node, n, depthwise=False):
    x, w = node.input(0), node.input(1)
    last = channels_last(node)
    rank = n + 2
    if ctx.rank(x) is not None and ctx.rank(x) != rank:
        raise IrconvError("input has rank %d, expected %d" % (ctx.rank(x), rank))
    strides = _spatial(node.attr("strides", None), last, n, "strides", node)
    dil = _spatial(node.attr("dilations", None), last, n, "dilations", node)
    attrs = dict(_pads(ctx, node, last, n), strides=strides, dilations=dil)
    xin = to_nchw(ctx, x, rank) if last else x
    # filter: [k..., Cin, Cout] -> [Cout, Cin, k...]
    wperm = [n + 1, n] + list(range(n))
    ws = ctx.shape(w)
    if depthwise:
        # [k..., Cin, M] -> [Cin, M, 1, k...] for GroupConvolution
        wt = ctx.transpose(w, [n, n + 1] + list(range(n)))
        if ws is None or any(d < 0 for d in ws[n:]):
            raise IrconvError("depthwise filter needs a static shape, got %s" % ws)
        wg = ctx.reshape(wt, [ws[n], ws[n + 1], 1] + [-1 if d < 0 else d for d in ws[:n]])
        y = ctx.op1("GroupConvolution", [xin, wg], attrs)
    else:
        wt = ctx.transpose(w, wperm)
        xs = ctx.shape(xin)
        cin = xs[1] if xs is not None else -1
        if ws is not None and cin > 0 and ws[n] > 0 and cin != ws[n]:
            if cin % ws[n]:
                raise IrconvError("input has %d channels, the filter takes %d" % (cin, ws[n]))
            groups = cin // ws[n]
            cout = ws[n + 1]
            wg = ctx.reshape(wt, [groups, cout // groups, ws[n]] + list(ws[:n]))
            y = ctx.op1("GroupConvolution", [xin, wg], attrs)
        else:
            y = ctx.op1("Convolution", [xin, wt], attrs)
    return from_nchw(ctx, y, rank) if last else y


@tf_op("Conv2D")
def conv2d(ctx, node):
    return _conv(ctx, node, 2)


@tf_op("Conv3D")
def conv3d(ctx, node):
    return _conv(ctx, node, 3)


@tf_op("DepthwiseConv2dNative")
def depthwise(ctx, node):
    return _conv(ctx, node, 2, depthwise=True)


@tf_op("Conv2DBackpropInput", "Conv3DBackpropInputV2")
def conv_backprop_input(ctx, node):
    n = 2 if node.op == "Conv2DBackpropInput" else 3
    sizes, w, dy = node.input(0), node.input(1), node.input(2)
    last = channels_last(node)
    rank = n + 2
    strides = _spatial(node.attr("strides", None), last, n, "strides", node)
    dil = _spatial(node.attr("dilations", None), last, n, "dilations", node)
    padding = node.attr("padding", "VALID")
    sv = ctx.value(sizes)
    if sv is None:
        raise IrconvError("input_sizes must be known at conversion time")
    sv = [int(v) for v in sv]
    spatial_out = sv[1:1 + n] if last else sv[2:]
    attrs = {"strides": strides, "dilations": dil, "pads_begin": [0] * n, "pads_end": [0] * n,
             "auto_pad": {"SAME": "same_upper", "VALID": "valid", "EXPLICIT": "explicit"}[padding],
             "output_padding": [0] * n}
    if padding == "EXPLICIT":
        a = _pads(ctx, node, last, n)
        attrs["pads_begin"], attrs["pads_end"] = a["pads_begin"], a["pads_end"]
    xin = to_nchw(ctx, dy, rank) if last else dy
    # filter [k..., Cout(of the forward conv = our input C), Cin] -> [C_in_of_dy, C_out, k...]
    wt = ctx.transpose(w, [n + 1, n] + list(range(n)))
    ins = [xin, wt]
    ds, ws = ctx.shape(xin), ctx.shape(w)
    if padding == "SAME" and ds is not None and ws is not None and all(d >= 0 for d in ds[2:] + ws[:n]):
        # the forward conv's SAME padding (extra at the end), and whatever output padding is left
        pb, pe, op = [], [], []
        for i in range(n):
            k_eff = (ws[i] - 1) * dil[i] + 1
            total = max((ds[2 + i] - 1) * strides[i] + k_eff - spatial_out[i], 0)
            pb.append(total // 2)
            pe.append(total - total // 2)
            op.append(spatial_out[i] - ((ds[2 + i] - 1) * strides[i] + k_eff - total))
        attrs.update(auto_pad="explicit", pads_begin=pb, pads_end=pe, output_padding=op)
    elif padding == "SAME":
        ins.append(ctx.i64(spatial_out))
    elif padding == "VALID":
        attrs["auto_pad"] = "explicit"
        if ds is not None and ws is not None and all(d >= 0 for d in ds[2:] + ws[:n]):
            attrs["output_padding"] = [spatial_out[i] - ((ds[2 + i] - 1) * strides[i] + (ws[i] - 1) * dil[i] + 1)
                                       for i in range(n)]
    y = ctx.op1("ConvolutionBackpropData", ins, attrs)
    return from_nchw(ctx, y, rank) if last else y


def _pool(ctx, node, kind, n, ksize=None, strides=None):
    x = node.input(0)
    last = channels_last(node)
    rank = n + 2
    k = _spatial(ksize if ksize is not None else node.attr("ksize"), last, n, "ksize", node)
    s = _spatial(strides if strides is not None else node.attr("strides"), last, n, "strides", node)
    attrs = dict(_pads(ctx, node, last, n), kernel=k, strides=s, rounding_type="floor")
    xin = to_nchw(ctx, x, rank) if last else x
    if kind == "max":
        y = ctx.op1("MaxPool", [xin], attrs, version="opset1")
    else:
        attrs["exclude-pad"] = True
        y = ctx.op1("AvgPool", [xin], attrs, version="opset1")
    return from_nchw(ctx, y, rank) if last else y


@tf_op("MaxPool")
def max_pool(ctx, node):
    return _pool(ctx, node, "max", 2)


@tf_op("MaxPool3D")
def max_pool3d(ctx, node):
    return _pool(ctx, node, "max", 3)


@tf_op("AvgPool")
def avg_pool(ctx, node):
    return _pool(ctx, node, "avg", 2)


@tf_op("AvgPool3D")
def avg_pool3d(ctx, node):
    return _pool(ctx, node, "avg", 3)


@tf_op("MaxPoolV2")
def max_pool_v2(ctx, node):
    k = [int(v) for v in node.const_input(1, "ksize")]
    s = [int(v) for v in node.const_input(2, "strides")]
    return _pool(ctx, node, "max", 2, k, s)


@tf_op("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def fused_batch_norm(ctx, node):
    x, scale, offset, mean, var = [node.input(i) for i in range(5)]
    eps = float(node.attr("epsilon", 1e-4))
    last = channels_last(node)
    rank = ctx.rank(x)
    if node.attr("is_training", True):
        # training mode: y is normalized with the batch statistics
        if rank is None:
            raise IrconvError("training-mode batch norm needs a known input rank")
        axes = [i for i in range(rank) if i != (rank - 1 if last else 1)]
        mean = ctx.op1("ReduceMean", [x, ctx.i64(axes)], {"keep_dims": False})
        d = ctx.binary("Subtract", x, _chan(ctx, mean, rank, last))
        var = ctx.op1("ReduceMean", [ctx.binary("Multiply", d, d), ctx.i64(axes)], {"keep_dims": False})
    if rank is None and not last:
        raise IrconvError("batch norm in NCHW needs a known input rank")
    k = ctx.binary("Divide", scale, ctx.op1("Sqrt", [ctx.binary("Add", var, ctx.const(eps, var))]))
    b = ctx.binary("Subtract", offset, ctx.binary("Multiply", mean, k))
    y = ctx.binary("Add", ctx.binary("Multiply", x, _chan(ctx, k, rank, last)), _chan(ctx, b, rank, last))
    return [y, mean, var, mean, var, None]


def _chan(ctx, v, rank, last):
    if last:
        return v
    return ctx.reshape(v, [1, -1] + [1] * (rank - 2))


@tf_op("MatMul")
def matmul(ctx, node):
    return ctx.op1("MatMul", [node.input(0), node.input(1)],
                   {"transpose_a": bool(node.attr("transpose_a", False)),
                    "transpose_b": bool(node.attr("transpose_b", False))})


@tf_op("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def batch_matmul(ctx, node):
    a, b = node.input(0), node.input(1)
    out_et = node.et("Tout", None) if node.op == "BatchMatMulV3" else None
    if node.op == "BatchMatMulV3":
        if out_et is not None:
            a, b = ctx.convert(a, out_et), ctx.convert(b, out_et)
    return ctx.op1("MatMul", [a, b], {"transpose_a": bool(node.attr("adj_x", False)),
                                      "transpose_b": bool(node.attr("adj_y", False))})


@tf_op("LRN")
def lrn(ctx, node):
    x = node.input(0)
    r = int(node.attr("depth_radius", 5))
    size = 2 * r + 1
    bias = float(node.attr("bias", 1.0))
    beta = float(node.attr("beta", 0.5))
    # TF: x / (bias + alpha * sum)^beta; OpenVINO divides alpha by size. Written with bias 1
    # (x / bias^beta) / (1 + alpha / bias * sum)^beta, since OpenVINO's CPU plugin ignores bias.
    attrs = {"alpha": float(node.attr("alpha", 1.0)) * size / bias, "beta": beta, "bias": 1.0, "size": size}
    xin = to_nchw(ctx, x, 4)
    y = from_nchw(ctx, ctx.op1("LRN", [xin, ctx.i64([1])], attrs), 4)
    if bias != 1.0:
        y = ctx.binary("Multiply", y, ctx.const(bias ** -beta, x))
    return y


def _resize(ctx, node, x, mode):
    size = node.input(1)
    align = bool(node.attr("align_corners", False))
    half = bool(node.attr("half_pixel_centers", False))
    if mode == "nearest":
        if align:
            ctm, nm = "align_corners", "round_prefer_ceil"
        elif half:
            ctm, nm = "tf_half_pixel_for_nn", "floor"
        else:
            ctm, nm = "asymmetric", "floor"
    else:
        ctm = "align_corners" if align else ("half_pixel" if half else "asymmetric")
        nm = "round_prefer_floor"
    attrs = {"mode": mode, "shape_calculation_mode": "sizes", "coordinate_transformation_mode": ctm,
             "nearest_mode": nm, "antialias": False, "pads_begin": [0], "pads_end": [0], "cube_coeff": -0.75}
    return ctx.op1("Interpolate", [x, ctx.convert(size, "i64"), ctx.i64([1, 2])], attrs, version="opset11")


@tf_op("ResizeBilinear")
def resize_bilinear(ctx, node):
    x = node.input(0)
    if ctx.et(x) not in ("f32", "f16", "f64"):
        x = ctx.convert(x, "f32")      # TF computes bilinear resizes of integer images in float
    return _resize(ctx, node, x, "linear")


@tf_op("ResizeNearestNeighbor")
def resize_nearest(ctx, node):
    return _resize(ctx, node, node.input(0), "nearest")


@tf_op("ExtractImagePatches")
def extract_image_patches(ctx, node):
    x = node.input(0)
    sizes = _spatial(node.attr("ksizes"), True, 2, "ksizes", node)
    strides = _spatial(node.attr("strides"), True, 2, "strides", node)
    rates = _spatial(node.attr("rates"), True, 2, "rates", node)
    pad = {"SAME": "same_upper", "VALID": "valid"}[node.attr("padding", "VALID")]
    xin = to_nchw(ctx, x, 4)
    y = ctx.op1("ExtractImagePatches", [xin], {"sizes": sizes, "strides": strides, "rates": rates,
                                               "auto_pad": pad}, version="opset3")
    return from_nchw(ctx, y, 4)

