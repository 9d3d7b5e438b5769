"""The fusions on what torch's ONNX exporters really write: each module is exported with
torch.onnx.export(dynamo=False) (TorchScript) and dynamo=True, converted by irconv, checked for the
fused ops (and for the near-misses staying unfused), and run on OpenVINO against torch's output."""
import contextlib
import io
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")
nn = torch.nn
F = torch.nn.functional

import irconv  # noqa: E402
from helpers import infer_xml  # noqa: E402

EXPORTERS = ["torchscript", "dynamo"]


def export(module, args, path, exporter, opset=None):
    kw = {"opset_version": opset} if opset else {}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), args, path, dynamo=exporter == "dynamo", **kw)
    return path


def convert_and_run(tmp_path, module, args, exporter, opset=None):
    """(irconv op counts, IR outputs in order, torch outputs in order)."""
    torch.manual_seed(0)
    path = export(module, args, str(tmp_path / ("m_%s.onnx" % exporter)), exporter, opset)
    m = irconv.convert_model(path, compress_to_fp16=False)
    xml = str(tmp_path / "m.xml")
    m.save(xml, compress_to_fp16=False)
    got = infer_xml(xml, {i: a.numpy() for i, a in enumerate(args)})
    with torch.no_grad():
        want = module(*args)
    want = [w.numpy() for w in (want if isinstance(want, tuple) else (want,))]
    return m.ops(), [got[i] for i in range(len(want))], want


def assert_close(got, want, rtol=1e-4, atol=1e-5):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- normalizations

class Norms(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(16)
        self.gn = nn.GroupNorm(4, 8)                     # identity affine: the exporters' Mul/Add by 1/0 go
        self.gn2 = nn.GroupNorm(2, 8)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.w = nn.Parameter(torch.rand(16) + 0.5)
        with torch.no_grad():
            for p in (self.ln.weight, self.gn2.weight, self.inorm.weight):
                p.uniform_(0.5, 1.5)
            for p in (self.ln.bias, self.gn2.bias, self.inorm.bias):
                p.uniform_(-0.5, 0.5)

    def forward(self, x, y):
        rms = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.w
        return self.ln(x), self.gn(y), self.gn2(y), self.inorm(y), F.normalize(x, dim=-1), rms


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_torch_normalizations(tmp_path, exporter):
    args = (torch.randn(2, 5, 16) * 2 + 1, torch.randn(2, 8, 6, 6))
    # opset 14 makes the TorchScript exporter decompose LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div)
    ops, got, want = convert_and_run(tmp_path, Norms(), args, exporter, opset=14 if exporter == "torchscript" else None)
    assert ops.get("MVN") == 4 and ops.get("NormalizeL2") == 1
    for gone in ("Broadcast", "Maximum", "ReduceL2", "Subtract"):
        assert gone not in ops, ops
    # the RMS norm stays the decomposition OpenVINO's CPU plugin fuses into its RMS kernel
    assert ops.get("ReduceMean") == 1 and ops.get("Power") == 1 and ops.get("Sqrt") == 1
    assert_close(got, want)


def test_torch_rms_norm_compiles_to_the_cpu_rms_kernel(tmp_path):
    import openvino as ov
    path = export(nn.RMSNorm(16), (torch.randn(2, 5, 16),), str(tmp_path / "rms.onnx"), "dynamo")
    m = irconv.convert_model(path)
    xml = str(tmp_path / "rms.xml")
    m.save(xml, compress_to_fp16=False)
    cm = ov.Core().compile_model(xml, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    kinds = [o.get_rt_info()["layerType"].astype(str) for o in cm.get_runtime_model().get_ops()]
    assert "RMS" in kinds, kinds


# ---------------------------------------------------------------- attention

class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(16, 2, batch_first=True)
        self.mha2 = nn.MultiheadAttention(16, 2, batch_first=True)

    def forward(self, q, k, v, fmask, bmask, x):
        return (F.scaled_dot_product_attention(q, k, v),
                F.scaled_dot_product_attention(q, k, v, attn_mask=fmask),
                F.scaled_dot_product_attention(q, k, v, attn_mask=bmask),
                F.scaled_dot_product_attention(q, k, v, is_causal=True),
                F.scaled_dot_product_attention(q, k, v, scale=0.3),
                self.mha(x, x, x, need_weights=False)[0],
                # need_weights=True also returns the averaged attention probabilities: not an SDPA
                self.mha2(x, x, x)[1])


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_torch_attention(tmp_path, exporter):
    b, h, l, e = 2, 3, 5, 8
    bmask = torch.rand(1, 1, l, l) > 0.3
    bmask[..., 0] = True
    args = (torch.randn(b, h, l, e), torch.randn(b, h, l, e), torch.randn(b, h, l, e), torch.randn(1, 1, l, l),
            bmask, torch.randn(b, l, 16))
    ops, got, want = convert_and_run(tmp_path, Attention(), args, exporter)
    assert ops.get("ScaledDotProductAttention") == 6, ops
    assert ops.get("SoftMax") == 1                     # the need_weights=True one
    for gone in ("IsNaN", "Sqrt"):
        assert gone not in ops, ops
    assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_torch_causal_sdpa_is_causal_in_the_ir(tmp_path):
    q = torch.randn(1, 2, 6, 8)
    module = nn.Module()
    module.forward = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)
    path = export(module, (q, q * 2, q + 1), str(tmp_path / "c.onnx"), "torchscript")
    m = irconv.convert_model(path)
    sdpa = [n for n in m.graph.topo_order() if n.type == "ScaledDotProductAttention"]
    assert len(sdpa) == 1 and sdpa[0].attrs["causal"] is True and len(sdpa[0].inputs) == 3


# ---------------------------------------------------------------- activations and linear

class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(4)
        self.alpha = nn.Parameter(torch.tensor([0.1, 0.2, 0.3, 0.4]).reshape(1, 4, 1, 1))

    def forward(self, x):
        return (nn.Hardsigmoid()(x), nn.Hardswish()(x), torch.clamp(x, -1.5, 2.0),
                torch.minimum(torch.maximum(x, torch.tensor(-1.0)), torch.tensor(0.5)),     # Clamp
                torch.clamp(x * 0.2 + 0.5, 0.0, 1.0),                                       # HardSigmoid
                self.prelu(x), F.leaky_relu(x, 0.1),
                torch.maximum(x, 0.25 * x),                                                 # LeakyReLU
                torch.where(x > 0, x, x * self.alpha),                                      # PReLU
                F.relu(x) - self.alpha * F.relu(-x),                                        # PReLU
                0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0))),                            # Gelu (erf)
                F.gelu(x, approximate="tanh"), F.silu(x), F.mish(x),
                x * F.relu6(x + 3.0) / 6.0,                                                 # HSwish
                torch.maximum(x, 1.5 * x))                                                  # near-miss: not leaky


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_torch_activations(tmp_path, exporter):
    args = (torch.randn(2, 4, 3, 5) * 3,)
    ops, got, want = convert_and_run(tmp_path, Activations(), args, exporter)
    expect = {"HSigmoid": 1, "HSwish": 2, "Clamp": 2, "HardSigmoid": 1, "PReLU": 5, "Gelu": 2, "Swish": 1, "Mish": 1,
              "Maximum": 1}
    for k, n in expect.items():
        assert ops.get(k) == n, (k, ops)
    for gone in ("Erf", "Minimum", "Select", "ReLU", "Negative", "Tanh", "Sigmoid"):
        assert gone not in ops, (gone, ops)
    assert_close(got, want, rtol=1e-4, atol=1e-5)


class ConvBnLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-1, 1)
            self.bn.running_var.uniform_(0.5, 2)
            self.bn.weight.uniform_(0.5, 1.5)

    def forward(self, x):
        y = F.relu(self.bn(self.conv(x)))
        return self.fc(y.mean((2, 3))) * 2.0


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_torch_conv_bn_and_linear_scale_fold(tmp_path, exporter):
    args = (torch.randn(1, 3, 8, 8),)
    ops, got, want = convert_and_run(tmp_path, ConvBnLinear(), args, exporter)
    assert "BatchNormInference" not in ops and "Multiply" not in ops, ops
    assert ops.get("Convolution") == 1 and ops.get("MatMul") == 1
    assert_close(got, want, rtol=1e-4, atol=1e-5)
