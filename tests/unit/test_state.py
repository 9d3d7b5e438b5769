"""Stateful ops: ReadValue/Assign pairs carry a variable between inference calls; Assign nodes are
graph sinks (kept without a Result, written to the IR, seen by OpenVINO as the model's sinks)."""
import os
import tempfile

import numpy as np
import pytest

from irconv import _core
from tests.helpers import compile_xml, save_ir


def _accumulator(init_const=True, version=""):
    g = _core.Graph("acc")
    x = g.parameter("x", "f32", [2, 3])
    inputs = [g.constant(np.full((2, 3), 0.5, np.float32), name="init").output(0)] if init_const else []
    attrs = {"variable_id": "var"}
    if not init_const:
        attrs.update(variable_type="f32", variable_shape=[2, 3])
    rv = g.op("ReadValue", inputs, attrs, name="rv", version=version)
    add = g.op("Add", [rv.output(0), x.output(0)], {"auto_broadcast": "numpy"}, name="sum")
    asg = g.op("Assign", [add.output(0)], {"variable_id": "var"}, name="store")
    g.result(add.output(0), name="out")
    return g, rv, asg


def test_assign_is_a_sink_and_survives_dead_code_elimination():
    g, rv, asg = _accumulator()
    assert [n.name for n in g.sinks] == ["store"]
    assert rv.attrs == {"variable_id": "var", "variable_type": "f32", "variable_shape": "2,3"}
    assert asg.output(0).shape == [2, 3] and rv.version == "opset6" and asg.version == "opset6"
    g.run_passes()
    order = [n.type for n in g.topo_order()]
    assert order == ["Parameter", "Const", "ReadValue", "Add", "Assign", "Result"]
    # a sink only reached through the sink is kept too
    g2 = _core.Graph("t")
    x = g2.parameter("x", "f32", [2])
    g2.op("ReadValue", [], {"variable_id": "v", "variable_type": "f32", "variable_shape": "2"}, name="r")
    neg = g2.op("Negative", [x.output(0)], name="neg")
    g2.op("Assign", [neg.output(0)], {"variable_id": "v"})
    g2.result(x.output(0))
    g2.remove_dead()
    assert [n.type for n in g2.topo_order()] == ["Parameter", "Negative", "Assign", "Result"]


@pytest.mark.parametrize("init_const", [True, False])
def test_state_carried_over_infer_calls(init_const):
    g, _, _ = _accumulator(init_const)
    with tempfile.TemporaryDirectory() as d:
        xml = save_ir(g, d)
        text = open(xml).read()
        assert 'type="Assign" version="opset6"' in text and 'variable_shape="2,3"' in text
        m, cm = compile_xml(xml)
        assert len(m.get_sinks()) == 1 and len(m.get_variables()) == 1
        req = cm.create_infer_request()
        rng = np.random.default_rng(0)
        init = np.full((2, 3), 0.5 if init_const else 0.0, np.float32)
        state = init.copy()
        for _ in range(3):
            x = rng.standard_normal((2, 3)).astype(np.float32)
            state = state + x
            got = req.infer({0: x})[0]
            np.testing.assert_allclose(got, state, rtol=1e-6)
        req.reset_state()
        x = np.ones((2, 3), np.float32)
        np.testing.assert_allclose(req.infer({0: x})[0], init + x, rtol=1e-6)


def test_read_value_opset3_and_dynamic_variable_shape():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [-1, 4])
    rv = g.op("ReadValue", [x.output(0)], {"variable_id": "v3"}, version="opset3")
    assert rv.version == "opset3" and rv.output(0).shape == [-1, 4]
    g.op("Assign", [rv.output(0)], {"variable_id": "v3"}, version="opset3")
    g.result(rv.output(0))
    rv6 = g.op("ReadValue", [x.output(0)], {"variable_id": "v6", "variable_shape": "?,4"})
    assert rv6.output(0).shape == [-1, 4] and rv6.attrs["variable_shape"] == "?,4"
    g.op("Assign", [rv6.output(0)], {"variable_id": "v6"})
    g.result(rv6.output(0))
    with tempfile.TemporaryDirectory() as d:
        m, cm = compile_xml(save_ir(g, d))
        assert len(m.get_sinks()) == 2
        req = cm.create_infer_request()
        x1 = np.arange(8, dtype=np.float32).reshape(2, 4)
        r = req.infer({0: x1})
        np.testing.assert_array_equal(r[0], x1)
        np.testing.assert_array_equal(r[1], x1)


def test_errors_name_the_node():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2])
    with pytest.raises(_core.IrconvError, match="no ReadValue declares variable 'nope'"):
        g.op("Assign", [x.output(0)], {"variable_id": "nope"}, name="a")
    with pytest.raises(_core.IrconvError, match="variable_type is required"):
        g.op("ReadValue", [], {"variable_id": "v"}, name="r")
    g.op("ReadValue", [], {"variable_id": "w", "variable_type": "i32", "variable_shape": [2]})
    with pytest.raises(_core.IrconvError, match="writes f32 into variable 'w'"):
        g.op("Assign", [x.output(0)], {"variable_id": "w"}, name="a2")
    with pytest.raises(_core.IrconvError, match="does not fit variable_shape"):
        g.op("ReadValue", [x.output(0)], {"variable_id": "z", "variable_shape": [3]}, name="r2")
