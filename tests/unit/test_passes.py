"""Core passes: constant folding (shape sub-graphs kept unless static_shape), dead code, pipeline."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import run_ir


def types(g):
    return [n.type for n in g.topo_order()]


def test_constant_subgraph_folds_to_one_const():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2, 3])
    a = g.constant(np.ones((2, 3), np.float32), name="a")
    b = g.constant(np.full((2, 3), 2.0, np.float32), name="b")
    s = g.op("Add", [a.output(0), b.output(0)], name="sum")
    m = g.op("Multiply", [s.output(0), s.output(0)], name="sq")
    y = g.op("Add", [x.output(0), m.output(0)], name="y")
    g.result(y.output(0))
    g.run_pass("ConstantFolding")
    assert types(g) == ["Parameter", "Const", "Add", "Result"]
    folded = [n for n in g.topo_order() if n.type == "Const"][0]
    assert folded.name == "sq"
    np.testing.assert_array_equal(folded.value, np.full((2, 3), 9.0, np.float32))
    out = run_ir(g, {"x": np.zeros((2, 3), np.float32)})
    np.testing.assert_array_equal(out[0], np.full((2, 3), 9.0, np.float32))


def _shape_graph():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2, 3, 4])
    x.output(0).add_names(["x"])
    sh = g.op("ShapeOf", [x.output(0)], {"output_type": "i64"})
    idx = g.constant(np.array([0], np.int64))
    ax = g.constant(np.array(0, np.int64))
    first = g.op("Gather", [sh.output(0), idx.output(0), ax.output(0)], {"batch_dims": 0})
    rest = g.constant(np.array([-1], np.int64))
    target = g.op("Concat", [first.output(0), rest.output(0)], {"axis": 0})
    r = g.op("Reshape", [x.output(0), target.output(0)], {"special_zero": False})
    g.result(r.output(0))
    return g, r


def test_shape_subgraph_is_kept_by_default_but_shapes_are_known():
    g, r = _shape_graph()
    assert r.output(0).shape == [2, 12]
    g.run_passes()
    assert "ShapeOf" in types(g)


def test_static_shape_folds_the_shape_subgraph():
    g, r = _shape_graph()
    g.run_passes(static_shape=True)
    assert "ShapeOf" not in types(g) and "Gather" not in types(g)
    out = run_ir(g, {"x": np.arange(24, dtype=np.float32).reshape(2, 3, 4)})
    assert out[0].shape == (2, 12)


@pytest.mark.parametrize("marked", [True, False])
def test_decompression_converts_are_not_folded(marked):
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [4])
    w = g.constant(np.array([1, -2, 3, 4], np.int8), name="w")
    cv = g.op("Convert", [w.output(0)], {"destination_type": "f32"}, name="w_f32")
    if marked:
        cv.add_rt_info("decompression")
    g.result(g.op("Multiply", [x.output(0), cv.output(0)]).output(0))
    g.run_passes()
    assert ("Convert" in types(g)) == marked
    out = run_ir(g, {"x": np.ones(4, np.float32)})
    np.testing.assert_array_equal(out[0], [1, -2, 3, 4])


def test_dead_code_is_removed_and_parameters_kept():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [1])
    unused = g.parameter("unused", "f32", [1])
    g.op("ReLU", [x.output(0)], name="dead")
    g.result(x.output(0))
    g.run_passes()
    assert types(g) == ["Parameter", "Parameter", "Result"]
    assert [p.name for p in g.parameters] == ["x", "unused"]


def test_pipeline_order_and_unknown_pass():
    names = _core.passes()
    assert names.index("ConstantFolding") < names.index("SwishFusion") < names.index("ConstantFoldingFinal")
    g = _core.Graph("t")
    with pytest.raises(IrconvError, match="unknown pass"):
        g.run_passes(disabled=["NoSuchPass"])
