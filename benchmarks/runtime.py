#!/usr/bin/env python3
"""Inference speed of irconv's IR vs the IR of OpenVINO's own converter, on the OpenVINO CPU plugin.

  python benchmarks/runtime.py [--runs 200] [--bert-runs 60] [--warmup 5] [--threads N]
                               [--models bert,resnet,mobilenet,tf_mobilenet] [--bert PATH] [--seq 128]
                               [--fp16] [--json out.json] [--keep DIR]

Per model: irconv converts it (the `irconv` CLI with the fixture's mo_args, run in the fixture's
folder) and `openvino.convert_model` + `openvino.save_model` converts it (the same inputs/outputs/shapes
as the mo_args say), both with f32 weights (`--fp16` for f16-compressed weights, each converter's
default). Both IRs are compiled on CPU with the same settings (f32 inference precision, LATENCY hint,
one stream, `--threads` threads), given the same inputs, warmed up, then timed `--runs` times each,
rotating which runs first, together with a second compile of OpenVINO's IR (an A/A test: its
ratio to the first shows the noise of the machine); a timed sample is the mean of `--burst` back-to-back inferences (by
default as many as take ~10 ms, so that sub-millisecond models are not measured at timer noise). Reported: median latency of each, their ratio (irconv / OpenVINO; below
1 = irconv's IR is faster) and the median of the per-pair ratios, layer counts (IR layers, of which
ops = not Const/Parameter/Result, and nodes of the plugin's executable graph), the max abs difference
between the two IRs' outputs, and whether irconv's outputs match the fixture's expected outputs within
its tolerances.

Models: the BERT-base-like ONNX model of ../shared/tools/gen_big_onnx.py (generated when missing;
input_ids [1, 128]), the ONNX fixtures resnet_like_op18 and mobilenetv2_like, and the TF fixture
mobilenetv2_frozen (a frozen GraphDef converted with its mo_args).
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(REPO, "..", "shared")
FIXTURES = os.environ.get("IRCONV_FIXTURES", os.path.join(SHARED, "fixtures"))

MODELS = {
    "bert": ("bert", None),
    "resnet": ("onnx", "resnet_like_op18"),
    "mobilenet": ("onnx", "mobilenetv2_like"),
    "tf_mobilenet": ("tf", "mobilenetv2_frozen"),
}


# ---------------------------------------------------------------- model preparation

class Model:
    def __init__(self, label, path, cwd, mo_argv, inputs, expected=None, rtol=None, atol=None):
        self.label, self.path, self.cwd, self.mo_argv = label, path, cwd, mo_argv
        self.inputs, self.expected, self.rtol, self.atol = inputs, expected, rtol, atol


def fixture(framework, name):
    d = os.path.join(FIXTURES, framework, name)
    spec = json.load(open(os.path.join(d, "case.json")))
    idx = spec.get("npz_keys") == "index"
    zi, ze = np.load(os.path.join(d, "inputs.npz")), np.load(os.path.join(d, "expected.npz"))
    inputs = {n: zi[str(i) if idx else n] for i, n in enumerate(spec["inputs"])}
    expected = {n: ze[str(i) if idx else n] for i, n in enumerate(spec["outputs"])}
    argv = [a for a in spec.get("mo_args", []) if not (a.startswith("--") and " " in a)]
    if not any(a in argv for a in ("--input_model", "--saved_model_dir", "--input_meta_graph")):
        argv = ["--input_model", spec["model"][0]] + argv
    path = os.path.join(d, argv[argv.index("--input_model") + 1]) if "--input_model" in argv else d
    return Model("%s (%s)" % (name, framework), path, d, argv, inputs, expected,
                 spec.get("rtol", 1e-3), spec.get("atol", 1e-4))


def bert_model(path, work, seq):
    if not path:
        path = os.path.join(work, "bert_like_L12_H768.onnx")
    if not os.path.exists(path):
        subprocess.check_call([sys.executable, os.path.join(SHARED, "tools", "gen_big_onnx.py"), "--out", path])
    ids = np.random.default_rng(0).integers(0, 30522, size=(1, seq)).astype(np.int64)
    return Model("BERT-like L12 H768 (seq %d)" % seq, path, os.path.dirname(os.path.abspath(path)),
                 ["--input_model", os.path.abspath(path)], {"input_ids": ids})


def ov_kwargs(argv):
    """The mo_args' --input/--input_shape/--output as openvino.convert_model keyword arguments."""
    def val(flag):
        return argv[argv.index(flag) + 1] if flag in argv else None
    kw = {}
    names = [n for n in (val("--input") or "").split(",") if n]
    shapes = val("--input_shape")
    if shapes:
        parsed = json.loads("[" + shapes.replace("?", "-1") + "]")
        kw["input"] = list(zip(names, parsed)) if names else parsed
    elif names:
        kw["input"] = names
    if val("--output"):
        kw["output"] = val("--output").split(",")
    return kw


def convert_both(model, work, fp16):
    import openvino as ov
    tag = "".join(c if c.isalnum() else "_" for c in model.label)
    ir_xml = os.path.join(work, tag + "_irconv.xml")
    ov_xml = os.path.join(work, tag + "_ov.xml")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(REPO, "python")] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    cmd = [sys.executable, "-m", "irconv"] + model.mo_argv + [
        "--output_dir", work, "--model_name", tag + "_irconv", "--compress_to_fp16", str(fp16)]
    r = subprocess.run(cmd, cwd=model.cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("irconv failed on %s: %s" % (model.label, r.stderr[-2000:]))
    kw = ov_kwargs(model.mo_argv)
    try:
        m = ov.convert_model(model.path, **kw)
    except Exception:  # noqa: BLE001 - OpenVINO's TF frontend names tensors "name:0"
        kw = {k: [(x[0] + ":0",) + tuple(x[1:]) if isinstance(x, tuple) else x + ":0" for x in v]
              for k, v in kw.items()}
        m = ov.convert_model(model.path, **kw)
    ov.save_model(m, ov_xml, compress_to_fp16=fp16)
    return ir_xml, ov_xml


# ---------------------------------------------------------------- measuring

def ir_layers(xml):
    types = collections.Counter(l.get("type") for l in ET.parse(xml).getroot().iter("layer"))
    ops = sum(v for k, v in types.items() if k not in ("Const", "Parameter", "Result"))
    return sum(types.values()), ops, types


class Runner:
    def __init__(self, core, xml, inputs, config):
        self.compiled = core.compile_model(core.read_model(xml), "CPU", config)
        self.req = self.compiled.create_infer_request()
        for port in self.compiled.inputs:
            name = next((n for n in port.get_names() if n in inputs), None)
            arr = inputs[name] if name is not None else list(inputs.values())[self.compiled.inputs.index(port)]
            self.req.set_tensor(port, __import__("openvino").Tensor(np.ascontiguousarray(arr)))

    def once(self, burst=1):
        """Seconds per inference, averaged over `burst` back-to-back inferences."""
        t0 = time.perf_counter()
        for _ in range(burst):
            self.req.infer()
        return (time.perf_counter() - t0) / burst

    def outputs(self):
        res = {}
        for i, p in enumerate(self.compiled.outputs):
            a = np.array(self.req.get_tensor(p).data, copy=True)
            res[i] = a
            for n in p.get_names():
                res[n] = a
        return res

    def exec_nodes(self):
        return len(self.compiled.get_runtime_model().get_ops())


def bench(model, work, runs, warmup, config, fp16, burst=0):
    import openvino as ov
    ir_xml, ov_xml = convert_both(model, work, fp16)
    core = ov.Core()
    a = Runner(core, ir_xml, model.inputs, config)
    b = Runner(core, ov_xml, model.inputs, config)
    # the noise floor: OpenVINO's IR compiled a second time, timed like the other two (an A/A test)
    c = Runner(core, ov_xml, model.inputs, config)
    runners = [a, b, c]
    w = []
    for _ in range(warmup):
        for r in runners:
            w.append(r.once())
    if burst <= 0:   # auto: samples of >= ~10 ms, so that timer and scheduler jitter average out
        burst = max(1, min(100, int(0.01 / max(statistics.median(w), 1e-6))))
    times = [[], [], []]
    for i in range(runs):   # rotate which one runs first
        for k in range(3):
            j = (i + k) % 3
            times[j].append(runners[j].once(burst))
    ta, tb, tc = times
    oa, ob = a.outputs(), b.outputs()
    n_out = len(a.compiled.outputs)
    diff = max(float(np.max(np.abs(oa[i].astype(np.float64) - ob[i].astype(np.float64)))) if oa[i].size else 0.0
               for i in range(n_out))
    match, exp_diff = None, None
    if model.expected:
        match = all(k in oa and oa[k].shape == v.shape and
                    np.allclose(oa[k], v, rtol=model.rtol, atol=model.atol, equal_nan=True)
                    for k, v in model.expected.items())

        def worst(o):   # by tensor name, else by position (OpenVINO's TF frontend names them "name:0")
            d = 0.0
            for i, (k, v) in enumerate(model.expected.items()):
                g = o.get(k, o.get(k + ":0", o.get(i)))
                d = max(d, float(np.max(np.abs(g.astype(np.float64) - v))) if g is not None and g.shape == v.shape
                        else float("inf"))
            return d
        exp_diff = (worst(oa), worst(ob))
    la, oa_ops, types_a = ir_layers(ir_xml)
    lb, ob_ops, types_b = ir_layers(ov_xml)
    med_a, med_b = statistics.median(ta), statistics.median(tb)
    return {
        "model": model.label,
        "irconv_ms": med_a * 1e3, "openvino_ms": med_b * 1e3,
        "ratio": med_a / med_b,
        "pair_ratio": statistics.median(x / y for x, y in zip(ta, tb)),
        "aa_ratio": statistics.median(tc) / med_b,
        "irconv_layers": la, "openvino_layers": lb, "irconv_ops": oa_ops, "openvino_ops": ob_ops,
        "irconv_exec_nodes": a.exec_nodes(), "openvino_exec_nodes": b.exec_nodes(),
        "max_abs_diff": diff, "matches_expected": match, "expected_diff": exp_diff, "runs": runs, "burst": burst,
        "layer_types": {"irconv": dict(types_a), "openvino": dict(types_b)},
    }


def table(rows):
    lines = ["| model | samples x burst | irconv IR ms | OpenVINO IR ms | ratio (median) | ratio (paired) | A/A: OV / OV | layers (ops) irconv / OV "
             "| exec nodes irconv / OV | max abs diff irconv vs OV | irconv within tolerance (max diff irconv / OV vs expected) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        exp = "-" if r["matches_expected"] is None else "%s (%.2g / %.2g)" % (
            "yes" if r["matches_expected"] else "no", r["expected_diff"][0], r["expected_diff"][1])
        lines.append("| %s | %d x %d | %.2f | %.2f | %.3f | %.3f | %.3f | %d (%d) / %d (%d) | %d / %d | %.2g | %s |" % (
            r["model"], r["runs"], r["burst"], r["irconv_ms"], r["openvino_ms"], r["ratio"], r["pair_ratio"], r["aa_ratio"], r["irconv_layers"],
            r["irconv_ops"], r["openvino_layers"], r["openvino_ops"], r["irconv_exec_nodes"],
            r["openvino_exec_nodes"], r["max_abs_diff"], exp))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    ap.add_argument("--runs", type=int, default=200, help="timed inferences per IR (alternating)")
    ap.add_argument("--bert-runs", type=int, default=60, help="timed inferences per IR for the BERT-like model")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--burst", type=int, default=0,
                    help="inferences per timed sample (0 = enough for ~10 ms, at most 100; 1 = single inferences)")
    ap.add_argument("--threads", type=int, default=0, help="INFERENCE_NUM_THREADS (0 = the plugin's choice)")
    ap.add_argument("--bert", help="BERT-like .onnx (default: generated into the work dir)")
    ap.add_argument("--seq", type=int, default=128, help="BERT sequence length")
    ap.add_argument("--fp16", action="store_true", help="f16-compressed weights in both IRs")
    ap.add_argument("--json")
    ap.add_argument("--keep", help="work directory to keep (IRs, generated model)")
    a = ap.parse_args(argv)
    work = a.keep or tempfile.mkdtemp(prefix="irconv-runtime-")
    os.makedirs(work, exist_ok=True)
    config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1"}
    if a.threads:
        config["INFERENCE_NUM_THREADS"] = str(a.threads)
    rows = []
    for key in [k for k in a.models.split(",") if k]:
        if key not in MODELS:
            ap.error("unknown model %r (have %s)" % (key, ", ".join(MODELS)))
        fw, name = MODELS[key]
        model = bert_model(a.bert, work, a.seq) if fw == "bert" else fixture(fw, name)
        r = bench(model, work, a.bert_runs if fw == "bert" else a.runs, a.warmup, config, a.fp16, a.burst)
        rows.append(r)
        print("%-40s irconv %8.2f ms  openvino %8.2f ms  ratio %.3f (paired %.3f, A/A %.3f)  layers %d/%d  diff %.2g"
              % (r["model"], r["irconv_ms"], r["openvino_ms"], r["ratio"], r["pair_ratio"], r["aa_ratio"], r["irconv_layers"],
                 r["openvino_layers"], r["max_abs_diff"]), flush=True)
    print()
    print(table(rows))
    if a.json:
        json.dump({"config": config, "fp16": a.fp16, "results": rows}, open(a.json, "w"), indent=1)
    if not a.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
