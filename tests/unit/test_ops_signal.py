"""Signal ops (signal.cpp): DFT, IDFT, RDFT, IRDFT, STFT, ISTFT.

Inferred shapes/types must equal what OpenVINO infers for the saved IR; values of the IR run on
OpenVINO are checked against numpy's FFT for a few cases."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import run_ir

from op_check import _inputs, a, infer_vs_ov

DYN = None


def err(type_, inputs, attrs, match, version=""):
    g = _core.Graph("t")
    ins, _ = _inputs(g, inputs)
    with pytest.raises(IrconvError, match=match):
        g.op(type_, ins, attrs, name="op", version=version)


def test_registered_versions():
    reg = set(_core.registered_ops())
    for t, v in [("DFT", "opset7"), ("IDFT", "opset7"), ("RDFT", "opset9"), ("IRDFT", "opset9"),
                 ("STFT", "opset15"), ("ISTFT", "opset16")]:
        assert (t, v) in reg


FFT_INFER = [
    ([4, 6, 8, 2], a(0, 1), None),
    ([4, 6, 8, 2], a(-1), None),
    ([4, 6, 8, 2], a(0, 1), a(3, -1)),
    ([4, 6, 8, 2], a(2, 0), a(5, 7)),
    ([4, 6, 8, 2], a(0, 1), ("i64", [2])),
    ([4, 6, 8, 2], ("i64", [2]), None),
    ([4, 6, 8, 2], ("i64", [2]), a(3, 3)),
    ([-1, 6, -1, -1], a(1), a(10)),
    (DYN, a(0, 1), a(3, 3)),
    ([4, 6, 8, 2], a(0, 1, dtype=np.int32), a(3, -1, dtype=np.int32)),
]


@pytest.mark.parametrize("op", ["DFT", "IDFT", "IRDFT"])
@pytest.mark.parametrize("shape,axes,sizes", FFT_INFER)
def test_complex_fft_infer(op, shape, axes, sizes):
    infer_vs_ov(op, [("f32", shape), axes] + ([] if sizes is None else [sizes]))


RDFT_INFER = [
    ([4, 6, 8], a(0, 1), None),
    ([4, 6, 8], a(-1), None),
    ([4, 6, 8], a(0, 1), a(3, -1)),
    ([4, 6, 8], a(2, 0), a(5, 7)),
    ([4, 6, 8], a(0, 1), ("i64", [2])),
    ([4, 6, 8], ("i64", [2]), None),
    ([-1, 6, -1], a(2), a(10)),
    ([-1, 6, -1], a(2), None),
    (DYN, a(0, 1), a(3, 3)),
]


@pytest.mark.parametrize("shape,axes,sizes", RDFT_INFER)
def test_rdft_infer(shape, axes, sizes):
    infer_vs_ov("RDFT", [("f32", shape), axes] + ([] if sizes is None else [sizes]))


def test_fft_errors():
    err("DFT", [("f32", [4, 6, 3]), a(0)], {}, "last dimension")
    err("DFT", [("f32", [4, 6, 2]), a(0, 0)], {}, "unique")
    err("DFT", [("f32", [4, 6, 2]), a(2)], {}, "out of range")
    err("DFT", [("i32", [4, 6, 2]), a(0)], {}, "floating-point")
    err("RDFT", [("f32", [4, 6]), a(0, 1), a(3)], {}, "same size")


def _complex(x):
    return np.stack([x.real, x.imag], -1).astype(np.float32)


def _run(op, ins, feeds, attrs=None):
    g = _core.Graph("t")
    outs = []
    for x in ins:
        if isinstance(x, tuple):
            outs.append(g.parameter(x[0], "f32", list(x[1])).output(0))
        else:
            outs.append(g.constant(x).output(0))
    n = g.op(op, outs, attrs or {}, name="op")
    g.result(n.output(0), name="out")
    return n, run_ir(g, feeds)[0]


def test_dft_values():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 6)) + 1j * rng.standard_normal((3, 5, 6))
    _, y = _run("DFT", [("x", (3, 5, 6, 2)), a(1, 2)], {"x": _complex(x)})
    np.testing.assert_allclose(y, _complex(np.fft.fft2(x, axes=(1, 2))), rtol=1e-4, atol=1e-4)
    _, y = _run("IDFT", [("x", (3, 5, 6, 2)), a(2), a(8)], {"x": _complex(x)})
    np.testing.assert_allclose(y, _complex(np.fft.ifft(x, n=8, axis=2)), rtol=1e-4, atol=1e-4)


def test_rdft_irdft_values():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 10)).astype(np.float32)
    n, y = _run("RDFT", [("x", (2, 10)), a(1)], {"x": x})
    assert n.output(0).shape == [2, 6, 2]
    np.testing.assert_allclose(y, _complex(np.fft.rfft(x, axis=1)), rtol=1e-4, atol=1e-4)
    c = np.fft.rfft(x, axis=1)
    n, y = _run("IRDFT", [("x", (2, 6, 2)), a(1)], {"x": _complex(c)})
    assert n.output(0).shape == [2, 10]
    np.testing.assert_allclose(y, x, rtol=1e-4, atol=1e-4)


STFT_INFER = [
    ([2, 48], [16], 16, 4, False),
    ([2, 48], [16], 16, 4, True),
    ([48], [10], 16, 5, False),
    ([2, 16], [16], 16, 4, False),
    ([2, -1], [16], 16, 4, True),
    (DYN, [16], 16, 4, False),
    ([2, 48], [-1], ("i64", []), 4, False),
]


@pytest.mark.parametrize("sig,win,fs,step,tr", STFT_INFER)
def test_stft_infer(sig, win, fs, step, tr):
    c = lambda v: np.array(v, np.int64) if isinstance(v, int) else v  # noqa: E731
    infer_vs_ov("STFT", [("f32", sig), ("f32", win), c(fs), c(step)], {"transpose_frames": tr})


ISTFT_INFER = [
    ([9, 10, 2], [16], 16, 4, True, None),
    ([2, 9, 10, 2], [16], 16, 4, False, None),
    ([2, 9, 10, 2], [16], 16, 4, False, np.array(40, np.int64)),
    ([2, 9, -1, 2], [16], 16, 4, False, None),
    ([2, 9, 10, 2], [16], 16, 4, False, ("i64", [])),
    (DYN, [16], 16, 4, False, None),
]


@pytest.mark.parametrize("data,win,fs,step,center,length", ISTFT_INFER)
def test_istft_infer(data, win, fs, step, center, length):
    ins = [("f32", data), ("f32", win), np.array(fs, np.int64), np.array(step, np.int64)]
    infer_vs_ov("ISTFT", ins + ([] if length is None else [length]), {"center": center, "normalized": False})


def test_stft_values():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 40)).astype(np.float32)
    w = np.hanning(16).astype(np.float32)
    n, y = _run("STFT", [("x", (2, 40)), w, np.array(16, np.int64), np.array(4, np.int64)], {"x": x},
                {"transpose_frames": False})
    frames = np.stack([x[:, i * 4:i * 4 + 16] * w for i in range(7)], 1)
    ref = np.fft.rfft(frames, axis=-1)
    assert n.output(0).shape == [2, 7, 9, 2]
    np.testing.assert_allclose(y, _complex(ref), rtol=1e-4, atol=1e-4)
