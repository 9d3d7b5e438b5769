"""Helpers for the ONNX frontend tests: build a model with onnx.helper, convert it with the
frontend, run the IR on OpenVINO and compare with onnxruntime."""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from helpers import read_ir, run_ir
from irconv.frontends.onnx import convert

NP_TO_ONNX = {np.dtype(k): v for k, v in {
    np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16, np.float64: TensorProto.DOUBLE,
    np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8, np.int16: TensorProto.INT16,
    np.int32: TensorProto.INT32, np.int64: TensorProto.INT64, np.bool_: TensorProto.BOOL}.items()}


def rng(seed=0):
    return np.random.RandomState(seed)


def value_info(name, dtype, shape):
    et = NP_TO_ONNX[np.dtype(dtype)] if not isinstance(dtype, int) else dtype
    return helper.make_tensor_value_info(name, et, shape)


def make_model(nodes, inputs, outputs, inits=None, opset=17, ir_version=None, name="test"):
    """inputs: {name: (dtype, shape)} or {name: array} (shape/dtype taken from the array);
    outputs: names; inits: {name: array}."""
    ins = []
    for n, spec in inputs.items():
        if isinstance(spec, np.ndarray):
            ins.append(value_info(n, spec.dtype, list(spec.shape)))
        else:
            ins.append(value_info(n, spec[0], spec[1]))
    outs = [helper.make_empty_tensor_value_info(o) if isinstance(o, str) else o for o in outputs]
    tensors = [numpy_helper.from_array(np.asarray(v), n) for n, v in (inits or {}).items()]
    g = helper.make_graph(nodes, name, ins, outs, tensors)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir_version or (8 if opset <= 18 else 9 if opset <= 20 else 10)
    return m


def ort_run(model, feeds):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(None, feeds)))


def to_graph(model, tmp_path, options=None, passes=True):
    path = os.path.join(str(tmp_path), "model.onnx")
    onnx.save(model, path)
    g = convert(path, options or {})
    if passes:
        g.run_passes()
    return g


def check(model, feeds, tmp_path, rtol=1e-4, atol=1e-5, outputs=None):
    """Converts, runs on OpenVINO and compares every (or the listed) output with onnxruntime."""
    ref = ort_run(model, feeds)
    g = to_graph(model, tmp_path)
    got = run_ir(g, feeds)
    for name in outputs or ref:
        assert name in got, "output %s missing from the IR (has %s)" % (name, [k for k in got if isinstance(k, str)])
        r, o = ref[name], got[name]
        assert o.shape == r.shape, "%s: shape %s, onnxruntime %s" % (name, o.shape, r.shape)
        if r.dtype.kind in "biu":
            np.testing.assert_array_equal(o.astype(r.dtype), r, err_msg=name)
        else:
            np.testing.assert_allclose(o.astype(np.float64), r.astype(np.float64), rtol=rtol, atol=atol,
                                       err_msg=name, equal_nan=True)
    return g, got, ref


def single(op, inputs, attrs=None, n_out=1, opset=17, inits=None, input_names=None):
    """A model of one node whose inputs are the graph inputs (arrays) and initializers."""
    names = input_names or list(inputs) + list(inits or {})
    outs = ["y"] if n_out == 1 else ["y%d" % i for i in range(n_out)]
    node = helper.make_node(op, names, outs, name="n_" + op.lower(), **(attrs or {}))
    return make_model([node], inputs, outs, inits, opset=opset)


def ir_ops(graph):
    """{type: count} of the graph after passes (what the IR holds)."""
    counts = {}
    for n in graph.topo_order():
        counts[n.type] = counts.get(n.type, 0) + 1
    return counts


__all__ = ["check", "single", "make_model", "ort_run", "to_graph", "rng", "ir_ops", "read_ir", "helper",
           "TensorProto", "numpy_helper", "onnx", "np"]
