"""Convolution and pooling components (nnet1 Convolutional/MaxPooling/AveragePooling, nnet3
TimeHeightConvolution and Maxpooling) against loop-by-loop numpy versions of Kaldi's code."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kaldi_util import (compare_streaming, convert, nnet1_file, nnet3_file, run_stateful, run_stateless,  # noqa: E402
                        shift, tagged, updatable_header)
from kaldi_writer import text_copy  # noqa: E402

RNG = np.random.default_rng(11)


def rnd(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def both(path, tmp_path):
    return [path, text_copy(path, str(tmp_path / ("text_" + os.path.basename(path))))]


def nnet1_conv_ref(x, filters, bias, d, p, s):
    splice, patches, nf = x.shape[1] // s, 1 + (s - d) // p, filters.shape[0]
    out = np.zeros((x.shape[0], patches * nf))
    for q in range(patches):
        cols = [q * p + j * s + k for j in range(splice) for k in range(d)]
        out[:, q * nf:(q + 1) * nf] = x[:, cols] @ filters.T + bias
    return out


def nnet1_pool_ref(x, n, p, s, fn):
    patches = x.shape[1] // s
    pools = 1 + (patches - n) // p
    out = np.zeros((x.shape[0], pools * s))
    for q in range(pools):
        blocks = [x[:, (q * p + r) * s:(q * p + r + 1) * s] for r in range(n)]
        out[:, q * s:(q + 1) * s] = fn(np.stack(blocks), axis=0)
    return out


def test_nnet1_cnn(tmp_path):
    filters, bias = rnd(4, 9), rnd(4)
    path = nnet1_file(str(tmp_path / "cnn.nnet"), [
        ("<Splice>", 24, 8, lambda w: w.int_vector([-1, 0, 1])),
        ("<ConvolutionalComponent>", 24, 24, lambda w: w.token("<PatchDim>").int(3).token("<PatchStep>").int(1)
         .token("<PatchStride>").int(8).token("<LearnRateCoef>").float(1.0).token("<BiasLearnRateCoef>").float(1.0)
         .token("<MaxNorm>").float(0.0).token("<Filters>").matrix(filters).token("<Bias>").vector(bias)),
        ("<MaxPoolingComponent>", 12, 24, lambda w: w.token("<PoolSize>").int(2).token("<PoolStep>").int(2)
         .token("<PoolStride>").int(4)),
        ("<AveragePoolingComponent>", 8, 12, lambda w: w.token("<PoolSize>").int(3).token("<PoolStep>").int(1)
         .token("<PoolStride>").int(2)),
    ])
    x = rnd(9, 8, scale=1.0)
    xs = np.concatenate([shift(x, -1), x, shift(x, 1)], axis=1)
    y = nnet1_conv_ref(xs, filters, bias, 3, 1, 8)
    y = nnet1_pool_ref(y, 2, 2, 4, np.max)
    ref = nnet1_pool_ref(y, 3, 1, 2, np.mean)
    for p in both(path, tmp_path):
        _, xml = convert(p)
        assert compare_streaming(run_stateful(xml, {"input": x}), ref, right=1) == 7


def thc_body(fi, fo, hi, ho, sub, offsets, params, bias):
    def body(w):
        updatable_header(w, "TimeHeightConvolutionComponent")
        w.token("<Model>").token("<ConvolutionModel>").token("<NumFiltersIn>").int(fi).token("<NumFiltersOut>").int(fo)
        w.token("<HeightIn>").int(hi).token("<HeightOut>").int(ho).token("<HeightSubsampleOut>").int(sub)
        w.token("<Offsets>").int_pair_vector(offsets)
        w.token("<RequiredTimeOffsets>").int_vector(sorted({t for t, _ in offsets}))
        w.token("</ConvolutionModel>")
        w.token("<LinearParams>").matrix(params).token("<BiasParams>").vector(bias)
        w.token("<MaxMemoryMb>").float(200.0).token("<UseNaturalGradient>").bool(True)
        w.token("<NumMinibatchesHistory>").float(4.0).token("<AlphaInOut>").float(4.0).float(4.0)
        w.token("<RankInOut>").int(20).int(80).token("</TimeHeightConvolutionComponent>")
    return body


def thc_ref(x, fi, fo, hi, ho, sub, offsets, params, bias):
    """y(t, h, g) = b[g] + sum_i sum_f W[g, i*fi+f] x(t+dt_i, h*sub+dh_i, f), zero outside the height."""
    T = x.shape[0]
    img = x.reshape(T, hi, fi)
    out = np.zeros((T, ho, fo))
    for t in range(T):
        for h in range(ho):
            acc = bias.astype(np.float64).copy()
            for i, (dt, dh) in enumerate(offsets):
                tt, hh = t + dt, h * sub + dh
                if not 0 <= tt < T:
                    acc = acc + np.nan
                    continue
                if 0 <= hh < hi:
                    acc = acc + params[:, i * fi:(i + 1) * fi] @ img[tt, hh]
            out[t, h] = acc
    return out.reshape(T, ho * fo)


@pytest.mark.parametrize("hi,ho,sub,offsets", [
    (6, 6, 1, [(-1, -1), (-1, 0), (0, 0), (0, 1), (2, -1), (2, 1)]),   # padding on both sides, sparse offsets
    (5, 3, 2, [(0, 0), (0, 1), (0, 2)]),                                # height subsampling, padding at the end
    (6, 4, 1, [(-1, 1), (0, 2), (1, 1)]),                               # positive height offsets only (crop)
])
def test_nnet3_time_height_convolution(tmp_path, hi, ho, sub, offsets):
    fi, fo = 2, 3
    params, bias = rnd(fo, len(offsets) * fi), rnd(fo)
    config = ["input-node name=input dim=%d" % (hi * fi),
              "component-node name=conv component=conv input=input",
              "output-node name=output input=conv objective=linear"]
    path = nnet3_file(str(tmp_path / "m.raw"), config, [("conv", thc_body(fi, fo, hi, ho, sub, offsets, params, bias))])
    x = rnd(9, hi * fi, scale=1.0)
    ref = thc_ref(x, fi, fo, hi, ho, sub, offsets, params, bias)
    right = max(0, max(t for t, _ in offsets))
    for p in both(path, tmp_path):
        model, xml = convert(p)
        got = run_stateful(xml, {"input": x}) if model.inputs[0]["shape"][0] == 1 else \
            run_stateless(xml, {"input": x})["output"]
        assert compare_streaming(got, ref, right=right) >= 5


def test_nnet3_maxpooling(tmp_path):
    X, Y, Z = 2, 4, 3
    size, step = (1, 2, 3), (1, 2, 1)
    config = ["input-node name=input dim=%d" % (X * Y * Z),
              "component-node name=pool component=pool input=input",
              "output-node name=output input=pool objective=linear"]
    body = tagged("MaxpoolingComponent", ("InputXDim", "int", X), ("InputYDim", "int", Y), ("InputZDim", "int", Z),
                  ("PoolXSize", "int", size[0]), ("PoolYSize", "int", size[1]), ("PoolZSize", "int", size[2]),
                  ("PoolXStep", "int", step[0]), ("PoolYStep", "int", step[1]), ("PoolZStep", "int", step[2]))
    path = nnet3_file(str(tmp_path / "m.raw"), config, [("pool", body)])
    x = rnd(5, X * Y * Z, scale=1.0)
    npx, npy, npz = [1 + (d - s) // p for d, s, p in zip((X, Y, Z), size, step)]
    ref = np.full((5, npx * npy * npz), -1e20)
    for xp in range(npx):
        for yp in range(npy):
            for zp in range(npz):
                o = xp * npy * npz + yp * npz + zp
                for a in range(size[0]):
                    for b in range(size[1]):
                        for c in range(size[2]):
                            i = (xp * step[0] + a) * Y * Z + (yp * step[1] + b) * Z + (zp * step[2] + c)
                            ref[:, o] = np.maximum(ref[:, o], x[:, i])
    for p in both(path, tmp_path):
        _, xml = convert(p)
        np.testing.assert_allclose(run_stateless(xml, {"input": x})["output"], ref, rtol=1e-6)


@pytest.mark.parametrize("appended", [False, True])
def test_nnet2_convolutional1d(tmp_path, appended):
    from kaldi_util import nnet2_file
    d, p, s, splice, nf = 3, 2, 7, 2, 4
    filters, bias = rnd(nf, splice * d), rnd(nf)
    body = tagged("Convolutional1dComponent", ("LearningRate", "float", 0.01), ("PatchDim", "int", d),
                  ("PatchStep", "int", p), ("PatchStride", "int", s), ("AppendedConv", "bool", appended),
                  ("FilterParams", "mat", filters), ("BiasParams", "vec", bias), ("IsGradient", "bool", False))
    path = nnet2_file(str(tmp_path / "m.mdl"), [body], priors=np.full(12, 1 / 12.0))
    x = rnd(6, splice * s, scale=1.0)
    patches = 1 + (s - d) // p
    ref = np.zeros((6, patches * nf))
    for q in range(patches):
        cols = [((q * p + k) * splice + j) if appended else (q * p + j * s + k) for j in range(splice) for k in range(d)]
        ref[:, q * nf:(q + 1) * nf] = x[:, cols] @ filters.T + bias
    for pth in both(path, tmp_path):
        _, xml = convert(pth)
        np.testing.assert_allclose(run_stateless(xml, {"input": x})["output"], ref, rtol=1e-4, atol=1e-5)
