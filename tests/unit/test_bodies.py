"""Ops with bodies (Loop-5, TensorIterator-1, If-8): port maps, shape inference from the bodies,
IR <body>/<port_map>/<back_edges> as OpenVINO writes them, passes inside bodies, run on OpenVINO."""
import os
import tempfile

import numpy as np
import pytest

from irconv import _core
from tests.helpers import compile_xml, run_ir, save_ir


def _c(g, v, name=""):
    return g.constant(np.asarray(v), name=name).output(0)


def _loop(trip_count, stop_at, cond_param=False, x_shape=(2, 3)):
    """y_{k+1} = y_k + k (k = iteration), scan of y; body condition k < stop_at."""
    g = _core.Graph("loop")
    x = g.parameter("x", "f32", list(x_shape))
    c = g.parameter("c", "boolean", []) if cond_param else None
    body = _core.Graph("body")
    it = body.parameter("it", "i64", [])
    y = body.parameter("y", "f32", None)  # shape set by the Loop from its outer input
    k = body.op("Convert", [it.output(0)], {"destination_type": "f32"})
    # a constant sub-graph inside the body (folded by ConstantFolding)
    one = body.op("Add", [_c(body, np.float32(0.5)), _c(body, np.float32(0.5))])
    y1 = body.op("Add", [y.output(0), body.op("Multiply", [k.output(0), one.output(0)]).output(0)], name="y_next")
    cond = body.op("Less", [it.output(0), _c(body, np.int64(stop_at))])
    r_cond = body.result(cond.output(0), name="cond_out")
    r_y = body.result(y1.output(0), name="y_out")
    r_s = body.result(body.op("Unsqueeze", [y1.output(0), _c(body, np.array([0], np.int64))]).output(0), name="scan")
    trip = _c(g, np.int64(trip_count), "trip")
    init = c.output(0) if c is not None else _c(g, np.bool_(True), "cond")
    loop = g.op_with_bodies(
        "Loop", [trip, init, x.output(0)], [body],
        input_map=[{"outer": 2, "param": y, "back_edge": r_y}, {"param": it, "purpose": "current_iteration"}],
        output_map=[{"outer": 0, "result": r_y}, {"outer": 1, "result": r_s, "axis": 0},
                    {"result": r_cond, "purpose": "execution_condition"}],
        name="loop")
    g.result(loop.output(0), name="last")
    g.result(loop.output(1), name="all")
    return g, loop, body


def _loop_ref(x, trip, stop_at, cond=True):
    y, scan, k = x.copy(), [], 0
    while cond and k < trip:
        y = y + np.float32(k)
        scan.append(y)
        cond = k < stop_at
        k += 1
    return y, np.stack(scan)


def test_loop_shapes_and_port_map():
    g, loop, body = _loop(5, 100)
    assert loop.version == "opset5" and loop.output(0).shape == [2, 3]
    assert loop.output(1).shape == [-1, 2, 3]  # the body condition is computed: iterations unknown
    assert body.parameters[1].output(0).shape == [2, 3]
    assert loop.input_map == [{"outer": 2, "body": 0, "param": 1, "back_edge": 1},
                              {"outer": -1, "body": 0, "param": 0, "purpose": "current_iteration"}]
    assert loop.output_map[1]["axis"] == 0 and loop.output_map[2]["purpose"] == "execution_condition"
    assert loop.bodies[0].name == "body" and body.parent.name == "loop"


def test_loop_trip_count_and_condition_on_openvino():
    for trip, stop_at in [(5, 100), (5, 2), (1, 0)]:
        g, loop, _ = _loop(trip, stop_at)
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        got = run_ir(g, {"x": x})
        last, allv = _loop_ref(x, trip, stop_at)
        np.testing.assert_allclose(got[0], last)
        np.testing.assert_allclose(got[1], allv)


def test_loop_runtime_condition_and_ir_text():
    g, loop, _ = _loop(4, 100, cond_param=True)
    assert loop.output(1).shape == [-1, 2, 3]  # initial condition unknown
    g.run_passes()
    assert [n.type for n in loop.bodies[0].topo_order()].count("Const") == 2 + 1  # 0.5+0.5 folded to one Const
    with tempfile.TemporaryDirectory() as d:
        xml = save_ir(g, d)
        text = open(xml).read()
        assert '<port_map>' in text and '<back_edges>' in text and '<body>' in text
        assert 'purpose="current_iteration"' in text and 'purpose="execution_condition"' in text
        m, cm = compile_xml(xml)
        x = np.ones((2, 3), np.float32)
        for c in (True, False):
            r = cm.create_infer_request().infer({0: x, 1: np.array(c)})
            last, allv = _loop_ref(x, 4, 100, c) if c else (x, None)
            np.testing.assert_allclose(r[0], last)
            if c:
                np.testing.assert_allclose(r[1], allv)


def test_loop_merged_input_with_changing_shape_becomes_dynamic():
    g = _core.Graph("grow")
    x = g.parameter("x", "f32", [1, 2])
    body = _core.Graph("b")
    acc = body.parameter("acc", "f32", [1, 2])
    nxt = body.op("Concat", [acc.output(0), acc.output(0)], {"axis": 0})
    rc = body.result(_c(body, np.bool_(True)))
    ra = body.result(nxt.output(0))
    rs = body.result(body.op("Unsqueeze", [acc.output(0), _c(body, np.array([0], np.int64))]).output(0))
    loop = g.op_with_bodies("Loop", [_c(g, np.int64(3)), _c(g, np.bool_(True)), x.output(0)], [body],
                            [{"outer": 2, "param": acc, "back_edge": ra}],
                            [{"outer": 0, "result": ra}, {"result": rc, "purpose": "execution_condition"},
                             {"outer": 1, "result": rs, "axis": 1}])
    assert acc.output(0).shape == [-1, 2] and loop.output(0).shape == [-1, 2]
    assert loop.output(1).shape == [1, -1, 2]  # 3 iterations known, but the body value's axis is dynamic
    g.result(loop.output(0))
    got = run_ir(g, {"x": np.array([[1, 2]], np.float32)})
    np.testing.assert_allclose(got[0], np.tile(np.array([[1, 2]], np.float32), (8, 1)))
    # constant body condition and trip count: the iteration count is known
    g2, loop2, _ = _loop(5, 100)
    b2 = _core.Graph("b2")
    p2 = b2.parameter("p", "f32", [3])
    r2c = b2.result(_c(b2, np.bool_(True)))
    r2 = b2.result(b2.op("Unsqueeze", [p2.output(0), _c(b2, np.array([0], np.int64))]).output(0))
    l2 = g2.op_with_bodies("Loop", [_c(g2, np.int64(5)), _c(g2, np.bool_(True)), g2.parameter("z", "f32", [3]).output(0)],
                           [b2], [{"outer": 2, "param": p2}],
                           [{"outer": 0, "result": r2, "axis": 0}, {"result": r2c, "purpose": "execution_condition"}])
    assert l2.output(0).shape == [5, 3]


def _ti(reverse=False, fp16=False):
    """h_t = tanh(x_t @ W + h_{t-1} @ R); outputs: all h (concat along axis 1) and the last h."""
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 4)).astype(np.float32)
    R = rng.standard_normal((4, 4)).astype(np.float32) * 0.5
    g = _core.Graph("ti")
    X = g.parameter("X", "f32", [2, 5, 3])
    H0 = g.parameter("H0", "f32", [2, 4])
    body = _core.Graph("cell")
    xt = body.parameter("xt", "f32", [2, 1, 3])
    h = body.parameter("h", "f32", [2, 4])
    x2 = body.op("Squeeze", [xt.output(0), _c(body, np.array([1], np.int64))])
    a = body.op("MatMul", [x2.output(0), _c(body, W)], {"transpose_a": False, "transpose_b": False})
    b = body.op("MatMul", [h.output(0), _c(body, R)], {"transpose_a": False, "transpose_b": False})
    hn = body.op("Tanh", [body.op("Add", [a.output(0), b.output(0)]).output(0)])
    r_h = body.result(hn.output(0))
    r_seq = body.result(body.op("Unsqueeze", [hn.output(0), _c(body, np.array([1], np.int64))]).output(0))
    sl = {"axis": 1, "start": -1, "stride": -1, "end": 0} if reverse else {"axis": 1}
    ti = g.op_with_bodies("TensorIterator", [X.output(0), H0.output(0)], [body],
                          [dict(outer=0, param=xt, part_size=1, **sl), {"outer": 1, "param": h, "back_edge": r_h}],
                          [{"outer": 0, "result": r_seq, **sl}, {"outer": 1, "result": r_h}])
    g.result(ti.output(0), name="seq")
    g.result(ti.output(1), name="last")

    def ref(x, h0):
        hs, hh = [], h0
        steps = range(x.shape[1])[::-1] if reverse else range(x.shape[1])
        for t in steps:
            hh = np.tanh(x[:, t] @ W + hh @ R)
            hs.append(hh)
        if reverse:
            hs = hs[::-1]
        return np.stack(hs, 1), hh
    return g, ti, ref


@pytest.mark.parametrize("reverse", [False, True])
def test_tensor_iterator_sliced_input_with_back_edge(reverse):
    g, ti, ref = _ti(reverse)
    assert ti.version == "opset1" and ti.output(0).shape == [2, 5, 4] and ti.output(1).shape == [2, 4]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    h0 = rng.standard_normal((2, 4)).astype(np.float32)
    got = run_ir(g, {"X": x, "H0": h0})
    seq, last = ref(x, h0)
    np.testing.assert_allclose(got[0], seq, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], last, rtol=1e-5, atol=1e-5)


def test_body_constants_share_the_bin_and_fp16_compression():
    g, ti, ref = _ti()
    with tempfile.TemporaryDirectory() as d:
        xml = save_ir(g, d, compress_to_fp16=True)
        text = open(xml).read()
        assert text.count("<body>") == 1 and '_compressed' in text and 'decompression' in text
        x = np.ones((2, 5, 3), np.float32)
        h0 = np.zeros((2, 4), np.float32)
        m, cm = compile_xml(xml)
        got = cm.create_infer_request().infer({0: x, 1: h0})
        seq, last = ref(x, h0)
        np.testing.assert_allclose(got[0], seq, rtol=2e-3, atol=2e-3)


def _if():
    g = _core.Graph("if")
    c = g.parameter("c", "boolean", [])
    x = g.parameter("x", "f32", [2, 3])
    y = g.parameter("y", "f32", [3])
    then_b = _core.Graph("then")
    tx = then_b.parameter("tx", "f32", None)
    ty = then_b.parameter("ty", "f32", None)
    rt = then_b.result(then_b.op("Add", [tx.output(0), ty.output(0)]).output(0))
    rt2 = then_b.result(_c(then_b, np.array([1, 2], np.int64)))
    else_b = _core.Graph("else")
    ex = else_b.parameter("ex", "f32", None)
    re = else_b.result(else_b.op("Multiply", [ex.output(0), _c(else_b, np.float32(2))]).output(0))
    re2 = else_b.result(_c(else_b, np.array([7, 8, 9], np.int64)))
    n = g.op_with_bodies("If", [c.output(0), x.output(0), y.output(0)], [then_b, else_b],
                         [{"outer": 1, "param": tx, "body": 0}, {"outer": 2, "param": ty, "body": 0},
                          {"outer": 1, "param": ex, "body": 1}],
                         [{"outer": 0, "result": rt, "body": 0}, {"outer": 0, "result": re, "body": 1},
                          {"outer": 1, "result": rt2, "body": 0}, {"outer": 1, "result": re2, "body": 1}])
    g.result(n.output(0), name="o0")
    g.result(n.output(1), name="o1")
    return g, n


def test_if_runtime_condition():
    g, n = _if()
    assert n.version == "opset8" and n.output(0).shape == [2, 3] and n.output(1).shape == [-1]
    assert n.output(1).element_type == "i64"
    with tempfile.TemporaryDirectory() as d:
        xml = save_ir(g, d)
        text = open(xml).read()
        assert "<then_body>" in text and "<else_port_map>" in text
        m, cm = compile_xml(xml)
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        y = np.array([1, 2, 3], np.float32)
        for c in (True, False):
            r = cm.create_infer_request().infer({0: np.array(c), 1: x, 2: y})
            np.testing.assert_allclose(r[0], x + y if c else x * 2)
            np.testing.assert_array_equal(r[1], [1, 2] if c else [7, 8, 9])


def test_if_with_known_condition_takes_the_branch_shape():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [4])
    tb, eb = _core.Graph("t"), _core.Graph("e")
    rt = tb.result(_c(tb, np.zeros(2, np.float32)))
    p = eb.parameter("p", "f32", None)
    re = eb.result(p.output(0))
    n = g.op_with_bodies("If", [_c(g, np.bool_(False)), x.output(0)], [tb, eb], [{"outer": 1, "param": p, "body": 1}],
                         [{"outer": 0, "result": rt, "body": 0}, {"outer": 0, "result": re, "body": 1}])
    assert n.output(0).shape == [4]


def test_port_map_errors_name_the_node():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [2])
    b = _core.Graph("b")
    p = b.parameter("p", "f32", [2])
    r = b.result(p.output(0))
    with pytest.raises(_core.IrconvError, match="Loop 'bad'.*execution_condition"):
        g.op_with_bodies("Loop", [_c(g, np.int64(2)), _c(g, np.bool_(True)), x.output(0)], [b],
                         [{"outer": 2, "param": p}], [{"outer": 0, "result": r}], name="bad")
    # the body is free again after the failure, and can be used once only
    ti = g.op_with_bodies("TensorIterator", [x.output(0)], [b], [{"outer": 0, "param": 0, "axis": 0}],
                          [{"outer": 0, "result": 0, "axis": 0}], name="ti")
    assert ti.output(0).shape == [2]
    with pytest.raises(_core.IrconvError, match="already belongs to another node"):
        g.op_with_bodies("TensorIterator", [x.output(0)], [b], [{"outer": 0, "param": 0, "axis": 0}],
                         [{"outer": 0, "result": 0}])
    b2 = _core.Graph("b2")
    q = b2.parameter("q", "f32", [2])
    r2 = b2.result(q.output(0))
    with pytest.raises(_core.IrconvError, match="outer input 0 feeds no body Parameter"):
        g.op_with_bodies("TensorIterator", [x.output(0)], [b2], [], [{"outer": 0, "result": r2}], name="ti2")
