"""CommonSubexpressionElimination, RedundantOpElimination and ConstDeduplication
(cpp/src/passes/eliminations.cpp): the rewritten graph computes the same on OpenVINO, fewer layers;
ops that are not redundant stay."""
import numpy as np
import pytest

from helpers import run_ir

from irconv import _core

NOT_FUSIONS = {"DeadCodeElimination", "ConstantFolding", "ConstantFoldingFinal", "DeadCodeEliminationFinal"}
FUSIONS = [p for p in _core.passes() if p not in NOT_FUSIONS]
rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4)).astype(np.float32)


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def run_both(body, shape=(2, 3, 4), et="f32", feeds=None, disabled=()):
    def build():
        g = _core.Graph("el")
        x = g.parameter("x", et, list(shape)).output(0)
        outs = body(g, x)
        for i, o in enumerate(outs if isinstance(outs, list) else [outs]):
            o.add_names(["y%d" % i])
            g.result(o, "y%d" % i)
        return g
    feeds = feeds or {"x": X}
    g = build()
    g.run_passes(disabled=list(disabled))
    r = build()
    r.run_passes(disabled=FUSIONS)
    got, ref = run_ir(g, feeds), run_ir(r, feeds)
    for k in ref:
        if isinstance(k, str):
            np.testing.assert_array_equal(got[k], ref[k])
    return [n.type for n in g.topo_order()], g


def op(g, t, *ins, **attrs):
    return g.op(t, list(ins), attrs or None).output(0)


# ---------------------------------------------------------------- CSE / constants

def test_repeated_computations_are_computed_once():
    def body(g, x):
        a = op(g, "Sigmoid", op(g, "Add", x, c(g, 1.0)))
        b = op(g, "Sigmoid", op(g, "Add", x, c(g, 1.0)))     # same op on the same inputs (equal constants)
        return op(g, "Multiply", a, b)
    t, _ = run_both(body)
    assert t.count("Sigmoid") == 1 and t.count("Add") == 1


def test_ops_with_other_attributes_or_inputs_stay():
    def body(g, x):
        a = op(g, "ReduceSum", x, c(g, [1], np.int64), keep_dims=True)
        b = op(g, "ReduceSum", x, c(g, [1], np.int64), keep_dims=False)
        d = op(g, "ReduceSum", x, c(g, [2], np.int64), keep_dims=True)
        return [a, b, d]
    t, _ = run_both(body)
    assert t.count("ReduceSum") == 3


def test_random_ops_are_never_merged():
    def body(g, x):
        shape = c(g, [2, 3, 4], np.int64)
        r1 = g.op("RandomUniform", [shape, c(g, 0.0), c(g, 1.0)], {"output_type": "f32", "global_seed": 1,
                                                                   "op_seed": 2}).output(0)
        r2 = g.op("RandomUniform", [shape, c(g, 0.0), c(g, 1.0)], {"output_type": "f32", "global_seed": 1,
                                                                   "op_seed": 2}).output(0)
        return [op(g, "Add", x, r1), op(g, "Add", x, r2)]
    g = _core.Graph("rnd")
    x = g.parameter("x", "f32", [2, 3, 4]).output(0)
    for i, o in enumerate(body(g, x)):
        g.result(o, "y%d" % i)
    g.run_passes()
    assert [n.type for n in g.topo_order()].count("RandomUniform") == 2


def test_identical_small_constants_are_stored_once():
    def body(g, x):
        return [op(g, "Add", x, c(g, [1.0, 2.0, 3.0, 4.0])), op(g, "Multiply", x, c(g, [1.0, 2.0, 3.0, 4.0])),
                op(g, "Subtract", x, c(g, [1.0, 2.0, 3.0, 5.0]))]
    t, _ = run_both(body)
    assert t.count("Const") == 2


# ---------------------------------------------------------------- RedundantOpElimination

@pytest.mark.parametrize("kind,value", [("Multiply", 1.0), ("Divide", 1.0), ("Add", 0.0), ("Subtract", 0.0),
                                        ("Power", 1.0)])
def test_neutral_constants_are_dropped(kind, value):
    t, _ = run_both(lambda g, x: op(g, "Exp", op(g, kind, x, c(g, np.full((3, 4), value)))))
    assert kind not in t


def test_a_neutral_constant_that_broadcasts_stays():
    t, _ = run_both(lambda g, x: op(g, "Multiply", x, c(g, np.ones((2, 2, 3, 4)))))
    assert "Multiply" in t


def test_zero_minus_x_is_not_x():
    t, _ = run_both(lambda g, x: op(g, "Subtract", c(g, 0.0), x))
    assert "Subtract" in t


def test_broadcast_before_an_elementwise_op_is_dropped():
    def body(g, x):
        n = op(g, "ReduceL2", x, c(g, [-1], np.int64), keep_dims=True)
        return op(g, "Divide", x, g.op("Broadcast", [n, c(g, [2, 3, 4], np.int64)], {"mode": "bidirectional"}).output(0))
    t, _ = run_both(body, disabled=["NormalizeL2Fusion"])
    assert "Broadcast" not in t


def test_broadcast_that_grows_the_result_stays():
    def body(g, x):
        s = op(g, "ReduceSum", x, c(g, [2], np.int64), keep_dims=True)          # [2, 3, 1]
        return op(g, "Add", x, g.op("Broadcast", [s, c(g, [5, 2, 3, 4], np.int64)], {"mode": "numpy"}).output(0))
    t, _ = run_both(body)
    assert "Broadcast" in t


def test_convert_to_the_same_type_is_dropped_but_a_real_one_stays():
    t, _ = run_both(lambda g, x: [op(g, "Exp", op(g, "Convert", x, destination_type="f32")),
                                  op(g, "Convert", op(g, "Convert", x, destination_type="f16"), destination_type="f32")])
    assert t.count("Convert") == 2


def test_no_op_reshapes_and_reshape_chains():
    def body(g, x):
        a = op(g, "Reshape", x, c(g, [2, 3, 4], np.int64), special_zero=False)                  # no-op
        b = op(g, "Reshape", op(g, "Unsqueeze", x, c(g, [0], np.int64)), c(g, [6, 4], np.int64), special_zero=False)
        d = op(g, "Reshape", op(g, "Reshape", x, c(g, [24], np.int64), special_zero=False), c(g, [4, 6], np.int64),
               special_zero=False)
        return [op(g, "Exp", a), b, d]
    t, g = run_both(body)
    assert "Unsqueeze" not in t and t.count("Reshape") == 2
    for n in g.topo_order():
        if n.type == "Reshape":
            assert n.inputs[0].node.type == "Parameter"


def test_reshape_copying_dims_of_the_inner_reshape_stays():
    def body(g, x):
        inner = op(g, "Reshape", x, c(g, [6, 4], np.int64), special_zero=False)
        return op(g, "Reshape", inner, c(g, [0, 2, 2], np.int64), special_zero=True)   # 0 = inner's dim 0 (6)
    t, _ = run_both(body)
    assert t.count("Reshape") == 2


def test_eliminations_can_be_disabled():
    g = _core.Graph("off")
    x = g.parameter("x", "f32", [2, 3]).output(0)
    g.result(g.op("Multiply", [x, c(g, 1.0)]).output(0), "y")
    g.run_passes(disabled=["RedundantOpElimination"])
    assert "Multiply" in [n.type for n in g.topo_order()]
