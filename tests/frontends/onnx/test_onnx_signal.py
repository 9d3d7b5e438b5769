"""DFT, STFT, MelWeightMatrix against onnxruntime (ops/signal.py)."""
import numpy as np
import pytest

from onnx_fe_util import check, helper, ir_ops, make_model, rng, run_ir, to_graph


def _dft_model(shape, opset, attrs, axis=None, axis_input=False, length=None, length_input=False):
    ins = ["x", "len" if length is not None else ""]
    inputs = {"x": (np.float32, shape)}
    inits = {}
    if length is not None:
        if length_input:
            inputs["len"] = (np.int64, [])
        else:
            inits["len"] = np.array(length, np.int64)
    if opset >= 20 and axis is not None:
        ins.append("axis")
        if axis_input:
            inputs["axis"] = (np.int64, [])
        else:
            inits["axis"] = np.array(axis, np.int64)
    elif axis is not None:
        attrs = dict(attrs, axis=axis)
    while ins and ins[-1] == "":
        ins.pop()
    node = helper.make_node("DFT", ins, ["y"], **attrs)
    return make_model([node], inputs, ["y"], inits, opset=opset)


X_REAL = rng(1).randn(2, 6, 5, 1).astype(np.float32)
X_CPLX = rng(2).randn(2, 6, 5, 2).astype(np.float32)

DFT_CASES = [
    # (x, opset, attrs, axis, length)
    (X_REAL, 17, {}, 1, None),
    (X_CPLX, 17, {}, 2, None),
    (X_CPLX, 17, {"inverse": 1}, 1, None),
    (X_REAL, 17, {"onesided": 1}, 1, None),
    (X_REAL, 17, {"onesided": 1}, 2, 8),
    (X_REAL, 17, {"inverse": 1}, 2, None),
    (X_CPLX, 17, {"inverse": 1, "onesided": 1}, 1, None),
    (X_CPLX, 17, {}, 1, 4),
    (X_REAL, 20, {}, -2, None),
    (X_CPLX, 20, {}, -3, 7),
    (X_REAL, 20, {"onesided": 1}, 1, None),
    (X_CPLX, 20, {"inverse": 1}, 2, None),
    (X_CPLX, 20, {"inverse": 1, "onesided": 1}, 2, 8),
]


@pytest.mark.parametrize("x,opset,attrs,axis,length", DFT_CASES)
def test_dft(x, opset, attrs, axis, length, tmp_path):
    check(_dft_model(list(x.shape), opset, attrs, axis, length=length), {"x": x}, tmp_path, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("x,attrs,axis,length", [(X_REAL, {}, 1, None), (X_REAL, {"onesided": 1}, 2, None),
                                                 (X_CPLX, {"inverse": 1, "onesided": 1}, -3, None),
                                                 (X_CPLX, {"inverse": 1}, 2, 6), (X_REAL, {"onesided": 1}, -2, 7)])
def test_dft_runtime_axis_and_length(x, attrs, axis, length, tmp_path):
    m = _dft_model(list(x.shape), 20, attrs, axis, axis_input=True, length=length, length_input=length is not None)
    feeds = {"x": x, "axis": np.array(axis, np.int64)}
    if length is not None:
        feeds["len"] = np.array(length, np.int64)
    g, _, _ = check(m, feeds, tmp_path, rtol=1e-4, atol=1e-4)
    assert "Transpose" in ir_ops(g)


@pytest.mark.parametrize("attrs,length,shape", [({"onesided": 1}, None, (2, 4, 5, 2)),
                                                ({"inverse": 1, "onesided": 1}, 9, (2, 9, 5, 1)),
                                                ({"inverse": 1, "onesided": 1}, 12, (2, 12, 5, 1))])
def test_dft_against_onnx_reference(attrs, length, shape, tmp_path):
    # onnxruntime rejects a one-sided DFT of complex input (ONNX's reference slices the full one)
    # and its odd-length irfft disagrees with numpy's and ONNX's reference
    from onnx.reference import ReferenceEvaluator
    m = _dft_model([2, 6, 5, 2], 17, attrs, 1, length=length)
    ref = ReferenceEvaluator(m).run(None, {"x": X_CPLX})[0]
    got = run_ir(to_graph(m, tmp_path), {"x": X_CPLX})[0]
    assert got.shape == ref.shape == shape
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


SIG = rng(3).randn(2, 64, 1).astype(np.float32)


@pytest.mark.parametrize("window,flen,onesided", [(True, None, 1), (False, 16, 1), (True, 16, 0), (False, 12, 0)])
def test_stft(window, flen, onesided, tmp_path):
    ins = ["sig", "step", "win" if window else "", "flen" if flen else ""]
    while ins[-1] == "":
        ins.pop()
    inits = {"step": np.array(6, np.int64)}
    if window:
        inits["win"] = np.hanning(16).astype(np.float32)
    if flen:
        inits["flen"] = np.array(flen, np.int64)
    m = make_model([helper.make_node("STFT", ins, ["y"], onesided=onesided)], {"sig": SIG}, ["y"], inits, opset=17)
    g, _, _ = check(m, {"sig": SIG}, tmp_path, rtol=1e-4, atol=1e-4)
    assert ("STFT" in ir_ops(g)) == bool(onesided)


def test_stft_complex_signal_runtime_step(tmp_path):
    sig = rng(4).randn(1, 40, 2).astype(np.float32)
    m = make_model([helper.make_node("STFT", ["sig", "step", "", "flen"], ["y"], onesided=0)],
                   {"sig": sig, "step": (np.int64, [])}, ["y"], {"flen": np.array(8, np.int64)}, opset=17)
    check(m, {"sig": sig, "step": np.array(5, np.int64)}, tmp_path, rtol=1e-4, atol=1e-4)


MEL_ARGS = [(8, 16, 8192, 0.0, 4096.0), (10, 64, 16000, 20.0, 7000.0), (4, 31, 8000, 100.0, 3000.0)]


def _mel_model(runtime):
    names = ["nb", "dl", "sr", "lo", "hi"]
    types = [np.int32, np.int32, np.int32, np.float32, np.float32]
    node = helper.make_node("MelWeightMatrix", names, ["y"])
    if runtime:
        return make_model([node], {n: (t, []) for n, t in zip(names, types)}, ["y"], opset=17)
    return None


@pytest.mark.parametrize("args", MEL_ARGS)
def test_mel_weight_matrix_runtime(args, tmp_path):
    names = ["nb", "dl", "sr", "lo", "hi"]
    feeds = {n: np.array(v, np.int32 if i < 3 else np.float32) for i, (n, v) in enumerate(zip(names, args))}
    check(_mel_model(True), feeds, tmp_path, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("args", MEL_ARGS)
def test_mel_weight_matrix_constant(args, tmp_path):
    names = ["nb", "dl", "sr", "lo", "hi"]
    inits = {n: np.array(v, np.int32 if i < 3 else np.float32) for i, (n, v) in enumerate(zip(names, args))}
    x = np.ones((1, 1), np.float32)
    nodes = [helper.make_node("MelWeightMatrix", names, ["m"]), helper.make_node("Mul", ["m", "x"], ["y"])]
    g, _, _ = check(make_model(nodes, {"x": x}, ["y"], inits, opset=17), {"x": x}, tmp_path, rtol=1e-5, atol=1e-6)
    assert set(ir_ops(g)) <= {"Parameter", "Const", "Multiply", "Result"}
