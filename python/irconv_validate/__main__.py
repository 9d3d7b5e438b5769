"""The oracle side of `irconv --validate`, run as its own process (`python -m irconv_validate`):
it runs the written IR on OpenVINO and the source model on its framework with the same random
inputs and prints a JSON report. It is a separate package so that the `irconv` package itself never
imports openvino or a framework (DESIGN.md invariant 1): the converter's process stays free of them.

stdin: {"framework", "source", "xml", "inputs": [{"names", "shape", "element_type"}], "rtol", "atol"}
stdout: {"ok": bool, "lines": [...]} or {"error": "..."}
"""
import json
import sys

import numpy as np

_NP = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "i64": np.int64, "i32": np.int32,
       "i8": np.int8, "u8": np.uint8, "boolean": np.bool_}
_REFERENCE = {"onnx": "onnxruntime", "tf": "tensorflow", "mxnet": "mxnet", "caffe": "caffe", "kaldi": "kaldi"}


def _inputs(ports, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    for i, p in enumerate(ports):
        shape = [1 if d is None or d < 0 else d for d in (p["shape"] or [])]
        dt = _NP.get(p["element_type"])
        if dt is None:
            raise RuntimeError("cannot make random data of type %s for input %s" % (p["element_type"], p["names"]))
        if dt == np.bool_:
            a = rng.integers(0, 2, shape).astype(bool)
        elif np.issubdtype(dt, np.integer):
            a = rng.integers(0, 4, shape).astype(dt)
        else:
            a = rng.standard_normal(shape).astype(dt)
        feeds[p["names"][0] if p["names"] else i] = a
    return feeds


def _run_openvino(xml, feeds):
    import openvino as ov  # noqa: PLC0415
    core = ov.Core()
    cm = core.compile_model(core.read_model(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    res = cm.create_infer_request().infer(feeds)
    return [np.asarray(res[o]) for o in cm.outputs], [o.get_names() for o in cm.outputs]


def _run_onnx(path, feeds, out_names):
    import onnxruntime as ort  # noqa: PLC0415
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    want = []
    for ns in out_names:
        hit = [n for n in names if n in ns]
        want.append(hit[0] if hit else None)
    run = [w for w in want if w]
    res = dict(zip(run, s.run(run, feeds)))
    return [res.get(w) for w in want]


def compare(req):
    """Returns (ok, lines). Raises RuntimeError with a one-line reason when it cannot validate."""
    if req["framework"] != "onnx":
        raise RuntimeError("validation of %s models needs %s, which irconv cannot drive yet"
                           % (req["framework"], _REFERENCE.get(req["framework"])))
    rtol, atol = req["rtol"], req["atol"]
    feeds = _inputs(req["inputs"])
    got, names = _run_openvino(req["xml"], feeds)
    ref = _run_onnx(req["source"], feeds, names)
    ok, lines = True, []
    for g, r, ns in zip(got, ref, names):
        label = sorted(ns)[0] if ns else "?"
        if r is None:
            lines.append("%s: no matching output in the source model" % label)
            continue
        r = np.asarray(r)
        if g.shape != r.shape:
            ok = False
            lines.append("%s: shape %s vs %s" % (label, g.shape, r.shape))
            continue
        gf, rf = g.astype(np.float64), r.astype(np.float64)
        diff = np.abs(gf - rf)
        fin = np.isfinite(diff)
        mabs = float(diff[fin].max()) if fin.any() else 0.0
        mrel = float((diff[fin] / np.maximum(np.abs(rf[fin]), 1e-12)).max()) if fin.any() else 0.0
        good = bool(np.allclose(gf, rf, rtol=rtol, atol=atol, equal_nan=True))
        ok &= good
        lines.append("%s: max abs diff %.3g, max rel diff %.3g %s" % (label, mabs, mrel, "ok" if good else "OUT OF TOLERANCE"))
    return ok, lines


def main():
    req = json.load(sys.stdin)
    try:
        ok, lines = compare(req)
        out = {"ok": ok, "lines": lines}
    except RuntimeError as e:
        out = {"error": str(e)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
