"""nnet1 and nnet2 models written by the tests' Kaldi writer, converted and run on OpenVINO
against numpy references of Kaldi's maths (binary and text format)."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kaldi_util import (compare_streaming, convert, nnet1_file, nnet1_parallel, nnet2_file, nonlinear,  # noqa: E402
                        run_stateful, run_stateless, shift, sigmoid, softmax, tagged, fixed_affine)
from kaldi_writer import text_copy  # noqa: E402

from irconv import IrconvError  # noqa: E402

RNG = np.random.default_rng(42)


def rnd(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def affine_body(W, b):
    def body(w):
        w.token("<LearnRateCoef>").float(1.0).token("<BiasLearnRateCoef>").float(1.0).token("<MaxNorm>").float(0.0)
        w.newline().matrix(W).vector(b)
    return body


def variants(path, tmp_path):
    """The binary model and its text-format copy."""
    t = str(tmp_path / ("text_" + os.path.basename(path)))
    return [path, text_copy(path, t)]


def test_nnet1_splice_offsets_are_exact(tmp_path):
    """<Splice> [-2 0 2]: frames t-2, t, t+2 (the legacy converter used t-1, t, t+1)."""
    W, b = rnd(5, 12), rnd(5)
    path = nnet1_file(str(tmp_path / "m.nnet"), [
        ("<Splice>", 12, 4, lambda w: w.int_vector([-2, 0, 2])),
        ("<AffineTransform>", 5, 12, affine_body(W, b)),
        ("<Tanh>", 5, 5, None),
    ])
    x = rnd(15, 4, scale=1.0)
    xs = np.concatenate([shift(x, -2), x, shift(x, 2)], axis=1)
    ref = np.tanh(xs @ W.T + b)
    for p in variants(path, tmp_path):
        model, xml = convert(p)
        assert model.inputs[0]["shape"] == [1, 4]
        assert "Parameter" in model.inputs[0]["names"]
        got = run_stateful(xml, {"input": x})
        assert compare_streaming(got, ref, right=2) == 11


def test_nnet1_parallel_copy_block_softmax(tmp_path):
    W1, b1 = rnd(3, 12), rnd(3)
    nested1 = [("<Splice>", 12, 4, lambda w: w.int_vector([-1, 0, 1])),
               ("<AffineTransform>", 3, 12, affine_body(W1, b1))]
    nested2 = [("<Sigmoid>", 2, 2, None)]
    path = nnet1_file(str(tmp_path / "m.nnet"), [
        ("<ParallelComponent>", 5, 6, nnet1_parallel([nested1, nested2])),
        ("<Copy>", 6, 5, lambda w: w.int_vector([5, 4, 3, 2, 1, 1])),
        ("<BlockSoftmax>", 6, 6, lambda w: w.int_vector([2, 4])),
    ])
    x = rnd(10, 6, scale=1.0)
    a = np.concatenate([shift(x[:, :4], -1), x[:, :4], shift(x[:, :4], 1)], axis=1) @ W1.T + b1
    y = np.concatenate([a, sigmoid(x[:, 4:])], axis=1)
    y = y[:, [4, 3, 2, 1, 0, 0]]
    ref = np.concatenate([softmax(y[:, :2]), softmax(y[:, 2:])], axis=1)
    for p in variants(path, tmp_path):
        _, xml = convert(p)
        got = run_stateful(xml, {"input": x})
        assert compare_streaming(got, ref, right=1) == 8


def test_nnet1_stateless_components(tmp_path):
    shift_v, scale_v = rnd(6), rnd(6) + 1.0
    L = rnd(8, 6)
    alpha, beta = rnd(8) + 1.0, rnd(8) * 0.1
    path = nnet1_file(str(tmp_path / "m.nnet"), [
        ("<AddShift>", 6, 6, lambda w: w.token("<LearnRateCoef>").float(0.0).vector(shift_v)),
        ("<Rescale>", 6, 6, lambda w: w.token("<LearnRateCoef>").float(0.0).vector(scale_v)),
        ("<LinearTransform>", 8, 6, lambda w: w.token("<LearnRateCoef>").float(1.0).matrix(L)),
        ("<ParametricRelu>", 8, 8, lambda w: w.token("<BiasLearnRateCoef>").float(1.0).token("<LearnRateCoef>")
         .float(1.0).token("<ClipGradient>").float(0.0).vector(alpha).vector(beta)),
        ("<Dropout>", 8, 8, lambda w: w.token("<DropoutRate>").float(0.2)),
        ("<LengthNormComponent>", 8, 8, None),
        ("<HiddenSoftmax>", 8, 8, None),
    ])
    x = rnd(7, 6, scale=1.0)
    h = ((x + shift_v) * scale_v) @ L.T
    h = np.where(h >= 0, h * alpha, h * beta)
    h = h / np.sqrt((h * h).sum(1, keepdims=True))
    ref = softmax(h)
    for p in variants(path, tmp_path):
        model, xml = convert(p, input_shape="[7,6]")
        assert model.inputs[0]["shape"] == [7, 6]
        assert not any(k in model.ops() for k in ("ReadValue", "Assign"))
        got = run_stateless(xml, {"input": x})["output"]
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    model, _ = convert(path)
    assert model.inputs[0]["shape"] == [-1, 6]


def _nnet2_model(tmp_path, priors):
    """Splice (context -1..1, 3 constant ivector-like dims) -> FixedAffine -> Pnorm -> Normalize
    -> Affine -> RectifiedLinear -> Affine -> Softmax; with a TransitionModel and priors."""
    W0, b0 = rnd(12, 15), rnd(12)
    W1, b1 = rnd(6, 4), rnd(6)
    W2, b2 = rnd(len(priors), 6), rnd(len(priors))
    comps = [
        tagged("SpliceComponent", ("InputDim", "int", 7), ("Context", "ivec", [-1, 0, 1]),
               ("ConstComponentDim", "int", 3)),
        fixed_affine(W0, b0),
        tagged("PnormComponent", ("InputDim", "int", 12), ("OutputDim", "int", 4), ("P", "float", 2.0)),
        nonlinear("NormalizeComponent", 4, nnet2=True),
        tagged("AffineComponent", ("LearningRate", "float", 0.01), ("LinearParams", "mat", W1),
               ("BiasParams", "vec", b1), ("IsGradient", "bool", False)),
        nonlinear("RectifiedLinearComponent", 6, nnet2=True),
        tagged("AffineComponentPreconditionedOnline", ("LearningRate", "float", 0.01), ("LinearParams", "mat", W2),
               ("BiasParams", "vec", b2), ("RankIn", "int", 20), ("RankOut", "int", 80), ("UpdatePeriod", "int", 4),
               ("NumSamplesHistory", "float", 2000.0), ("Alpha", "float", 4.0), ("MaxChangePerSample", "float", 0.1)),
        nonlinear("SoftmaxComponent", len(priors), nnet2=True),
    ]
    path = nnet2_file(str(tmp_path / "final.mdl"), comps, priors=priors)
    x = rnd(12, 7, scale=1.0)
    x[:, 4:] = rnd(1, 3)  # the constant (i-vector) part does not change over time
    v = x[:, :4]
    h = np.concatenate([shift(v, -1), v, shift(v, 1), x[:, 4:]], axis=1) @ W0.T + b0
    h = np.sqrt((h.reshape(-1, 4, 3) ** 2).sum(-1))
    h = h / np.sqrt(np.maximum((h * h).sum(1, keepdims=True) / 4, 2.0 ** -66))
    h = np.maximum(h @ W1.T + b1, 0)
    logits = h @ W2.T + b2
    return path, x, logits


def test_nnet2_mdl(tmp_path):
    priors = np.array([0.1, 0.2, 0.3, 0.15, 0.25], np.float32)
    path, x, logits = _nnet2_model(tmp_path, priors)
    for p in variants(path, tmp_path):
        model, xml = convert(p)
        assert "Input" in model.inputs[0]["names"]
        got = run_stateful(xml, {"input": x})
        assert compare_streaming(got, softmax(logits), right=1) == 10


def test_nnet2_counts_and_remove_output_softmax(tmp_path):
    priors = np.array([0.1, 0.2, 0.3, 0.15, 0.25], np.float32)
    path, x, logits = _nnet2_model(tmp_path, priors)
    neg_log_prior = -np.log(priors / priors.sum())
    # --counts "" takes the .mdl's priors; the log-priors go in front of the final softmax
    _, xml = convert(path, counts="")
    got = run_stateful(xml, {"input": x})
    compare_streaming(got, softmax(logits + neg_log_prior), right=1)
    # with --remove_output_softmax the output is the logits minus the log-priors
    counts = tmp_path / "counts.txt"
    c = np.array([10, 20, 30, 15, 0], np.float64)
    counts.write_text("[ " + " ".join("%g" % v for v in c) + " ]\n")
    model, xml = convert(path, counts=str(counts), remove_output_softmax=True)
    assert "SoftMax" not in model.ops()
    assert any("sub_counts" in o["names"] for o in model.outputs)
    got = run_stateful(xml, {"input": x})
    cc = np.maximum(c, 1.00000001e-10)
    lp = np.log(cc / cc.sum())
    lp[c < 1.00000001e-10] += np.finfo(np.float32).max / 2
    ref = logits - lp
    assert compare_streaming(got[:, :4], ref[:, :4], right=1, rtol=1e-4, atol=1e-4) == 10
    assert np.all(got[2:, 4] < -1e37)  # a zero count suppresses its class
    with pytest.raises(IrconvError, match="--counts has 3 value"):
        counts.write_text("1 2 3\n")
        convert(path, counts=str(counts))


def test_nnet2_bare_net_without_transition_model(tmp_path):
    W, b = rnd(4, 6), rnd(4)
    path = nnet2_file(str(tmp_path / "m.raw"), [
        tagged("AffineComponent", ("LearningRate", "float", 0.01), ("LinearParams", "mat", W), ("BiasParams", "vec", b),
               ("IsGradient", "bool", False)),
        nonlinear("TanhComponent", 4, nnet2=True),
    ], mdl=False)
    x = rnd(5, 6)
    model, xml = convert(path)
    assert model.inputs[0]["shape"] == [-1, 6]
    np.testing.assert_allclose(run_stateless(xml, {"input": x})["output"], np.tanh(x @ W.T + b), rtol=1e-4, atol=1e-5)
    with pytest.raises(IrconvError, match="--counts without a file takes the priors from the model"):
        convert(path, counts="")


def test_unsupported_components_are_listed_together(tmp_path):
    path = nnet1_file(str(tmp_path / "m.nnet"), [
        ("<Sigmoid>", 4, 4, None),
        ("<KlHmm>", 4, 4, lambda w: w.matrix(np.ones((4, 4)))),
        ("<Tanh>", 4, 4, None),
        ("<KlHmm>", 4, 4, lambda w: w.matrix(np.ones((4, 4)))),
        ("<FramePoolingComponent>", 4, 4, lambda w: w.token("<FeaDim>").int(4)),
    ])
    with pytest.raises(IrconvError) as e:
        convert(path)
    msg = str(e.value)
    assert "3 Kaldi components of 2 unsupported types" in msg
    assert "KlHmm: 2 components: 'klhmm', 'klhmm_1'" in msg and "FramePoolingComponent: 1 component" in msg


def test_stateful_input_shape_must_be_one_frame(tmp_path):
    path = nnet1_file(str(tmp_path / "m.nnet"), [("<Splice>", 8, 4, lambda w: w.int_vector([-1, 0])),
                                                  ("<Sigmoid>", 8, 8, None)])
    with pytest.raises(IrconvError, match=r"one frame per inference \(shape \[1, 4\]\)"):
        convert(path, input_shape="[5,4]")
    with pytest.raises(IrconvError, match=r"has shape \[frames, 4\]"):
        convert(path, input_shape="[1,3]")
    model, _ = convert(path, input_shape="[1,4]")
    assert model.inputs[0]["shape"] == [1, 4]


def test_nnet1_recurrent_component(tmp_path):
    Wf, Wr, b = rnd(4, 3), rnd(4, 4), rnd(4)
    path = nnet1_file(str(tmp_path / "rnn.nnet"), [
        ("<RecurrentComponent>", 4, 3, lambda w: w.token("<GradClip>").float(1.0).token("<DiffClip>").float(1.0)
         .token("<LearnRateCoef>").float(1.0).token("<BiasLearnRateCoef>").float(1.0).matrix(Wf).matrix(Wr).vector(b)),
    ])
    x = rnd(6, 3, scale=1.0)
    y, ref = np.zeros(4), []
    for t in range(6):
        y = np.tanh(Wf @ x[t] + b + Wr @ y)
        ref.append(y)
    for p in variants(path, tmp_path):
        _, xml = convert(p)
        np.testing.assert_allclose(run_stateful(xml, {"input": x}), np.stack(ref), rtol=1e-4, atol=1e-5)
