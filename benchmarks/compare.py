#!/usr/bin/env python3
"""irconv vs OpenVINO's own converter (and `cp` of the weights as the floor), side by side in one
run: wall time, CPU time and peak RSS of each conversion (model files -> IR on disk), every run a
fresh process writing into a fresh, empty directory, the peers alternating run by run.

  python benchmarks/compare.py [--models resnet,bert,big,lm1b,fp16] [--repeat 3]
                               [--cache DIR] [--json out.json] [--no-tf-check] [--skip-ov]

Models (generated on first use into --cache, default $IRCONV_BENCH_CACHE or ~/.cache/irconv-bench;
never inside the repository):
  resnet  the shared ResNet-like ONNX fixture (0.7 MB): start-up dominated
  bert    BERT-base-like ONNX, 435 MB of inline initializers (../shared/tools/gen_big_onnx.py)
  big     24-layer ONNX, 2.46 GB of external data (gen_big_onnx.py --layers 24 --hidden 1408)
  lm1b    lm_1b-sized TF1 model: text GraphDef + V1 checkpoint shards, 5.4 GB
          (../shared/tools/gen_lm1b_scale.py; needs tensorflow and tf_keras to generate), converted
          with the legacy Model Optimizer guide's command (cut at the Unique outputs and state reads);
          with TensorFlow installed the IR is checked against TF on a few recurrent steps
  fp16    f32 -> f16 compression while writing: one 1 GiB constant saved by the core, pinned to one
          core (taskset), F16C and the portable fallback (IRCONV_NO_F16C=1)
Peers: `python -m irconv` (the CLI; default flags = FP16-compressed weights, like the other peer),
`openvino.convert_model` + `openvino.save_model` (what `ovc` runs; not run on lm1b, which it cannot
convert plainly), and `cp` of the weights file(s) into the output directory.
Targets (issue 9) are checked at the end: each line says met / NOT met with the measured numbers.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(REPO, "..", "shared")
TOOLS = os.path.join(SHARED, "tools")

OV_SNIPPET = ("import sys, openvino as ov\n"
              "m = ov.convert_model(sys.argv[1])\n"
              "ov.save_model(m, sys.argv[2], compress_to_fp16=sys.argv[3] == 'True')\n")

MB = 1024.0 * 1024.0


# ---------------------------------------------------------------- measuring

def measure(cmd, cwd=None, env=None):
    """Runs cmd; returns (wall seconds, its stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(cmd[:4]), p.returncode,
                                                        (err or out).decode(errors="replace")[-800:]))
    return wall, out.decode(errors="replace")


# Linux keeps a process's peak RSS across fork and exec: a child spawned from this (large,
# model-generating) process would report at least this process's peak. The command is therefore
# started by a small launcher (a fresh Python, ~10 MiB) that forks it, times it and reports its
# rusage on a pipe (its fd: the first argument).
LAUNCHER = r"""
import os, sys, time
fd = int(sys.argv[1])
os.set_inheritable(fd, False)
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
os.write(fd, ("%r %r %r %r %d" % (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss,
                                 os.waitstatus_to_exitcode(status))).encode())
"""


def run_child(cmd, cwd=None, env=None):
    """Runs cmd in a fresh process; returns its wall time, CPU time (user + sys) and peak RSS (MiB),
    taken from wait4 (the command alone) in a small launcher process."""
    r, w = os.pipe()
    try:
        p = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(w)] + list(cmd), cwd=cwd, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(w,))
    finally:
        os.close(w)
    err = p.communicate()[1]
    with os.fdopen(r, "rb") as f:
        report = f.read().split()
    if p.returncode != 0 or len(report) != 5 or report[4] != b"0":
        raise RuntimeError("%s failed (exit %s): %s" % (" ".join(cmd[:4]), report[4].decode() if len(report) == 5
                                                        else p.returncode, err.decode(errors="replace")[-800:]))
    wall, user, sys_, maxrss = (float(x) for x in report[:4])
    return {"wall": wall, "cpu": user + sys_, "user": user, "sys": sys_, "rss_mb": maxrss / 1024.0}


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def cpu_info():
    name, flags = platform.processor() or "?", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and name in ("?", "", "x86_64"):
                    name = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = line
                    break
    except OSError:
        pass
    return "%s, %d cores%s" % (name, os.cpu_count() or 0, ", F16C" if " f16c" in flags else ", no F16C")


# ---------------------------------------------------------------- models

def irconv_cmd():
    return [sys.executable, "-m", "irconv"]


def dir_bytes(paths):
    total = 0
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        elif os.path.exists(p):
            total += os.path.getsize(p)
    return total


def gen_onnx(cache, name, args):
    path = os.path.join(cache, name)
    if not os.path.exists(path):
        print("generating %s ..." % path, flush=True)
        subprocess.check_call([sys.executable, os.path.join(TOOLS, "gen_big_onnx.py"), "--out", path] + args)
    return path


def model_resnet(cache):
    path = os.path.join(SHARED, "fixtures", "onnx", "resnet_like_op18", "model.onnx")
    return dict(label="ResNet-like fixture (ONNX, 0.7 MB)", irconv=["--input_model", path], ov=path,
                cp=[path], file_bytes=os.path.getsize(path), weights_bytes=os.path.getsize(path))


def model_bert(cache):
    path = gen_onnx(cache, "bert_like_L12_H768.onnx", ["--layers", "12", "--hidden", "768"])
    return dict(label="BERT-base-like (ONNX, %.0f MB inline)" % (os.path.getsize(path) / 1e6),
                irconv=["--input_model", path], ov=path, cp=[path], file_bytes=os.path.getsize(path),
                weights_bytes=os.path.getsize(path))


def model_big(cache):
    path = gen_onnx(cache, "big_L24_H1408.onnx", ["--layers", "24", "--hidden", "1408"])
    data = path + ".data"
    return dict(label="24-layer (ONNX, %.2f GB external data)" % (os.path.getsize(data) / 1e9),
                irconv=["--input_model", path], ov=path, cp=[data], file_bytes=dir_bytes([path, data]),
                weights_bytes=os.path.getsize(data))


def model_lm1b(cache):
    d = os.path.join(cache, "lm1b_full")
    info_path = os.path.join(d, "lm1b_info.json")
    if not os.path.exists(info_path):
        print("generating the lm_1b-sized model into %s (TensorFlow; ~5 min, ~14 GB of memory) ..." % d, flush=True)
        r = subprocess.call([sys.executable, os.path.join(TOOLS, "gen_lm1b_scale.py"), "--out", d])
        if r != 0 or not os.path.exists(info_path):
            return None
    with open(info_path) as f:
        info = json.load(f)
    return dict(label="lm_1b-sized (TF text graph + V1 checkpoint, %.1f GB)" % (info["bytes_on_disk"] / 1e9),
                irconv=list(info["mo_args"]), cwd=d, ov=None, cp=[os.path.join(d, "ckpt")],
                file_bytes=info["bytes_on_disk"], weights_bytes=info["bytes_on_disk"], info=info, dir=d)


MODELS = {"resnet": model_resnet, "bert": model_bert, "big": model_big, "lm1b": model_lm1b}


# ---------------------------------------------------------------- runs

def child_env(cache):
    """Children compile and keep bytecode (as an installed package has it), outside the repository."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(cache, "pycache"))
    return env


def bench_model(key, m, a, runs_dir, env):
    peers = [("irconv", None), ("openvino", None), ("cp", None)]
    if m.get("ov") is None or a.skip_ov:
        peers = [p for p in peers if p[0] != "openvino"]
    fp16 = "True" if not a.no_fp16 else "False"
    results = {p: [] for p, _ in peers}
    keep_ir = None

    def one(peer, out):
        if peer == "irconv":
            cmd = irconv_cmd() + m["irconv"] + ["--output_dir", out, "--model_name", "ir", "--compress_to_fp16", fp16]
            cmd += a.irconv_args.split()
            return run_child(cmd, cwd=m.get("cwd"), env=env)
        if peer == "openvino":
            return run_child([sys.executable, "-c", OV_SNIPPET, m["ov"], os.path.join(out, "ov.xml"), fp16], env=env)
        return run_child(["cp", "-rL"] + m["cp"] + [out], env=env)

    for peer, _ in peers:  # warm-up, not counted: bytecode compiled, the model's files in the page cache
        out = tempfile.mkdtemp(prefix="%s-%s-warm-" % (key, peer), dir=runs_dir)
        one(peer, out)
        shutil.rmtree(out, ignore_errors=True)
    for r in range(a.repeat):
        order = peers if r % 2 == 0 else list(reversed(peers))
        for peer, _ in order:
            out = tempfile.mkdtemp(prefix="%s-%s-" % (key, peer), dir=runs_dir)
            res = one(peer, out)
            results[peer].append(res)
            if peer == "irconv" and key == "lm1b" and keep_ir is None:
                keep_ir = out          # checked against TensorFlow below
            else:
                shutil.rmtree(out, ignore_errors=True)
            print("  %-6s %-9s run %d: %6.2f s wall, %6.2f s CPU, %7.0f MiB peak RSS"
                  % (key, peer, r + 1, res["wall"], res["cpu"], res["rss_mb"]), flush=True)
    summary = {}
    for peer, runs in results.items():
        summary[peer] = {"wall_median": statistics.median(x["wall"] for x in runs),
                         "wall_min": min(x["wall"] for x in runs),
                         "cpu_median": statistics.median(x["cpu"] for x in runs),
                         "rss_mb": max(x["rss_mb"] for x in runs), "runs": runs}
    return summary, keep_ir


FP16_SNIPPET = r"""
import json, os, sys, time
import numpy as np
from irconv import _core
n = int(sys.argv[2]) // 4
v = np.empty(n, np.float32)
rng = np.random.default_rng(0)
for i in range(0, n, 1 << 24):
    v[i:i + (1 << 24)] = rng.standard_normal(min(1 << 24, n - i), dtype=np.float32)
g = _core.Graph("fp16")
g.result(g.constant(v, name="w").output(0))
best = cpu_best = None
for _ in range(3):
    t, c = time.perf_counter(), time.process_time()
    g.save(os.path.join(sys.argv[1], "m.xml"), os.path.join(sys.argv[1], "m.bin"), compress_to_fp16=True)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    best = dt if best is None else min(best, dt)
    cpu_best = dc if cpu_best is None else min(cpu_best, dc)
    os.remove(os.path.join(sys.argv[1], "m.bin"))
print(json.dumps({"seconds": best, "gb_per_s": v.nbytes / best / 1e9, "cpu_seconds": cpu_best,
                  "gb_per_cpu_s": v.nbytes / cpu_best / 1e9}))
"""


def bench_fp16(runs_dir, env, size=1 << 30):
    res = {}
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    for label, extra in (("F16C", {}), ("portable", {"IRCONV_NO_F16C": "1"})):
        out = tempfile.mkdtemp(prefix="fp16-", dir=runs_dir)
        _, text = measure(pin + [sys.executable, "-c", FP16_SNIPPET, out, str(size)], env=dict(env, **extra))
        shutil.rmtree(out, ignore_errors=True)
        res[label] = json.loads(text.strip().splitlines()[-1])
        print("  fp16   %-9s %.2f GB/s of f32 input wall, %.2f GB per CPU second (1 GiB constant, one core%s)"
              % (label, res[label]["gb_per_s"], res[label]["gb_per_cpu_s"], "" if pin else ", not pinned: no taskset"),
              flush=True)
    return res


TF_CHECK = r"""
import json, os, sys
import numpy as np
d, xml, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
info = json.load(open(os.path.join(d, "lm1b_info.json")))
cfg = info["config"]
ins, outs = info["inputs"], info["outputs"]
S = cfg["num_units"] + cfg["num_proj"]
rng = np.random.default_rng(5)
words = rng.integers(0, cfg["vocab"], steps).astype(np.int32)
which = sys.argv[4]
res = []
if which == "ir":
    import openvino as ov
    core = ov.Core()
    cm = core.compile_model(xml, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    req = cm.create_infer_request()
    states = [np.zeros((1, S), np.float32) for _ in range(cfg["num_layers"])]
    for w in words:
        feed = {ins[0]: np.array([w], np.int32), ins[1]: np.array([0], np.int32)}
        feed.update({ins[2 + i]: s for i, s in enumerate(states)})
        r = req.infer(feed)
        got = [r[cm.output(o)] for o in outs]
        res.append(got)
        states = [np.asarray(x).reshape(1, S) for x in got[1:]]
else:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from google.protobuf import text_format
    tf.compat.v1.disable_v2_behavior()
    gd = tf.compat.v1.GraphDef()
    text_format.Parse(open(os.path.join(d, "graph.pbtxt")).read(), gd)
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
    with tf.compat.v1.Session(graph=g) as sess:
        sess.run("save/restore_all", {"save/Const:0": os.path.join(d, "ckpt", "ckpt-*")})
        states = [np.zeros((1, S), np.float32) for _ in range(cfg["num_layers"])]
        for w in words:
            feed = {ins[0] + ("" if ":" in ins[0] else ":0"): np.array([w], np.int32),
                    ins[1] + ("" if ":" in ins[1] else ":0"): np.array([0], np.int32)}
            feed.update({ins[2 + i] + ":0": s for i, s in enumerate(states)})
            got = sess.run([o + ":0" for o in outs], feed)
            res.append(got)
            states = [np.asarray(x).reshape(1, S) for x in got[1:]]
np.savez(sys.argv[5], *[x for step in res for x in step])
"""


def tf_check(m, ir_dir, runs_dir, steps=3):
    """Runs the IR (OpenVINO) and the graph + checkpoint (TensorFlow) for a few recurrent steps."""
    xml = os.path.join(ir_dir, "ir.xml")
    files = {}
    for which in ("ir", "tf"):
        files[which] = os.path.join(runs_dir, "lm1b_%s.npz" % which)
        measure([sys.executable, "-c", TF_CHECK, m["dir"], xml, str(steps), which, files[which]])
    import numpy as np
    a, b = np.load(files["ir"]), np.load(files["tf"])
    worst = 0.0
    for k in a.files:
        worst = max(worst, float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))))
    top_ok = all(int(np.argmax(a["arr_%d" % (3 * s)])) == int(np.argmax(b["arr_%d" % (3 * s)])) for s in range(steps))
    return {"steps": steps, "max_abs_diff": worst, "same_top_word": top_ok, "ok": worst < 1e-2 and top_ok}


# ---------------------------------------------------------------- report

def fmt_peer(s):
    if not s:
        return "—"
    return "%.2f s, %.2f s CPU, %.0f MiB" % (s["wall_median"], s["cpu_median"], s["rss_mb"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resnet,bert,big,lm1b,fp16")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", default=os.environ.get("IRCONV_BENCH_CACHE") or
                    os.path.join(os.path.expanduser("~"), ".cache", "irconv-bench"))
    ap.add_argument("--no-fp16", action="store_true", help="f32 weights (--compress_to_fp16 False) for both")
    ap.add_argument("--skip-ov", action="store_true", help="irconv and cp only")
    ap.add_argument("--no-tf-check", action="store_true")
    ap.add_argument("--irconv-args", default="", help="extra irconv flags, e.g. '--disable_pass NAME'")
    ap.add_argument("--json")
    a = ap.parse_args()
    cache = os.path.abspath(a.cache)
    if os.path.commonpath([cache, os.path.abspath(REPO)]) == os.path.abspath(REPO):
        ap.error("--cache must be outside the repository")
    os.makedirs(cache, exist_ok=True)
    runs_dir = tempfile.mkdtemp(prefix="runs-", dir=cache)
    env = child_env(cache)
    wanted = [k.strip() for k in a.models.split(",") if k.strip()]
    load0 = loadavg()
    print("machine: %s; load average %.2f %.2f %.2f; cache %s" % ((cpu_info(),) + load0 + (cache,)), flush=True)
    report = {"machine": cpu_info(), "load_start": load0, "models": {}}
    try:
        for key in wanted:
            if key == "fp16":
                report["fp16"] = bench_fp16(runs_dir, env)
                continue
            m = MODELS[key](cache)
            if m is None:
                print("  %s: skipped (could not generate it: needs tensorflow and tf_keras)" % key, flush=True)
                continue
            summary, ir_dir = bench_model(key, m, a, runs_dir, env)
            entry = {"label": m["label"], "file_bytes": m["file_bytes"], "weights_bytes": m["weights_bytes"],
                     "peers": summary}
            if ir_dir and not a.no_tf_check:
                try:
                    import importlib.util
                    if importlib.util.find_spec("tensorflow") and importlib.util.find_spec("openvino"):
                        entry["tf_check"] = tf_check(m, ir_dir, runs_dir)
                        print("  lm1b   IR vs TensorFlow: %s" % entry["tf_check"], flush=True)
                except RuntimeError as e:
                    entry["tf_check"] = {"ok": False, "error": str(e)[-300:]}
                    print("  lm1b   IR vs TensorFlow failed: %s" % e, flush=True)
            if ir_dir:
                shutil.rmtree(ir_dir, ignore_errors=True)
            report["models"][key] = entry
    finally:
        shutil.rmtree(runs_dir, ignore_errors=True)
    report["load_end"] = loadavg()
    print_table(report, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1, default=float)


def print_table(report, a):
    rows = []
    print()
    print("| model | irconv | OpenVINO convert_model+save_model | cp of the weights | irconv / OpenVINO wall | "
          "irconv / cp wall | irconv peak RSS / weights |")
    print("|---|---|---|---|---|---|---|")
    for key, e in report["models"].items():
        p = e["peers"]
        ir, ov, cp = p.get("irconv"), p.get("openvino"), p.get("cp")
        r_ov = "%.2fx" % (ir["wall_median"] / ov["wall_median"]) if ov else "—"
        r_cp = "%.2fx" % (ir["wall_median"] / cp["wall_median"]) if cp and key != "resnet" else "—"
        r_mem = "%.2fx" % (ir["rss_mb"] * MB / e["weights_bytes"]) if key != "resnet" else "—"
        print("| %s | %s | %s | %s | %s | %s | %s |" % (e["label"], fmt_peer(ir), fmt_peer(ov),
                                                        "%.2f s" % cp["wall_median"] if cp else "—", r_ov, r_cp, r_mem))
    print()
    print("Wall and CPU: medians of %d runs per peer, alternating; peak RSS: the largest of the runs. "
          "Load average %.2f at the start, %.2f at the end (2 cores shared with other work)."
          % (a.repeat, report["load_start"][0], report["load_end"][0]))
    print()
    for line in targets(report):
        print(line)


def targets(report):
    out = []
    m = report["models"]

    def ok(b):
        return "met" if b else "NOT met"
    if "resnet" in m:
        w = m["resnet"]["peers"]["irconv"]["wall_median"]
        c = m["resnet"]["peers"]["irconv"]["cpu_median"]
        out.append("- small model: whole irconv process <= 0.3 s: %.2f s wall (%.2f s CPU) -> %s" % (w, c, ok(w <= 0.3)))
    if "bert" in m:
        p = m["bert"]["peers"]
        rss = p["irconv"]["rss_mb"] * MB / m["bert"]["file_bytes"]
        if "openvino" in p:
            r = p["irconv"]["wall_median"] / p["openvino"]["wall_median"]
            out.append("- BERT-base-like: wall <= 0.5x OpenVINO's: %.2fx -> %s" % (r, ok(r <= 0.5)))
        out.append("- BERT-base-like: peak RSS <= 1.1x the model file: %.2fx -> %s" % (rss, ok(rss <= 1.1)))
    if "big" in m:
        p = m["big"]["peers"]
        if "openvino" in p:
            r = p["irconv"]["wall_median"] / p["openvino"]["wall_median"]
            out.append("- 2.46 GB external: wall <= 0.5x OpenVINO's: %.2fx -> %s" % (r, ok(r <= 0.5)))
        r = p["irconv"]["wall_median"] / p["cp"]["wall_median"]
        out.append("- 2.46 GB external: wall <= 1.5x the cp floor: %.2fx -> %s" % (r, ok(r <= 1.5)))
        rss = p["irconv"]["rss_mb"] * MB / m["big"]["weights_bytes"]
        out.append("- 2.46 GB external: peak RSS <= 0.5x the weights: %.2fx -> %s" % (rss, ok(rss <= 0.5)))
    if "lm1b" in m:
        p = m["lm1b"]["peers"]["irconv"]
        out.append("- lm_1b-sized: <= 30 s: %.1f s -> %s" % (p["wall_median"], ok(p["wall_median"] <= 30)))
        out.append("- lm_1b-sized: peak RSS <= 2 GB: %.2f GB -> %s" % (p["rss_mb"] * MB / 1e9, ok(p["rss_mb"] * MB <= 2e9)))
        tc = m["lm1b"].get("tf_check")
        if tc:
            out.append("- lm_1b-sized: IR matches TensorFlow on %s steps: %s -> %s"
                       % (tc.get("steps", "?"), tc, ok(tc.get("ok"))))
    if "fp16" in report:
        for k, v in report["fp16"].items():
            # judged per CPU second: the core is shared with whatever else runs; wall shown too
            out.append("- FP16 compression while writing >= 2 GB/s on one core (%s): %.2f GB per CPU second "
                       "(%.2f GB/s wall on the shared core) -> %s"
                       % (k, v["gb_per_cpu_s"], v["gb_per_s"], ok(v["gb_per_cpu_s"] >= 2)))
    return out


if __name__ == "__main__":
    main()
