"""Activation fusions (cpp/src/passes/activation_fusions.cpp) and the pattern matcher behind them.

Per pattern: a positive test (fused op present, pieces gone, friendly name / tensor names kept,
fused_names rt_info in the saved XML, OpenVINO output equal to the unfused reference IR) and
negative tests (wrong constant, extra consumer, integer tensors, broadcasting constants...).
"""
import math
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from helpers import run_ir, save_ir

from irconv import _core

FUSIONS = ["SoftPlusFusion", "MishFusion", "SwishFusion", "HSigmoidFusion", "HSwishFusion", "GeluFusion"]
SHAPE = [2, 3, 4, 5]
NP = {"f32": np.float32, "f16": np.float16, "i32": np.int32, "i64": np.int64}


# ---------------------------------------------------------------- numpy references (float64)

def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softplus(x):
    return np.log1p(np.exp(x))


def np_mish(x):
    return x * np.tanh(np_softplus(x))


def np_hsigmoid(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def np_hswish(x):
    return x * np_hsigmoid(x)


def np_gelu_erf(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def np_gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


# ---------------------------------------------------------------- model building helpers

class B:
    """A tiny builder: b.op("Multiply", a, c, name="m") ; b.c(3.0) makes a constant of x's type."""

    def __init__(self, et="f32", shape=SHAPE, n_inputs=1):
        self.g = _core.Graph("fusion_test")
        self.et = et
        self.inputs = [self.g.parameter("x" if i == 0 else f"y{i}", et, shape).output(0) for i in range(n_inputs)]
        self.x = self.inputs[0]

    def c(self, v, shape=(), name=""):
        if self.et == "bf16":  # numpy has no bf16: round f32 to nearest even, keep the upper half
            f = np.full(shape, v, dtype=np.float32) if np.isscalar(v) else np.asarray(v, dtype=np.float32)
            bits = f.view(np.uint32).astype(np.uint64)
            b16 = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
            return self.g.constant_bytes(b16, "bf16", list(f.shape), name=name).output(0)
        arr = np.full(shape, v, dtype=NP[self.et]) if np.isscalar(v) else np.asarray(v, dtype=NP[self.et])
        return self.g.constant(arr, name=name).output(0)

    def op(self, type_, *inputs, name="", version="", **attrs):
        return self.g.op(type_, list(inputs), attrs or None, name=name, version=version).output(0)


def make(build, et="f32", shape=SHAPE, n_inputs=1, out_names=("act",)):
    """build(b) -> output Output or list of outputs; each gets a Result (the first also gets tensor names)."""
    b = B(et, shape, n_inputs)
    outs = build(b)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    outs[0].add_names(list(out_names))
    for i, o in enumerate(outs):
        b.g.result(o, name=f"out{i}")
    return b.g


def types(g):
    return [n.type for n in g.topo_order()]


def feeds_for(g, et="f32", shape=SHAPE, seed=0, lo=-6.0, hi=6.0):
    rng = np.random.default_rng(seed)
    f = {}
    for p in g.parameters:
        s = [d if d >= 0 else 3 for d in p.output(0).shape]
        f[p.name] = rng.uniform(lo, hi, size=s).astype(NP[et])
    return f


def saved_rt_info(g):
    """{layer name: {rt attribute name: value}} from the saved XML."""
    with tempfile.TemporaryDirectory() as d:
        xml = save_ir(g, d)
        root = ET.parse(xml).getroot()
    info = {}
    for layer in root.iter("layer"):
        rt = layer.find("rt_info")
        if rt is not None:
            info[layer.get("name")] = {a.get("name"): a.get("value") for a in rt.findall("attribute")}
    return info


def fused_ok(build, fused, pieces, root_name="root", fused_from=None, et="f32", shape=SHAPE, n_inputs=1,
             run=None, attrs=None, seed=0, lo=-6.0, hi=6.0, ref=None):
    """Asserts `build` fuses into `fused` and computes the same as the unfused reference on OpenVINO
    (and as the numpy formula `ref(x)` when given)."""
    g = make(build, et, shape, n_inputs)
    if run is None:
        g.run_passes()
    else:
        for p in run:
            g.run_pass(p)
        g.remove_dead()
    ts = types(g)
    assert ts.count(fused) == 1, ts
    for p in pieces:
        assert p not in ts, (p, ts)
    node = next(n for n in g.topo_order() if n.type == fused)
    assert node.name == root_name
    assert "act" in node.output(0).names
    for k, v in (attrs or {}).items():
        assert node.attrs[k] == v, node.attrs
    rt = dict(node.rt_info)
    assert "fused_names" in rt
    value = dict(rt["fused_names"])["value"]
    if fused_from is not None:
        assert value == ",".join(sorted(fused_from))
    assert saved_rt_info(g)[root_name]["fused_names"] == value

    unfused = make(build, et, shape, n_inputs)
    unfused.run_passes(disabled=FUSIONS)
    assert fused not in types(unfused)
    feeds = feeds_for(g, et, shape, seed, lo, hi)
    got = run_ir(g, feeds)
    want = run_ir(unfused, feeds)
    np.testing.assert_allclose(got["act"], want["act"], rtol=1e-5, atol=1e-6)
    if ref is not None:
        x = feeds["x"].astype(np.float64)
        np.testing.assert_allclose(got["act"], ref(x), rtol=1e-5, atol=1e-6)
    return g


def not_fused(build, fused, et="f32", shape=SHAPE, n_inputs=1, expect=None):
    g = make(build, et, shape, n_inputs)
    g.run_passes()
    ts = types(g)
    assert fused not in ts, ts
    for t in expect or []:
        assert t in ts, (t, ts)
    return g


# ---------------------------------------------------------------- registration

def test_passes_registered_in_order():
    g = make(lambda b: b.op("Sigmoid", b.x))
    names = [t[0] for t in g.run_passes()]
    for p in FUSIONS:
        assert p in names
    pos = [names.index(p) for p in FUSIONS]
    assert pos == sorted(pos)
    assert names.index("ConstantFolding") < pos[0]


# ---------------------------------------------------------------- SoftPlus

def softplus_graph(b, one=1.0, name="root"):
    return b.op("Log", b.op("Add", b.op("Exp", b.x, name="exp"), b.c(one), name="add"), name=name)


def test_softplus_fusion():
    fused_ok(softplus_graph, "SoftPlus", ["Log", "Exp", "Add"], fused_from=["exp", "add", "root"], lo=-4, hi=4,
             ref=np_softplus)


def test_softplus_wrong_constant():
    not_fused(lambda b: softplus_graph(b, one=2.0), "SoftPlus", expect=["Log", "Exp"])


def test_softplus_extra_consumer():
    def build(b):
        e = b.op("Exp", b.x, name="exp")
        return [b.op("Log", b.op("Add", e, b.c(1.0)), name="root"), e]
    not_fused(build, "SoftPlus", expect=["Log"])


# ---------------------------------------------------------------- Swish

def test_swish_fusion():
    fused_ok(lambda b: b.op("Multiply", b.x, b.op("Sigmoid", b.x, name="sig"), name="root"),
             "Swish", ["Sigmoid", "Multiply"], fused_from=["sig", "root"], ref=lambda x: x * np_sigmoid(x))


def test_swish_fusion_swapped_inputs():
    fused_ok(lambda b: b.op("Multiply", b.op("Sigmoid", b.x, name="sig"), b.x, name="root"),
             "Swish", ["Sigmoid", "Multiply"])


def test_swish_fusion_single_pass_only():
    g = fused_ok(lambda b: b.op("Multiply", b.x, b.op("Sigmoid", b.x), name="root"),
                 "Swish", ["Sigmoid"], run=["SwishFusion"])
    assert g.topo_order()[-2].type == "Swish"


def test_swish_with_beta():
    def build(b):
        s = b.op("Sigmoid", b.op("Multiply", b.c(1.5, shape=[1]), b.x, name="xb"), name="sig")
        return b.op("Multiply", s, b.x, name="root")
    g = fused_ok(build, "Swish", ["Sigmoid", "Multiply"], fused_from=["xb", "sig", "root"],
                 ref=lambda x: x * np_sigmoid(1.5 * x))
    sw = next(n for n in g.topo_order() if n.type == "Swish")
    beta = sw.inputs[1]
    assert beta.shape == [] and float(beta.value()) == 1.5


def test_swish_division_form():
    def build(b):
        d = b.op("Add", b.op("Exp", b.op("Negative", b.x)), b.c(1.0))
        return b.op("Divide", b.x, d, name="root")
    fused_ok(build, "Swish", ["Exp", "Negative", "Divide"], ref=lambda x: x * np_sigmoid(x))


def test_swish_beta_not_uniform():
    def build(b):
        beta = b.c([1.0, 1.5, 1.0, 1.0, 1.0])
        return b.op("Multiply", b.x, b.op("Sigmoid", b.op("Multiply", b.x, beta)), name="root")
    not_fused(build, "Swish", expect=["Sigmoid"])


def test_swish_different_tensors():
    not_fused(lambda b: b.op("Multiply", b.inputs[1], b.op("Sigmoid", b.x)), "Swish", n_inputs=2,
              expect=["Sigmoid", "Multiply"])


def test_swish_extra_consumer():
    def build(b):
        s = b.op("Sigmoid", b.x, name="sig")
        return [b.op("Multiply", b.x, s, name="root"), b.op("Add", s, b.c(1.0))]
    not_fused(build, "Swish", expect=["Sigmoid", "Multiply"])


def test_swish_integer_input():
    not_fused(lambda b: b.op("Multiply", b.x, b.op("Sigmoid", b.x)), "Swish", et="i32", expect=["Sigmoid"])


def test_swish_dynamic_shape():
    fused_ok(lambda b: b.op("Multiply", b.x, b.op("Sigmoid", b.x), name="root"), "Swish", ["Sigmoid"],
             shape=[-1, 3, -1])


def test_swish_dynamic_rank():
    g = make(lambda b: b.op("Multiply", b.x, b.op("Sigmoid", b.x), name="root"), shape=None)
    g.run_passes()
    assert "Swish" in types(g) and "Sigmoid" not in types(g)


def test_swish_f16():
    g = make(lambda b: b.op("Multiply", b.x, b.op("Sigmoid", b.x), name="root"), et="f16")
    g.run_passes()
    assert "Swish" in types(g)
    sw = next(n for n in g.topo_order() if n.type == "Swish")
    assert sw.output(0).element_type == "f16"


# ---------------------------------------------------------------- Mish

def test_mish_fusion_with_softplus():
    def build(b):
        t = b.op("Tanh", b.op("SoftPlus", b.x, name="sp"), name="tanh")
        return b.op("Multiply", b.x, t, name="root")
    fused_ok(build, "Mish", ["Tanh", "SoftPlus", "Multiply"], fused_from=["sp", "tanh", "root"], ref=np_mish)


def mish_log_graph(b, one=1.0):
    sp = b.op("Log", b.op("Add", b.op("Exp", b.x, name="exp"), b.c(one), name="add"), name="log")
    return b.op("Multiply", b.op("Tanh", sp, name="tanh"), b.x, name="root")


def test_mish_fusion_log_exp():
    # SoftPlusFusion runs first (its fused SoftPlus is then part of the Mish): names merge.
    fused_ok(mish_log_graph, "Mish", ["Tanh", "Log", "Exp", "SoftPlus"],
             fused_from=["exp", "add", "log", "tanh", "root"], lo=-4, hi=4, ref=np_mish)


def test_mish_fusion_log_exp_without_softplus_fusion():
    g = make(mish_log_graph)
    g.run_passes(disabled=["SoftPlusFusion"])
    assert "Mish" in types(g) and "Log" not in types(g)
    node = next(n for n in g.topo_order() if n.type == "Mish")
    assert dict(dict(node.rt_info)["fused_names"])["value"] == "add,exp,log,root,tanh"


def test_mish_wrong_constant():
    not_fused(lambda b: mish_log_graph(b, one=0.5), "Mish", expect=["Tanh", "Log"])


def test_mish_different_tensor():
    not_fused(lambda b: b.op("Multiply", b.x, b.op("Tanh", b.op("SoftPlus", b.inputs[1]))), "Mish", n_inputs=2,
              expect=["Tanh"])


# ---------------------------------------------------------------- HSigmoid / HSwish building blocks

def relu6(b, t, kind="clamp", hi=6.0):
    if kind == "clamp":
        return b.op("Clamp", t, min=0.0, max=hi, name="clamp")
    if kind == "minmax":
        return b.op("Minimum", b.c(hi), b.op("Maximum", t, b.c(0.0), name="max"), name="min")
    if kind == "maxmin":
        return b.op("Maximum", b.op("Minimum", t, b.c(hi), name="min"), b.c(0.0), name="max")
    return b.op("Minimum", b.op("ReLU", t, name="relu"), b.c(hi), name="min")


def x_plus_3(b, three=3.0, swap=False):
    return b.op("Add", b.c(three), b.x, name="add") if swap else b.op("Add", b.x, b.c(three), name="add")


# ---------------------------------------------------------------- HSigmoid

HSIGMOID_FORMS = {
    "clamp_div": lambda b: b.op("Divide", relu6(b, x_plus_3(b)), b.c(6.0), name="root"),
    "clamp_mul_sixth": lambda b: b.op("Multiply", b.c(1.0 / 6.0), relu6(b, x_plus_3(b, swap=True)), name="root"),
    "min_relu_div": lambda b: b.op("Divide", relu6(b, x_plus_3(b), "minrelu"), b.c(6.0), name="root"),
    "min_relu_mul": lambda b: b.op("Multiply", relu6(b, x_plus_3(b), "minrelu"), b.c(0.16666667), name="root"),
    "hard_sigmoid": lambda b: b.op("HardSigmoid", b.x, b.c(1.0 / 6.0), b.c(0.5), name="root"),
    "min_max_div": lambda b: b.op("Divide", relu6(b, x_plus_3(b), "minmax"), b.c(6.0), name="root"),
    "max_min_div": lambda b: b.op("Divide", relu6(b, x_plus_3(b), "maxmin"), b.c(6.0), name="root"),
    "clamp_int_attrs": lambda b: b.op("Divide", b.op("Clamp", x_plus_3(b), min=0, max=6), b.c(6.0), name="root"),
}


@pytest.mark.parametrize("form", sorted(HSIGMOID_FORMS))
def test_hsigmoid_fusion(form):
    fused_ok(HSIGMOID_FORMS[form], "HSigmoid",
             ["Clamp", "Minimum", "Maximum", "ReLU", "Divide", "HardSigmoid", "Add"],
             ref=np_hsigmoid)


def test_hsigmoid_fused_names():
    fused_ok(HSIGMOID_FORMS["clamp_div"], "HSigmoid", [], fused_from=["add", "clamp", "root"])


@pytest.mark.parametrize("et", ["f16", "bf16"])
def test_hsigmoid_low_precision_constants(et):
    # 1/6 rounds to 0.16663 in f16 and to 0.16699 in bf16: both still match
    g = make(HSIGMOID_FORMS["clamp_mul_sixth"], et=et)
    g.run_passes()
    assert "HSigmoid" in types(g) and "Clamp" not in types(g)
    hs = next(n for n in g.topo_order() if n.type == "HSigmoid")
    assert hs.output(0).element_type == et


def test_hsigmoid_wrong_divisor():
    not_fused(lambda b: b.op("Divide", relu6(b, x_plus_3(b)), b.c(5.0)), "HSigmoid", expect=["Clamp"])


def test_hsigmoid_wrong_clamp():
    not_fused(lambda b: b.op("Divide", relu6(b, x_plus_3(b), hi=5.0), b.c(6.0)), "HSigmoid", expect=["Clamp"])


def test_hsigmoid_wrong_min_max():
    # (ClampFusion turns the Maximum/Minimum pair into Clamp(0, 7))
    not_fused(lambda b: b.op("Divide", relu6(b, x_plus_3(b), "maxmin", hi=7.0), b.c(6.0)), "HSigmoid",
              expect=["Clamp"])


def test_hsigmoid_hard_sigmoid_default_alpha():
    not_fused(lambda b: b.op("HardSigmoid", b.x, b.c(0.2), b.c(0.5)), "HSigmoid", expect=["HardSigmoid"])


def test_hsigmoid_broadcasting_constant():
    # x: [2, 1]; x + 3 with a [1, 3] constant broadcasts: HSigmoid(x) would have the wrong shape.
    def build(b):
        return b.op("Divide", relu6(b, b.op("Add", b.x, b.c(3.0, shape=[1, 3]))), b.c(6.0))
    not_fused(build, "HSigmoid", shape=[2, 1], expect=["Clamp"])


def test_hsigmoid_non_broadcasting_tensor_constant():
    # all-equal [1, 5] constant against x [2, 3, 4, 5]: fine
    fused_ok(lambda b: b.op("Divide", relu6(b, b.op("Add", b.x, b.c(3.0, shape=[1, 5]))), b.c(6.0), name="root"),
             "HSigmoid", ["Clamp"])


def test_hsigmoid_dynamic_rank():
    # rank-0 constants cannot broadcast x: fused; a [1] constant could (x may be a scalar): not fused
    g = make(HSIGMOID_FORMS["clamp_div"], shape=None)
    g.run_passes()
    assert "HSigmoid" in types(g) and "Clamp" not in types(g)
    not_fused(lambda b: b.op("Divide", relu6(b, x_plus_3(b)), b.c(6.0, shape=[1])), "HSigmoid", shape=None,
              expect=["Clamp"])


def test_hsigmoid_non_uniform_constant():
    not_fused(lambda b: b.op("Divide", relu6(b, x_plus_3(b)), b.c([6.0, 6.0, 6.0, 6.0, 5.0])), "HSigmoid",
              expect=["Clamp"])


# ---------------------------------------------------------------- HSwish

HSWISH_FORMS = {
    # x * Clamp(x + 3, 0, 6) / 6
    "mul_div": lambda b: b.op("Divide", b.op("Multiply", b.x, relu6(b, x_plus_3(b)), name="mul"), b.c(6.0),
                              name="root"),
    # (x * Clamp(x + 3, 0, 6)) * (1/6)
    "mul_mul_sixth": lambda b: b.op("Multiply", b.op("Multiply", relu6(b, x_plus_3(b)), b.x, name="mul"),
                                    b.c(1.0 / 6.0), name="root"),
    # x * (Clamp(x + 3, 0, 6) / 6)
    "x_mul_div": lambda b: b.op("Multiply", b.x, b.op("Divide", relu6(b, x_plus_3(b)), b.c(6.0), name="div"),
                                name="root"),
    # x * (Clamp(x + 3, 0, 6) * (1/6))
    "x_mul_mul": lambda b: b.op("Multiply", b.op("Multiply", b.c(1.0 / 6.0), relu6(b, x_plus_3(b)), name="div"),
                                b.x, name="root"),
    # x * Minimum(ReLU(x + 3), 6) / 6
    "min_relu": lambda b: b.op("Divide", b.op("Multiply", b.x, relu6(b, x_plus_3(b, swap=True), "minrelu"),
                                              name="mul"), b.c(6.0), name="root"),
    # x * HardSigmoid(x; 1/6, 0.5)
    "hard_sigmoid": lambda b: b.op("Multiply", b.x, b.op("HardSigmoid", b.x, b.c(1.0 / 6.0), b.c(0.5), name="hs"),
                                   name="root"),
}


@pytest.mark.parametrize("form", sorted(HSWISH_FORMS))
def test_hswish_fusion(form):
    fused_ok(HSWISH_FORMS[form], "HSwish",
             ["Clamp", "Minimum", "ReLU", "Divide", "HardSigmoid", "HSigmoid", "Add", "Multiply"], ref=np_hswish)


@pytest.mark.parametrize("form", sorted(HSWISH_FORMS))
def test_hswish_fusion_without_hsigmoid_fusion(form):
    g = make(HSWISH_FORMS[form])
    g.run_passes(disabled=["HSigmoidFusion"])
    assert types(g).count("HSwish") == 1 and "Multiply" not in types(g), types(g)


def test_hswish_fused_names():
    fused_ok(HSWISH_FORMS["mul_div"], "HSwish", [], fused_from=["add", "clamp", "mul", "root"])
    # via HSigmoid: the HSigmoid's own fused names are merged in
    fused_ok(HSWISH_FORMS["x_mul_div"], "HSwish", [], fused_from=["add", "clamp", "div", "root"])


def test_hswish_wrong_clamp():
    # x * Clamp(x + 3, 0, 5) / 6 does not fuse
    not_fused(lambda b: b.op("Divide", b.op("Multiply", b.x, relu6(b, x_plus_3(b), hi=5.0)), b.c(6.0)), "HSwish",
              expect=["Clamp", "Divide"])


def test_hswish_wrong_shift():
    not_fused(lambda b: b.op("Divide", b.op("Multiply", b.x, relu6(b, x_plus_3(b, three=2.0))), b.c(6.0)), "HSwish",
              expect=["Clamp"])


def test_hswish_extra_consumer():
    def build(b):
        r = relu6(b, x_plus_3(b))
        return [b.op("Divide", b.op("Multiply", b.x, r), b.c(6.0), name="root"), r]
    g = not_fused(build, "HSwish", expect=["Clamp", "Multiply", "Divide"])
    feeds = feeds_for(g)
    out = run_ir(g, feeds)
    x = feeds["x"]
    np.testing.assert_allclose(out["act"], x * np.clip(x + 3, 0, 6) / 6, rtol=1e-5, atol=1e-6)


def test_hswish_intermediate_is_output():
    def build(b):
        m = b.op("Multiply", b.x, relu6(b, x_plus_3(b)), name="mul")
        return [b.op("Divide", m, b.c(6.0), name="root"), m]
    not_fused(build, "HSwish", expect=["Clamp", "Multiply"])


def test_hswish_integer_input():
    def build(b):
        return b.op("Divide", b.op("Multiply", b.x, b.op("Clamp", b.op("Add", b.x, b.c(3)), min=0.0, max=6.0)),
                    b.c(6))
    not_fused(build, "HSwish", et="i32", expect=["Clamp"])


def test_hswish_different_tensors():
    def build(b):
        return b.op("Divide", b.op("Multiply", b.inputs[1], relu6(b, x_plus_3(b))), b.c(6.0))
    not_fused(build, "HSwish", n_inputs=2, expect=["Clamp", "Multiply"])


# ---------------------------------------------------------------- Gelu (erf)

def erf_arg(b, kind):
    if kind == "div":
        return b.op("Divide", b.x, b.c(1.4142135), name="scale")
    return b.op("Multiply", b.x, b.c(0.70710677), name="scale")


def erf_one_plus(b, kind="div", swap=False):
    e = b.op("Erf", erf_arg(b, kind), name="erf")
    return b.op("Add", e, b.c(1.0), name="add") if swap else b.op("Add", b.c(1.0), e, name="add")


GELU_ERF_FORMS = {
    # torch: (x * 0.5) * (1 + erf(x / sqrt2))
    "torch": lambda b: b.op("Multiply", b.op("Multiply", b.x, b.c(0.5), name="half"), erf_one_plus(b), name="root"),
    # x * (0.5 * (1 + erf(x / sqrt2)))
    "inner_half": lambda b: b.op("Multiply", b.x, b.op("Multiply", b.c(0.5), erf_one_plus(b), name="half"),
                                 name="root"),
    # TF: x * 0.5 * (erf(x * 0.7071) + 1)
    "tf": lambda b: b.op("Multiply", b.op("Multiply", b.c(0.5), b.x, name="half"), erf_one_plus(b, "mul", True),
                         name="root"),
    # (x * (1 + erf(..))) * 0.5
    "outer_half": lambda b: b.op("Multiply", b.op("Multiply", erf_one_plus(b, "mul"), b.x, name="half"), b.c(0.5),
                                 name="root"),
    # x * (1 + erf(..)) / 2
    "div2": lambda b: b.op("Divide", b.op("Multiply", b.x, erf_one_plus(b), name="half"), b.c(2.0), name="root"),
    # x * (0.5 + 0.5 * erf(..))
    "half_plus_half": lambda b: b.op(
        "Multiply", b.x,
        b.op("Add", b.op("Multiply", b.op("Erf", erf_arg(b, "mul"), name="erf"), b.c(0.5), name="half"), b.c(0.5),
             name="add"), name="root"),
}


@pytest.mark.parametrize("form", sorted(GELU_ERF_FORMS))
def test_gelu_erf_fusion(form):
    fused_ok(GELU_ERF_FORMS[form], "Gelu", ["Erf", "Multiply", "Divide", "Add"],
             fused_from=["scale", "erf", "add", "half", "root"], attrs={"approximation_mode": "ERF"},
             ref=np_gelu_erf)


def test_gelu_erf_wrong_half():
    not_fused(lambda b: b.op("Multiply", b.op("Multiply", b.x, b.c(0.6)), erf_one_plus(b)), "Gelu", expect=["Erf"])


def test_gelu_erf_wrong_scale():
    def build(b):
        one_plus = b.op("Add", b.op("Erf", b.op("Divide", b.x, b.c(2.0))), b.c(1.0))
        return b.op("Multiply", b.op("Multiply", b.x, b.c(0.5)), one_plus)
    not_fused(build, "Gelu", expect=["Erf"])


def test_gelu_erf_extra_consumer():
    def build(b):
        e = erf_one_plus(b)
        return [b.op("Multiply", b.op("Multiply", b.x, b.c(0.5)), e, name="root"), e]
    not_fused(build, "Gelu", expect=["Erf"])


def test_gelu_erf_different_tensors():
    def build(b):
        return b.op("Multiply", b.op("Multiply", b.inputs[1], b.c(0.5)), erf_one_plus(b))
    not_fused(build, "Gelu", n_inputs=2, expect=["Erf"])


# ---------------------------------------------------------------- Gelu (tanh)

def gelu_tanh_graph(b, cube="pow", coeff=0.044715, k=math.sqrt(2 / math.pi), form="torch"):
    if cube == "pow":
        x3 = b.op("Power", b.x, b.c(3.0), name="pow")
    else:
        x3 = b.op("Multiply", b.x, b.op("Multiply", b.x, b.x, name="sq"), name="pow")
    inner = b.op("Add", b.x, b.op("Multiply", b.c(coeff), x3, name="cmul"), name="inner")
    t = b.op("Tanh", b.op("Multiply", inner, b.c(k), name="kmul"), name="tanh")
    one_plus = b.op("Add", t, b.c(1.0), name="add")
    if form == "torch":
        return b.op("Multiply", b.op("Multiply", b.c(0.5), b.x, name="half"), one_plus, name="root")
    return b.op("Multiply", b.x, b.op("Multiply", one_plus, b.c(0.5), name="half"), name="root")


@pytest.mark.parametrize("cube", ["pow", "mul"])
@pytest.mark.parametrize("form", ["torch", "inner"])
def test_gelu_tanh_fusion(cube, form):
    names = ["pow", "cmul", "inner", "kmul", "tanh", "add", "half", "root"] + (["sq"] if cube == "mul" else [])
    fused_ok(lambda b: gelu_tanh_graph(b, cube, form=form), "Gelu", ["Tanh", "Power", "Multiply", "Add"],
             fused_from=names, attrs={"approximation_mode": "TANH"}, lo=-4, hi=4, ref=np_gelu_tanh)


def test_gelu_tanh_wrong_coefficient():
    not_fused(lambda b: gelu_tanh_graph(b, coeff=0.05), "Gelu", expect=["Tanh"])


def test_gelu_tanh_wrong_power():
    def build(b):
        x3 = b.op("Power", b.x, b.c(2.0))
        inner = b.op("Add", b.x, b.op("Multiply", b.c(0.044715), x3))
        t = b.op("Tanh", b.op("Multiply", inner, b.c(math.sqrt(2 / math.pi))))
        return b.op("Multiply", b.op("Multiply", b.c(0.5), b.x), b.op("Add", t, b.c(1.0)))
    not_fused(build, "Gelu", expect=["Tanh", "Power"])


def test_gelu_tanh_f16_graph():
    g = make(lambda b: gelu_tanh_graph(b), et="f16")
    g.run_passes()
    assert "Gelu" in types(g) and "Tanh" not in types(g)


# ---------------------------------------------------------------- matcher behaviour

def test_two_fusions_in_one_model_and_chain():
    # Swish feeding an HSwish pattern: both fire in one pipeline run.
    def build(b):
        s = b.op("Multiply", b.x, b.op("Sigmoid", b.x), name="swish")
        r = b.op("Clamp", b.op("Add", s, b.c(3.0)), min=0.0, max=6.0)
        return b.op("Divide", b.op("Multiply", s, r), b.c(6.0), name="root")
    g = make(build)
    g.run_passes()
    ts = types(g)
    assert "Swish" in ts and "HSwish" in ts and "Clamp" not in ts and "Sigmoid" not in ts
    ref = make(build)
    ref.run_passes(disabled=FUSIONS)
    feeds = feeds_for(g)
    np.testing.assert_allclose(run_ir(g, feeds)["act"], run_ir(ref, feeds)["act"], rtol=1e-5, atol=1e-6)


def test_result_on_root_and_fused_keeps_tensor_names():
    def build(b):
        m = b.op("Multiply", b.x, b.op("Sigmoid", b.x), name="root")
        return [m, b.op("ReLU", m)]
    g = make(build)
    g.run_passes()
    sw = next(n for n in g.topo_order() if n.type == "Swish")
    assert sw.name == "root" and sw.output(0).names == ["act"]
    cons = sorted(n.type for n, _ in sw.output(0).consumers())
    assert cons == ["ReLU", "Result"]
