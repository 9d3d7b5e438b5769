"""A CI-sized sample of ONNX's backend node test suite (marker `suite`).

The node cases are generated from the installed onnx package (onnx.backend.test.case.node,
written by onnx.backend.test.cmd_tools.generate_data, as ../shared/tools/onnx_suite.py --generate
does), converted with irconv.convert_model, run on OpenVINO's CPU plugin (f32 precision) and
compared like onnx_suite.py does (shape and dtype equal; bool/int exactly; floats with
allclose(rtol=1e-3, atol=1e-4, equal_nan=True)). Only cases that passed in the last full run
(data/onnx_node_suite_baseline.json) are run: a deterministic sample of them, chosen by a stable
hash of the case name, plus at least one case for every op type that any passing case uses.

    pytest tests/e2e/test_onnx_node_suite.py                        # the sample (~300 cases)
    IRCONV_NODE_SUITE=full pytest tests/e2e/test_onnx_node_suite.py  # every baseline-passing case
    pytest -m "not suite"                                           # everything else

The full suite with a report (convert and infer each case in child processes, all 1,884 cases):

    python ../shared/tools/onnx_suite.py --generate /tmp/onnx_cases
    python ../shared/tools/onnx_suite.py --cases /tmp/onnx_cases --jobs 2 --report report.json \\
        --converter 'python -m irconv --input_model {model} --output_dir {outdir} --compress_to_fp16 False'

and the baseline is refreshed from such a report with

    python tests/e2e/test_onnx_node_suite.py --update-baseline report.json
"""
import argparse
import dataclasses
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.path.join(HERE, "data", "onnx_node_suite_baseline.json")
SAMPLE_PER_MILLE = 150          # hash-chosen share of the passing cases (about 250 of 1,650)
RTOL, ATOL = 1e-3, 1e-4

pytestmark = pytest.mark.suite


def _hash(name):
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:12], 16)


def sample(passing):
    """Deterministic sample of {case: [ops]}: the hash-chosen cases, then for every op type not
    yet covered the passing case with the smallest hash that uses it."""
    chosen = {n for n in passing if _hash(n) % 1000 < SAMPLE_PER_MILLE}
    covered = {op for n in chosen for op in passing[n]}
    for n in sorted(passing, key=_hash):
        missing = set(passing[n]) - covered
        if missing:
            chosen.add(n)
            covered |= set(passing[n])
    return sorted(chosen)


def _load_baseline():
    with open(BASELINE) as f:
        return json.load(f)


def _selected():
    base = _load_baseline()
    passing = base["passing"]
    if os.environ.get("IRCONV_NODE_SUITE", "").lower() == "full":
        return sorted(passing)
    return sample(passing)


# ---------------------------------------------------------------- generating the cases
@pytest.fixture(scope="module")
def cases_dir(tmp_path_factory):
    """Writes the selected node cases (model.onnx + test_data_set_*) into a temporary folder."""
    import onnx.backend.test.case.node as node_test
    import onnx.backend.test.cmd_tools as cmd_tools
    wanted = set(_selected())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # the generators' numpy overflow / divide warnings
        cases = [dataclasses.replace(c, kind="") for c in node_test.collect_testcases() if c.name in wanted]
    out = str(tmp_path_factory.mktemp("onnx_node_cases"))
    saved = cmd_tools.model_test.collect_testcases
    cmd_tools.model_test.collect_testcases = lambda: cases
    try:
        cmd_tools.generate_data(argparse.Namespace(output=out))
    finally:
        cmd_tools.model_test.collect_testcases = saved
    return out


# ---------------------------------------------------------------- feeding / reading OpenVINO tensors
# ml_dtypes arrays (ONNX types numpy lacks) <-> OpenVINO element types: (type, bits, signed)
_ML_TO_OV = {"bfloat16": ("bf16", 16, False), "float8_e4m3fn": ("f8e4m3", 8, False),
             "float8_e5m2": ("f8e5m2", 8, False), "float8_e8m0fnu": ("f8e8m0", 8, False),
             "int4": ("i4", 4, True), "uint4": ("u4", 4, False), "float4_e2m1fn": ("f4e2m1", 4, False),
             "uint2": ("u2", 2, False)}


def _as_feed(arr):
    import openvino as ov
    arr = np.asarray(arr)
    if arr.dtype == object:
        return np.array([x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in arr.ravel()],
                        dtype=str).reshape(arr.shape)
    if arr.dtype.name not in _ML_TO_OV:
        return np.require(arr, requirements="C")        # (keeps 0-d arrays 0-d)
    tname, bits, _ = _ML_TO_OV[arr.dtype.name]
    t = ov.Tensor(getattr(ov.Type, tname), list(arr.shape))
    raw = t.data.reshape(-1).view(np.uint8)
    codes = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
    if bits >= 8:
        raw[:] = codes
    else:
        per = 8 // bits
        flat = np.concatenate([codes & ((1 << bits) - 1), np.zeros((-codes.size) % per, np.uint8)]).reshape(-1, per)
        packed = np.zeros(flat.shape[0], np.uint8)
        for k in range(per):
            packed |= flat[:, k] << (k * bits)
        raw[:packed.size] = packed
    return t


def _from_ov(tensor):
    import ml_dtypes
    import openvino as ov
    et, shape = tensor.get_element_type(), tuple(tensor.get_shape())
    if et == ov.Type.string:
        return np.array(tensor.str_data, dtype=object).reshape(shape)
    for name, (tname, bits, signed) in _ML_TO_OV.items():
        if et == getattr(ov.Type, tname):
            mlt = np.dtype(getattr(ml_dtypes, name))
            raw = np.array(tensor.data, copy=True).reshape(-1).view(np.uint8)
            n = int(np.prod(shape)) if shape else 1
            if bits >= 8:
                return raw.view(mlt).reshape(shape)
            per = 8 // bits
            codes = np.stack([(raw >> (k * bits)) & ((1 << bits) - 1) for k in range(per)], axis=1).ravel()[:n]
            if signed:
                vals = codes.astype(np.int8)
                return np.where(vals >= (1 << (bits - 1)), vals - (1 << bits), vals).astype(mlt).reshape(shape)
            return codes.astype(np.uint8).view(mlt).reshape(shape) if mlt.itemsize == 1 else \
                codes.astype(mlt).reshape(shape)
    return np.array(tensor.data, copy=True).reshape(shape)


def _compare(exp, got):
    """None when equal enough (onnx_suite.py's rules), else a short reason."""
    got = np.asarray(got)
    if exp.dtype == object or exp.dtype.kind in "US":
        e = [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in exp.ravel()]
        g = [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in got.ravel()]
        return None if exp.shape == got.shape and e == g else "string values differ"
    if tuple(exp.shape) != tuple(got.shape):
        return "shape %s != expected %s" % (list(got.shape), list(exp.shape))
    if exp.dtype != got.dtype:
        return "dtype %s != expected %s" % (got.dtype, exp.dtype)
    if exp.dtype.kind in "biu" or exp.dtype.name in ("int4", "uint4", "int2", "uint2"):
        if exp.dtype.kind not in "biu":
            exp, got = exp.astype(np.int16), got.astype(np.int16)
        return None if np.array_equal(exp, got) else "%d/%d values differ" % (int(np.sum(exp != got)), exp.size)
    e, g = exp.astype(np.float64), got.astype(np.float64)
    if np.allclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True):
        return None
    bad = ~np.isclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True)
    return "%d/%d values differ" % (int(bad.sum()), exp.size)


def run_case(case_dir, work_dir):
    """Converts and runs one case; returns a list of problems (empty: pass)."""
    import glob

    import onnx
    import openvino as ov
    from onnx import numpy_helper

    import irconv
    model_path = os.path.join(case_dir, "model.onnx")
    xml = os.path.join(work_dir, "model.xml")
    irconv.convert_model(model_path).save(xml, compress_to_fp16=False)
    core = ov.Core()
    compiled = core.compile_model(core.read_model(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    proto = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in proto.graph.initializer}
    g_inputs = [i for i in proto.graph.input if i.name not in inits]
    g_outputs = list(proto.graph.output)
    by_name = {n: p for p in compiled.inputs for n in p.get_names()}
    out_idx = {n: k for k, p in enumerate(compiled.outputs) for n in p.get_names()}
    problems = []
    for ds in sorted(glob.glob(os.path.join(case_dir, "test_data_set_*"))):
        feed = {}
        for j, vi in enumerate(g_inputs):
            t = onnx.load_tensor(os.path.join(ds, "input_%d.pb" % j))
            port = by_name.get(vi.name)
            if port is None:
                if len(compiled.inputs) < len(g_inputs):
                    continue            # an input the converter dropped (unused)
                port = compiled.inputs[j]
            feed[port] = _as_feed(numpy_helper.to_array(t))
        req = compiled.create_infer_request()
        req.infer(feed)
        for j, vo in enumerate(g_outputs):
            exp = numpy_helper.to_array(onnx.load_tensor(os.path.join(ds, "output_%d.pb" % j)))
            k = out_idx.get(vo.name, j if len(compiled.outputs) == len(g_outputs) else None)
            if k is None:
                problems.append("output '%s' missing" % vo.name)
                continue
            why = _compare(exp, _from_ov(req.get_output_tensor(k)))
            if why:
                problems.append("%s output '%s': %s" % (os.path.basename(ds), vo.name, why))
    return problems


# ---------------------------------------------------------------- the test
def test_sample_is_representative():
    base = _load_baseline()
    names = sample(base["passing"])
    assert names == sample(dict(reversed(list(base["passing"].items()))))   # order-independent
    ops = {op for ops in base["passing"].values() for op in ops}
    assert ops <= {op for n in names for op in base["passing"][n]}
    assert 200 <= len(names) <= 400


def test_node_suite_sample(cases_dir, tmp_path):
    import onnx
    names = _selected()
    base = _load_baseline()
    present = set(os.listdir(cases_dir))
    missing = [n for n in names if n not in present]
    assert len(missing) < len(names), ("this onnx (%s) generates none of the baseline's cases (baseline: onnx %s)"
                                       % (onnx.__version__, base.get("onnx")))
    failures = {}
    for n in names:
        if n not in present:
            continue               # a case this onnx version no longer generates
        work = tmp_path / n
        work.mkdir()
        try:
            problems = run_case(os.path.join(cases_dir, n), str(work))
        except Exception as e:  # noqa: BLE001 - one case's failure must not hide the others
            lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
            problems = ["%s: %s" % (type(e).__name__, " ".join(lines[-3:])[:300])]
        if problems:
            failures[n] = "; ".join(problems)[:400]
    assert not failures, "%d of %d sampled cases that passed in the baseline now fail:\n%s" % (
        len(failures), len(names), "\n".join("  %s: %s" % kv for kv in sorted(failures.items())))


# ---------------------------------------------------------------- refreshing the baseline
def update_baseline(report_path):
    with open(report_path) as f:
        report = json.load(f)
    passing = {n: sorted(c.get("ops") or []) for n, c in sorted(report["cases"].items()) if c["status"] == "pass"}
    data = {"what": "ONNX backend node cases that irconv converts and OpenVINO's CPU plugin runs correctly "
                    "(from a full onnx_suite.py run); tests/e2e/test_onnx_node_suite.py samples them",
            "onnx": report.get("onnx"), "openvino": report.get("openvino"), "counts": report.get("counts"),
            "total": report.get("total"), "passing": passing}
    os.makedirs(os.path.dirname(BASELINE), exist_ok=True)
    head = json.dumps({k: v for k, v in data.items() if k != "passing"}, indent=1)[:-2]
    lines = ["%s: %s" % (json.dumps(n), json.dumps(ops)) for n, ops in passing.items()]
    with open(BASELINE, "w") as f:     # one case per line: reviewable diffs
        f.write(head + ',\n "passing": {\n' + ",\n".join(lines) + "\n}}\n")
    print("baseline: %d passing cases of %s, sample of %d" % (len(passing), report.get("total"), len(sample(passing))))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--update-baseline", metavar="REPORT_JSON", required=True)
    sys.exit(update_baseline(ap.parse_args().update_baseline))
