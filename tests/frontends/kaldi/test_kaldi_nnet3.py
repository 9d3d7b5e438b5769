"""nnet3 models written by the tests' Kaldi writer: descriptors (Append, Offset, Sum, Scale,
Const, ReplaceIndex, IfDefined), dim-range nodes, components, recurrences (LSTM), compressed
weights, --remove_memory, --output; converted and run on OpenVINO against numpy references."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kaldi_util import (batchnorm, compare_streaming, convert, fixed_affine, linear, log_softmax,  # noqa: E402
                        lstm_nonlinearity, ng_affine, nnet3_file, nonlinear, run_stateful, run_stateless, shift,
                        sigmoid, softmax, tagged, tdnn)
from kaldi_writer import compress_matrix, text_copy  # noqa: E402

from irconv import IrconvError  # noqa: E402
from irconv.frontends.kaldi.io import KaldiReader  # noqa: E402

RNG = np.random.default_rng(3)


def rnd(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def both(path, tmp_path):
    return [path, text_copy(path, str(tmp_path / ("text_" + os.path.basename(path))))]


def test_nnet3_descriptors_and_components(tmp_path):
    T = 16
    Wt, bt = rnd(10, 24), rnd(10)          # Tdnn offsets -1, 0, 2 over Append(input(5), ivector(3))
    Wl = rnd(12, 10)                        # Linear
    mean, var = rnd(3), np.abs(rnd(3)) + 0.5
    sizes = [1, 2, 3, 4]                    # SumGroup over Append(norm(8), Const(1, 2)) = 10
    cmap = [3, 1, 0, 2]
    fs, fb, pes, peo = rnd(4) + 1, rnd(4), rnd(4) + 1, rnd(4)
    so_s, so_o = rnd(2) + 1, rnd(2)
    Wo, bo = rnd(3, 4), rnd(3)
    config = [
        "input-node name=input dim=5",
        "input-node name=ivector dim=3",
        "component-node name=tdnn component=tdnn input=Append(input, ReplaceIndex(ivector, t, 0))",
        "component-node name=lin component=lin input=tdnn",
        "dim-range-node name=lin.a input-node=lin dim-offset=0 dim=6",
        "dim-range-node name=lin.b input-node=lin dim-offset=6 dim=6",
        "component-node name=prod component=prod input=Append(lin.a, lin.b)",
        "component-node name=bn component=bn input=Sum(Scale(0.5, lin.a), IfDefined(Offset(prod, -1)))",
        "component-node name=norm component=norm input=bn",
        "component-node name=sg component=sg input=Append(norm, Const(1.0, 2))",
        "component-node name=perm component=perm input=sg",
        "component-node name=pn component=pn input=Append(perm, Offset(perm, -2))",
        "component-node name=sb component=sb input=Append(pn, Offset(pn, 1))",
        "component-node name=bt component=bt input=sb",
        "component-node name=drop component=drop input=bt",
        "component-node name=fs component=fs input=drop",
        "component-node name=fb component=fb input=fs",
        "component-node name=pes component=pes input=fb",
        "component-node name=peo component=peo input=pes",
        "component-node name=so component=so input=peo",
        "component-node name=noop component=noop input=so",
        "component-node name=out component=out input=noop",
        "component-node name=sm component=sm input=out",
        "output-node name=output input=sm objective=linear",
    ]
    comps = [
        ("tdnn", tdnn([-1, 0, 2], Wt, bt)),
        ("lin", linear(Wl)),
        ("prod", tagged("ElementwiseProductComponent", ("InputDim", "int", 12), ("OutputDim", "int", 6))),
        ("bn", batchnorm(6, 3, mean, var, eps=0.01, rms=2.0)),
        ("norm", tagged("NormalizeComponent", ("InputDim", "int", 6), ("BlockDim", "int", 3),
                        ("TargetRms", "float", 0.5), ("AddLogStddev", "bool", True))),
        ("sg", tagged("SumGroupComponent", ("Sizes", "ivec", sizes))),
        ("perm", tagged("PermuteComponent", ("ColumnMap", "ivec", cmap))),
        ("pn", tagged("PnormComponent", ("InputDim", "int", 8), ("OutputDim", "int", 4))),
        ("sb", tagged("SumBlockComponent", ("InputDim", "int", 8), ("OutputDim", "int", 4), ("Scale", "float", 0.5))),
        ("bt", tagged("BackpropTruncationComponent", ("Dim", "int", 4), ("Scale", "float", 2.0),
                      ("ClippingThreshold", "float", 30.0), ("ZeroingThreshold", "float", 15.0),
                      ("ZeroingInterval", "int", 20), ("RecurrenceInterval", "int", 1),
                      ("NumElementsClipped", "double", 0.0), ("NumElementsZeroed", "double", 0.0),
                      ("NumElementsProcessed", "double", 0.0), ("NumZeroingBoundaries", "double", 0.0))),
        ("drop", tagged("DropoutComponent", ("Dim", "int", 4), ("DropoutProportion", "float", 0.0),
                        ("DropoutPerFrame", "bool", False))),
        ("fs", tagged("FixedScaleComponent", ("Scales", "vec", fs))),
        ("fb", tagged("FixedBiasComponent", ("Bias", "vec", fb))),
        ("pes", tagged("PerElementScaleComponent", ("LearningRate", "float", 0.001), ("Params", "vec", pes))),
        ("peo", tagged("PerElementOffsetComponent", ("LearningRate", "float", 0.001), ("Offsets", "vec", peo),
                       ("Dim", "int", 4), ("UseNaturalGradient", "bool", True))),
        ("so", tagged("ScaleAndOffsetComponent", ("LearningRate", "float", 0.001), ("Dim", "int", 4),
                      ("BlockDim", "int", 2), ("Scales", "vec", so_s), ("Offsets", "vec", so_o),
                      ("UseNaturalGradient", "bool", True), ("Rank", "int", 20))),
        ("noop", tagged("NoOpComponent", ("Dim", "int", 4), ("BackpropScale", "float", 1.0))),
        ("out", ng_affine(Wo, bo)),
        ("sm", nonlinear("LogSoftmaxComponent", 3)),
    ]
    path = nnet3_file(str(tmp_path / "final.raw"), config, comps)

    x, iv = rnd(T, 5, scale=1.0), np.repeat(rnd(1, 3, scale=1.0), T, axis=0)
    xin = np.concatenate([x, iv], axis=1)
    h = np.concatenate([shift(xin, -1), xin, shift(xin, 2)], axis=1)
    # ReplaceIndex(ivector, t, 0): the ivector does not depend on t
    for k, o in enumerate((-1, 0, 2)):
        h[:, 8 * k + 5:8 * k + 8] = iv
    h = h @ Wt.T + bt
    lin = h @ Wl.T
    a, b = lin[:, :6], lin[:, 6:]
    prod = a * b
    p1 = shift(prod, -1)
    p1[0] = 0.0  # IfDefined: zero before the first frame
    bnin = 0.5 * a + p1
    scale = 2.0 / np.sqrt(np.tile(var, 2) + 0.01)
    bn = (bnin - np.tile(mean, 2)) * scale
    blocks = bn.reshape(T, 2, 3)
    ms = np.maximum((blocks ** 2).sum(-1, keepdims=True) / (3 * 0.25), 2.0 ** -66)
    s = ms ** -0.5
    norm = np.concatenate([blocks * s, np.log(0.5) - np.log(s)], axis=-1).reshape(T, 8)
    sgin = np.concatenate([norm, np.ones((T, 2))], axis=1)
    starts = np.cumsum([0] + sizes)
    sg = np.stack([sgin[:, starts[j]:starts[j + 1]].sum(1) for j in range(4)], axis=1)
    perm = sg[:, cmap]
    pnin = np.concatenate([perm, shift(perm, -2)], axis=1)
    pn = np.sqrt((pnin.reshape(T, 4, 2) ** 2).sum(-1))
    sbin = np.concatenate([pn, shift(pn, 1)], axis=1)
    sb = 0.5 * (sbin[:, :4] + sbin[:, 4:])
    y = sb * 2.0
    y = ((y * fs + fb) * pes + peo) * np.tile(so_s, 2) + np.tile(so_o, 2)
    ref = log_softmax(y @ Wo.T + bo)
    # context: tdnn -1..+2; prod at -1 (IfDefined: no context needed); perm at -2; pn at +1
    for p in both(path, tmp_path):
        model, xml = convert(p)
        ops = model.ops()
        assert ops["ReadValue"] == ops["Assign"] >= 3
        got = run_stateful(xml, {"input": x, "ivector": iv})
        n = compare_streaming(got, ref, right=3, rtol=1e-4, atol=1e-4)
        assert n == 9  # frames 4..12 have all their context


def _lstm_model(tmp_path, delay, binary=True, name="lstm.raw"):
    """Kaldi's LSTMP layer (steps/libs/nnet3/xconfig/lstm.py): W_all, LstmNonlinearity, W_rp."""
    C, P, D = 4, 3, 5
    W_all, b_all = rnd(4 * C, D + P), rnd(4 * C)
    params = rnd(3, C)
    W_rp, b_rp = rnd(C, C), rnd(C)  # projection keeps C rows; r is the first P of them
    Wo, bo = rnd(6, C), rnd(6)
    config = [
        "input-node name=input dim=%d" % D,
        "component-node name=lstm.W_all component=lstm.W_all input=Append(input, IfDefined(Offset(lstm.r, %d)))"
        % delay,
        "component-node name=lstm.lstm_nonlin component=lstm.lstm_nonlin input=Append(lstm.W_all, "
        "IfDefined(Offset(lstm.c, %d)))" % delay,
        "dim-range-node name=lstm.c input-node=lstm.lstm_nonlin dim-offset=0 dim=%d" % C,
        "dim-range-node name=lstm.m input-node=lstm.lstm_nonlin dim-offset=%d dim=%d" % (C, C),
        "component-node name=lstm.rp component=lstm.W_rp input=lstm.m",
        "dim-range-node name=lstm.r input-node=lstm.rp dim-offset=0 dim=%d" % P,
        "component-node name=output.affine component=output.affine input=lstm.rp",
        "component-node name=output.softmax component=output.softmax input=output.affine",
        "output-node name=output input=output.softmax objective=linear",
    ]
    comps = [("lstm.W_all", ng_affine(W_all, b_all)), ("lstm.lstm_nonlin", lstm_nonlinearity(params)),
             ("lstm.W_rp", ng_affine(W_rp, b_rp)), ("output.affine", ng_affine(Wo, bo)),
             ("output.softmax", nonlinear("SoftmaxComponent", 6))]
    path = nnet3_file(str(tmp_path / name), config, comps, binary=binary)

    def ref(x):
        T = x.shape[0]
        cs, rs, outs = {}, {}, []
        for t in range(T):
            r_prev = rs.get(t + delay, np.zeros(P))
            c_prev = cs.get(t + delay, np.zeros(C))
            g = np.concatenate([x[t], r_prev]) @ W_all.T + b_all
            ip, fp, cp, op = g[:C], g[C:2 * C], g[2 * C:3 * C], g[3 * C:]
            i = sigmoid(ip + params[0] * c_prev)
            f = sigmoid(fp + params[1] * c_prev)
            c = f * c_prev + i * np.tanh(cp)
            o = sigmoid(op + params[2] * c)
            m = o * np.tanh(c)
            rp = m @ W_rp.T + b_rp
            cs[t], rs[t] = c, rp[:P]
            outs.append(softmax(rp @ Wo.T + bo))
        return np.stack(outs)
    return path, ref


@pytest.mark.parametrize("delay", [-1, -3])
def test_nnet3_lstm_recurrence(tmp_path, delay):
    path, ref = _lstm_model(tmp_path, delay)
    x = rnd(12, 5, scale=1.0)
    for p in both(path, tmp_path):
        model, xml = convert(p)
        assert model.inputs[0]["shape"] == [1, 5]
        got = run_stateful(xml, {"input": x})
        np.testing.assert_allclose(got, ref(x), rtol=1e-4, atol=1e-5)


def test_nnet3_remove_memory(tmp_path):
    """--remove_memory: every state is an extra input (`<id>_in`) and output (`<id>_out`); the
    caller carries them from one step to the next (zeros at the start)."""
    path, ref = _lstm_model(tmp_path, -2)
    x = rnd(9, 5, scale=1.0)
    model, xml = convert(path, remove_memory=True)
    assert "ReadValue" not in model.ops() and "Assign" not in model.ops()
    names = [i["names"][0] for i in model.inputs]
    assert names[0] == "input" and len(names) == 3
    from helpers import compile_xml
    _, cm = compile_xml(xml)
    req = cm.create_infer_request()
    state = {n: np.zeros(cm.input(n).get_partial_shape().to_shape(), np.float32) for n in names[1:]}
    rows = []
    for t in range(x.shape[0]):
        res = req.infer({"input": x[t:t + 1], **state})
        rows.append(np.asarray(res[cm.output("output")])[0])
        state = {n: np.asarray(res[cm.output(n[:-3] + "_out")]) for n in state}
    np.testing.assert_allclose(np.stack(rows), ref(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["CM", "CM2", "CM3", "DM"])
def test_nnet3_compressed_and_double_weights(tmp_path, kind):
    W1, b1 = rnd(8, 6), rnd(8)
    W2, b2 = rnd(4, 8), rnd(4)
    config = ["input-node name=input dim=6",
              "component-node name=a1 component=a1 input=input",
              "component-node name=r1 component=r1 input=a1",
              "component-node name=a2 component=a2 input=r1",
              "output-node name=output input=a2 objective=linear"]
    comps = [("a1", ng_affine(W1, b1, kind=kind)), ("r1", nonlinear("RectifiedLinearComponent", 8)),
             ("a2", fixed_affine(W2, b2))]
    path = nnet3_file(str(tmp_path / "m.raw"), config, comps)
    if kind.startswith("CM"):
        r = KaldiReader(compress_matrix(W1, kind), "blob", binary=True)
        W1 = r.read_matrix()  # what Kaldi would decompress (tested against Kaldi's formulas in test_kaldi_io)
    x = rnd(5, 6, scale=1.0)
    model, xml = convert(path)
    assert model.inputs[0]["shape"] == [-1, 6]
    got = run_stateless(xml, {"input": x})["output"]
    np.testing.assert_allclose(got, np.maximum(x @ W1.T + b1, 0) @ W2.T + b2, rtol=1e-4, atol=1e-5)


def _two_output_model(tmp_path):
    W, b = rnd(4, 3), rnd(4)
    W2, b2 = rnd(2, 3), rnd(2)
    config = ["input-node name=input dim=3",
              "component-node name=a component=a input=input",
              "component-node name=sm component=sm input=a",
              "component-node name=x component=x input=input",
              "component-node name=lsm component=lsm input=x",
              "output-node name=output input=sm objective=linear",
              "output-node name=output-xent input=lsm objective=linear"]
    comps = [("a", ng_affine(W, b)), ("sm", nonlinear("SoftmaxComponent", 4)), ("x", ng_affine(W2, b2)),
             ("lsm", nonlinear("LogSoftmaxComponent", 2))]
    path = nnet3_file(str(tmp_path / "final.mdl"), config, comps, mdl=True, priors=np.array([.1, .2, .3, .4], np.float32))
    return path, (W, b), (W2, b2)


def test_nnet3_outputs_selection_counts_and_softmax(tmp_path):
    path, (W, b), (W2, b2) = _two_output_model(tmp_path)
    x = rnd(4, 3)
    model, xml = convert(path)
    assert sorted(n for o in model.outputs for n in o["names"] if n.startswith("output")) == ["output", "output-xent"]
    res = run_stateless(xml, {"input": x})
    np.testing.assert_allclose(res["output"], softmax(x @ W.T + b), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(res["output-xent"], log_softmax(x @ W2.T + b2), rtol=1e-4, atol=1e-5)
    with pytest.raises(IrconvError, match="--counts is ambiguous: the model has 2 outputs"):
        convert(path, counts="")
    model, xml = convert(path, output="output", counts="", remove_output_softmax=True)
    assert len(model.outputs) == 1
    res = run_stateless(xml, {"input": x})
    np.testing.assert_allclose(res["output"], x @ W.T + b - np.log([.1, .2, .3, .4]), rtol=1e-4, atol=1e-5)
    # a LogSoftmaxComponent is not a softmax: --remove_output_softmax keeps it (as the Model Optimizer did)
    model, xml = convert(path, output="output-xent", remove_output_softmax=True)
    assert "LogSoftmax" in model.ops()


def test_nnet3_errors(tmp_path):
    W, b = rnd(3, 6), rnd(3)
    base = ["input-node name=input dim=3"]

    def build(lines, comps=(("a", ng_affine(W, b)),)):
        return nnet3_file(str(tmp_path / "e.raw"), base + lines, list(comps))

    p = build(["component-node name=a component=a input=Append(input, a)", "output-node name=output input=a"])
    with pytest.raises(IrconvError, match="read each other in the same frame"):
        convert(p)
    p = build(["component-node name=a component=a input=Append(input, Offset(a, 1))", "output-node name=output input=a"])
    with pytest.raises(IrconvError, match="recurrence without a time delay"):
        convert(p)
    p = build(["component-node name=a component=b input=Append(input, input)", "output-node name=output input=a"])
    with pytest.raises(IrconvError, match=r"byte \d+: config line 'component-node name=a component=b.*component 'b' "
                                          r"is not in the file's component list"):
        convert(p)
    p = build(["component-node name=a component=a input=Append(input, Offset(input)", "output-node name=output input=a"])
    with pytest.raises(IrconvError, match=r"descriptor 'Append\(input, Offset\(input\)': expected ','"):
        convert(p)
    p = build(["component-node name=a component=a input=Append(input, nothere)", "output-node name=output input=a"])
    with pytest.raises(IrconvError, match="reads 'nothere', which no config line defines"):
        convert(p)
    p = build(["component-node name=a component=a input=input", "output-node name=output input=a"])
    with pytest.raises(IrconvError, match=r"node 'a' \(NaturalGradientAffineComponent component 'a'\).*the input has 3 "
                                          r"columns, the component expects 6"):
        convert(p)
    p = build(["component-node name=a component=a input=Append(input, input)", "output-node name=output input=a"],
              comps=(("a", tagged("FancyNewComponent", ("Dim", "int", 6))),))
    with pytest.raises(IrconvError, match="FancyNewComponent: 1 component: 'a'"):
        convert(p)


def test_nnet3_block_repeated_constant_and_lstm_dropout_mask(tmp_path):
    C = 3
    Wr, br = rnd(2, 3), rnd(2)             # RepeatedAffine: 2 repeats of 3 -> 2
    Wb, bb = rnd(6, 4), rnd(6)             # BlockAffine: 2 blocks of 4 inputs -> 3 outputs each
    W_all, b_all = rnd(4 * C, 6), rnd(4 * C)
    params = rnd(3, C)
    const = rnd(2)
    config = [
        "input-node name=input dim=6",
        "component-node name=rep component=rep input=input",
        "component-node name=blk component=blk input=Append(rep, rep)",
        "component-node name=W_all component=W_all input=blk",
        "component-node name=dm component=dm input=input",
        "component-node name=lstm component=lstm input=Append(W_all, IfDefined(Offset(c, -1)), dm)",
        "dim-range-node name=c input-node=lstm dim-offset=0 dim=%d" % C,
        "component-node name=k component=k input=input",
        "output-node name=output input=Append(lstm, k) objective=linear",
    ]
    comps = [
        ("rep", tagged("RepeatedAffineComponent", ("LearningRate", "float", 0.001), ("LinearParams", "mat", Wr),
                       ("BiasParams", "vec", br), ("NumRepeats", "int", 2))),
        ("blk", tagged("BlockAffineComponent", ("LearningRate", "float", 0.001), ("LinearParams", "mat", Wb),
                       ("BiasParams", "vec", bb), ("NumBlocks", "int", 2))),
        ("W_all", ng_affine(W_all, b_all)),
        ("dm", tagged("DropoutMaskComponent", ("OutputDim", "int", 3), ("DropoutProportion", "float", 0.25))),
        ("lstm", lambda w: (lstm_nonlinearity(params)(_DropoutWriter(w)))),
        ("k", tagged("ConstantFunctionComponent", ("InputDim", "int", 6), ("Output", "vec", const),
                     ("IsUpdatable", "bool", True), ("UseNaturalGradient", "bool", True))),
    ]
    path = nnet3_file(str(tmp_path / "m.raw"), config, comps)
    x = rnd(7, 6, scale=1.0)
    rep = np.concatenate([x[:, :3] @ Wr.T + br, x[:, 3:] @ Wr.T + br], axis=1)
    blk_in = np.concatenate([rep, rep], axis=1)
    blk = np.concatenate([blk_in[:, :4] @ Wb[:3].T, blk_in[:, 4:] @ Wb[3:].T], axis=1) + bb
    g = blk @ W_all.T + b_all
    c_prev, rows = np.zeros(C), []
    for t in range(7):
        ip, fp, cp, op = g[t, :C], g[t, C:2 * C], g[t, 2 * C:3 * C], g[t, 3 * C:]
        i = sigmoid(ip + params[0] * c_prev) * 0.75
        f = sigmoid(fp + params[1] * c_prev) * 0.75
        c = f * c_prev + i * np.tanh(cp)
        o = sigmoid(op + params[2] * c) * 0.75
        rows.append(np.concatenate([c, o * np.tanh(c), const]))
        c_prev = c
    for p in both(path, tmp_path):
        _, xml = convert(p)
        np.testing.assert_allclose(run_stateful(xml, {"input": x}), np.stack(rows), rtol=1e-4, atol=1e-5)


class _DropoutWriter:
    """Writes an LstmNonlinearityComponent with <UseDropout> T (before <Count>, as Kaldi does)."""

    def __init__(self, w):
        self.w = w

    def __getattr__(self, k):
        return getattr(self.w, k)

    def token(self, t):
        if t == "<Count>":
            self.w.token("<UseDropout>").bool(True)
        self.w.token(t)
        return self


def test_nnet2_splice_max(tmp_path):
    from kaldi_util import nnet2_file
    body = tagged("SpliceMaxComponent", ("Dim", "int", 4), ("Context", "ivec", [-2, 0, 1]))
    path = nnet2_file(str(tmp_path / "m.mdl"), [body, nonlinear("TanhComponent", 4, nnet2=True)])
    x = rnd(9, 4, scale=1.0)
    ref = np.tanh(np.fmax(np.fmax(shift(x, -2), x), shift(x, 1)))
    ref[np.isnan(shift(x, -2)).any(1) | np.isnan(shift(x, 1)).any(1)] = np.nan
    for p in both(path, tmp_path):
        _, xml = convert(p)
        assert compare_streaming(run_stateful(xml, {"input": x}), ref, right=1) == 6


def test_nnet3_composite_component(tmp_path):
    W, b, s = rnd(3, 4), rnd(3), rnd(3) + 1

    def body(w):
        w.token("<CompositeComponent>").token("<LearningRate>").float(0.001).token("<MaxRowsProcess>").int(2048)
        w.token("<NumComponents>").int(3)
        fixed_affine(W, b)(w)
        nonlinear("RectifiedLinearComponent", 3)(w)
        tagged("FixedScaleComponent", ("Scales", "vec", s))(w)
        w.token("</CompositeComponent>")
    config = ["input-node name=input dim=4", "component-node name=comp component=comp input=input",
              "output-node name=output input=comp objective=linear  # a comment"]
    path = nnet3_file(str(tmp_path / "m.raw"), config, [("comp", body)])
    x = rnd(5, 4)
    for p in both(path, tmp_path):
        _, xml = convert(p)
        np.testing.assert_allclose(run_stateless(xml, {"input": x})["output"], np.maximum(x @ W.T + b, 0) * s,
                                   rtol=1e-5, atol=1e-6)


def test_state_variables_are_distinct_and_reset(tmp_path):
    import xml.etree.ElementTree as ET
    from helpers import compile_xml
    path, ref = _lstm_model(tmp_path, -3)
    _, xml = convert(path)
    layers = ET.parse(xml).getroot().find("layers")
    reads = [l for l in layers if l.get("type") == "ReadValue"]
    assigns = [l for l in layers if l.get("type") == "Assign"]
    ids = [l.find("data").get("variable_id") for l in reads]
    assert len(ids) == len(set(ids)) == len(assigns) >= 2
    assert sorted(ids) == sorted(l.find("data").get("variable_id") for l in assigns)
    assert all(l.find("input") is None for l in reads)  # zero-initialised variables, no init blobs
    x = rnd(8, 5, scale=1.0)
    _, cm = compile_xml(xml)
    req = cm.create_infer_request()
    runs = []
    for _ in range(2):
        req.reset_state()
        runs.append(np.stack([np.asarray(req.infer({"input": x[t:t + 1]})[cm.output("output")])[0] for t in range(8)]))
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_allclose(runs[0], ref(x), rtol=1e-4, atol=1e-5)
