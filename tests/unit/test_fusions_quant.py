"""FakeQuantizeDequantizeFusion (cpp/src/passes/quantization_fusions.cpp): FakeQuantize -> Convert to
an integer type -> Convert back -> (- zero point) -> * scale, as ONNX QuantizeLinear/DequantizeLinear
pairs are translated, becomes one FakeQuantize; chains whose Converts would change the values stay."""
import os

import numpy as np
import pytest

from helpers import infer_xml, run_ir

import irconv
from irconv import _core

NOT_FUSIONS = {"DeadCodeElimination", "ConstantFolding", "ConstantFoldingFinal", "DeadCodeEliminationFinal"}
FUSIONS = [p for p in _core.passes() if p not in NOT_FUSIONS]
FIXTURES = os.environ.get("IRCONV_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                                          "fixtures"))
rng = np.random.default_rng(0)
X = rng.uniform(-3, 3, (1, 4, 5, 5)).astype(np.float32)


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def qdq(int_type="u8", out_lo=0.0, out_hi=255.0, levels=256, zp=128.0, scale=0.02, per_channel=False):
    def build():
        g = _core.Graph("qdq")
        x = g.parameter("x", "f32", [1, 4, 5, 5]).output(0)
        s = np.array([0.01, 0.02, 0.03, 0.04], np.float32).reshape(1, 4, 1, 1) if per_channel else scale
        in_lo = -np.asarray(s) * 128 if per_channel else -2.56
        in_hi = np.asarray(s) * 127 if per_channel else 2.54
        fq = g.op("FakeQuantize", [x, c(g, in_lo), c(g, in_hi), c(g, out_lo), c(g, out_hi)],
                  {"levels": levels, "auto_broadcast": "numpy"}).output(0)
        q = g.op("Convert", [fq], {"destination_type": int_type}).output(0)
        y = g.op("Convert", [q], {"destination_type": "f32"}).output(0)
        if zp is not None:
            y = g.op("Subtract", [y, c(g, zp)]).output(0)
        y = g.op("Multiply", [y, c(g, s)], name="dq").output(0)
        y.add_names(["y"])
        g.result(y, "y")
        return g
    return build


def run_both(build):
    g = build()
    g.run_passes()
    r = build()
    r.run_passes(disabled=FUSIONS)
    got, ref = run_ir(g, {"x": X})["y"], run_ir(r, {"x": X})["y"]
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    return [n.type for n in g.topo_order()], g


@pytest.mark.parametrize("kw", [dict(), dict(int_type="i8", out_lo=-128.0, out_hi=127.0, zp=None, per_channel=True),
                                dict(int_type="i8", out_lo=-128.0, out_hi=127.0, zp=3.0)])
def test_quantize_dequantize_pair_becomes_one_fake_quantize(kw):
    t, g = run_both(qdq(**kw))
    assert t.count("FakeQuantize") == 1 and "Convert" not in t and "Multiply" not in t and "Subtract" not in t
    fq = [n for n in g.topo_order() if n.type == "FakeQuantize"][0]
    assert fq.name == "dq" and "y" in fq.output(0).names


@pytest.mark.parametrize("kw", [dict(int_type="i8"),                       # 0..255 does not fit i8: saturates
                                dict(out_lo=0.0, out_hi=510.0, int_type="u16"),  # levels are 2 apart
                                dict(out_lo=0.5, out_hi=255.5)])           # not integers
def test_converts_that_change_values_keep_the_chain(kw):
    t, _ = run_both(qdq(**kw))
    assert "Convert" in t


def test_onnx_qdq_fixture(tmp_path):
    d = os.path.join(FIXTURES, "onnx", "ops_quant_qdq")
    assert os.path.isdir(d), "the shared fixtures are missing: %s" % d
    m = irconv.convert_model(os.path.join(d, "model.onnx"), compress_to_fp16=False)
    ops = m.ops()
    assert ops.get("FakeQuantize") == 3 and "Convert" not in ops and "Subtract" not in ops, ops
    xml = str(tmp_path / "q.xml")
    m.save(xml, compress_to_fp16=False)
    ins, exp = np.load(os.path.join(d, "inputs.npz")), np.load(os.path.join(d, "expected.npz"))
    got = infer_xml(xml, {k: ins[k] for k in ins.files})
    for k in exp.files:
        np.testing.assert_allclose(got[k], exp[k], rtol=1e-3, atol=1e-4)
