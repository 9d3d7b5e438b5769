"""--validate: run the written IR on OpenVINO and the source model on its own framework with the
same random inputs, report max abs/rel difference per output.

The oracles run in a separate process (`python -m irconv_validate`, shipped beside this package):
the `irconv` package never imports openvino or a framework (DESIGN.md invariant 1), validation
included; this module only checks they are installed and hands the job over.
"""
import importlib.util
import json
import os
import subprocess
import sys

_REFERENCE = {"onnx": "onnxruntime", "tf": "tensorflow", "mxnet": "mxnet", "caffe": "caffe", "kaldi": "kaldi"}


def missing(framework):
    """Names of the packages validation needs that are not importable."""
    need = ["openvino", _REFERENCE.get(framework, framework)]
    return [n for n in need if importlib.util.find_spec(n) is None]


def validate(model, xml, rtol=1e-3, atol=1e-4):
    """Returns (ok, lines). Raises RuntimeError with a one-line reason when it cannot validate."""
    req = {"framework": model.framework, "source": model.source, "xml": os.path.abspath(xml),
           "inputs": [{"names": p["names"], "shape": p["shape"], "element_type": p["element_type"]}
                      for p in model.inputs], "rtol": rtol, "atol": atol}
    env = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # where irconv_validate lives
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    p = subprocess.run([sys.executable, "-m", "irconv_validate"], input=json.dumps(req), env=env,
                       capture_output=True, text=True)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        tail = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        raise RuntimeError("the validation process failed: %s" % tail) from None
    if "error" in out:
        raise RuntimeError(out["error"])
    return out["ok"], out["lines"]
