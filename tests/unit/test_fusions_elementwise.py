"""ClampFusion, HardSigmoidFusion, PReLUFusion (cpp/src/passes/elementwise_fusions.cpp): each fused
graph runs on OpenVINO and matches numpy and the graph with every fusion off; near-misses stay."""
import numpy as np
import pytest

from helpers import run_ir

from irconv import _core

NOT_FUSIONS = {"DeadCodeElimination", "ConstantFolding", "ConstantFoldingFinal", "DeadCodeEliminationFinal"}
FUSIONS = [p for p in _core.passes() if p not in NOT_FUSIONS]
SHAPE = [2, 3, 4, 5]
rng = np.random.default_rng(0)
X = rng.uniform(-4, 4, SHAPE).astype(np.float32)


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def graph(body, et="f32"):
    def build():
        g = _core.Graph("ew")
        x = g.parameter("x", et, SHAPE).output(0)

        def op(t, *ins, name="", **attrs):
            return g.op(t, list(ins), attrs or None, name=name).output(0)
        y = body(g, x, op)
        y.add_names(["y"])
        g.result(y, "y")
        return g
    return build


def check(build, fused, ref=None, feeds=None, gone=()):
    feeds = feeds or {"x": X}
    g = build()
    g.run_passes()
    t = [n.type for n in g.topo_order()]
    assert t.count(fused) == 1, t
    for x in gone:
        assert x not in t, t
    node = [n for n in g.topo_order() if n.type == fused][0]
    assert "y" in node.output(0).names and node.name == "root"
    got = run_ir(g, feeds)["y"]
    r = build()
    r.run_passes(disabled=FUSIONS)
    np.testing.assert_allclose(got, run_ir(r, feeds)["y"], rtol=1e-5, atol=1e-6)
    if ref is not None:
        np.testing.assert_allclose(got, ref(feeds["x"].astype(np.float64)), rtol=1e-5, atol=1e-6)
    return g


def not_fused(build, fused, feeds=None, keep=()):
    feeds = feeds or {"x": X}
    g = build()
    g.run_passes()
    t = [n.type for n in g.topo_order()]
    assert fused not in t, t
    for k in keep:
        assert k in t, t
    r = build()
    r.run_passes(disabled=FUSIONS)
    np.testing.assert_allclose(run_ir(g, feeds)["y"], run_ir(r, feeds)["y"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- Clamp

@pytest.mark.parametrize("order", ["minmax", "maxmin"])
def test_min_max_pair_becomes_clamp(order):
    def body(g, x, op):
        if order == "minmax":
            return op("Minimum", op("Maximum", x, c(g, -1.5)), c(g, [2.0]), name="root")
        return op("Maximum", op("Minimum", c(g, 2.0), x), c(g, -1.5), name="root")
    g = check(graph(body), "Clamp", lambda x: np.clip(x, -1.5, 2.0), gone=("Minimum", "Maximum"))
    cl = [n for n in g.topo_order() if n.type == "Clamp"][0]
    assert cl.attrs["min"] == pytest.approx(-1.5) and cl.attrs["max"] == pytest.approx(2.0)


def test_clamp_with_crossed_bounds_or_per_channel_bounds_stays():
    not_fused(graph(lambda g, x, op: op("Minimum", op("Maximum", x, c(g, 3.0)), c(g, 1.0))), "Clamp")
    per_ch = np.linspace(1, 2, 5).astype(np.float32)
    not_fused(graph(lambda g, x, op: op("Minimum", op("Maximum", x, c(g, 0.0)), c(g, per_ch))), "Clamp",
              keep=["Minimum"])


def test_clamp_needs_both_ends_on_the_same_tensor():
    def body(g, x, op):
        m = op("Maximum", x, c(g, 0.0))
        return op("Add", op("Minimum", m, c(g, 1.0)), m)      # the Maximum is used elsewhere too
    not_fused(graph(body), "Clamp", keep=["Maximum"])


def test_integer_min_max_stay():
    feeds = {"x": rng.integers(-5, 5, SHAPE).astype(np.int32)}
    not_fused(graph(lambda g, x, op: op("Minimum", op("Maximum", x, c(g, -1, np.int32)), c(g, 2, np.int32)), "i32"),
              "Clamp", feeds=feeds)


# ---------------------------------------------------------------- HardSigmoid

def test_keras2_hard_sigmoid_becomes_hard_sigmoid():
    # Keras 2: clip(0.2 * x + 0.5, 0, 1)
    body = lambda g, x, op: op("Minimum", op("Maximum", op("Add", op("Multiply", x, c(g, 0.2)), c(g, 0.5)),
                                             c(g, 0.0)), c(g, 1.0), name="root")
    check(graph(body), "HardSigmoid", lambda x: np.clip(0.2 * x + 0.5, 0, 1), gone=("Multiply", "Clamp"))


def test_sixth_slope_becomes_hsigmoid():
    # Clamp((x + 3) / 6, 0, 1) is HSigmoid
    body = lambda g, x, op: g.op("Clamp", [op("Divide", op("Add", x, c(g, 3.0)), c(g, 6.0))],
                                 {"min": 0.0, "max": 1.0}, name="root").output(0)
    check(graph(body), "HSigmoid", lambda x: np.clip(x + 3, 0, 6) / 6)


def test_clamp_to_other_bounds_is_not_hard_sigmoid():
    body = lambda g, x, op: g.op("Clamp", [op("Add", op("Multiply", x, c(g, 0.2)), c(g, 0.5))],
                                 {"min": 0.0, "max": 2.0}).output(0)
    not_fused(graph(body), "HardSigmoid", keep=["Clamp"])


# ---------------------------------------------------------------- PReLU

ALPHA = np.array([0.1, 0.2, 0.3], np.float32).reshape(3, 1, 1)     # per channel of [N, C, H, W]


def np_prelu(x, a=ALPHA):
    return np.where(x >= 0, x, x * a)


@pytest.mark.parametrize("form", ["keras", "sub", "min", "neg", "select", "max"])
def test_prelu_decompositions_become_prelu(form):
    a = ALPHA if form != "max" else np.float32(0.25)

    def body(g, x, op):
        relu_neg = op("ReLU", op("Negative", x))
        if form == "keras":          # relu(x) + (-alpha) * relu(-x), -alpha folded
            return op("Add", op("ReLU", x), op("Multiply", c(g, -a), relu_neg), name="root")
        if form == "sub":
            return op("Subtract", op("ReLU", x), op("Multiply", relu_neg, c(g, a)), name="root")
        if form == "min":
            return op("Add", op("Maximum", x, c(g, 0.0)), op("Multiply", op("Minimum", x, c(g, 0.0)), c(g, a)),
                      name="root")
        if form == "neg":
            return op("Add", op("ReLU", x), op("Negative", op("Multiply", c(g, a), relu_neg)), name="root")
        if form == "select":
            return g.op("Select", [op("Greater", x, c(g, 0.0)), x, op("Multiply", x, c(g, a))], name="root").output(0)
        return op("Maximum", x, op("Multiply", x, c(g, a)), name="root")
    check(graph(body), "PReLU", lambda x: np_prelu(x, a), gone=("ReLU", "Negative", "Multiply"))


def test_prelu_of_two_different_tensors_stays():
    def build():
        g = _core.Graph("p2")
        x = g.parameter("x", "f32", SHAPE).output(0)
        z = g.parameter("z", "f32", SHAPE).output(0)
        y = g.op("Add", [g.op("ReLU", [x]).output(0),
                         g.op("Multiply", [c(g, -ALPHA), g.op("ReLU", [g.op("Negative", [z]).output(0)]).output(0)]).output(0)]).output(0)
        y.add_names(["y"])
        g.result(y, "y")
        return g
    not_fused(build, "PReLU", feeds={"x": X, "z": -X})


def test_max_with_slope_above_one_is_not_leaky_relu():
    not_fused(graph(lambda g, x, op: op("Maximum", x, op("Multiply", x, c(g, 1.5)))), "PReLU", keep=["Maximum"])


def test_select_on_another_condition_is_not_prelu():
    body = lambda g, x, op: g.op("Select", [op("Less", x, c(g, 0.0)), x, op("Multiply", x, c(g, 0.1))]).output(0)
    not_fused(graph(body), "PReLU", keep=["Select"])
