"""Every shared TensorFlow fixture: convert with irconv's CLI and the case's Model Optimizer
arguments (run inside the case folder, as the fixtures README says), read the IR from disk with
the OpenVINO runtime, run on CPU in f32, compare with the outputs TensorFlow computed.
Also: converting never imports tensorflow."""
import json
import os
import subprocess
import sys

import pytest

import irconv.cli
from detections import compare_od_api
from fixtures import ROOT, Case, cases, compare
from helpers import infer_xml

TF_CASES = cases("tf")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mo_argv(case):
    """The case's mo_args as irconv argv. Items written as '--flag (explanation)' are notes about
    flags a real model would need (od_api_ssd_like: --reverse_input_channels only with real RGB
    weights); they are not arguments and are left out."""
    argv = [a for a in case.mo_args if not (a.startswith("--") and " " in a)]
    if not any(a in argv for a in ("--input_model", "--saved_model_dir", "--input_meta_graph")):
        argv = ["--input_model", case.spec["model"][0]] + argv
    return argv


@pytest.mark.parametrize("name", TF_CASES)
def test_tf_fixture(tmp_path, monkeypatch, name):
    case = Case("tf", name)
    monkeypatch.chdir(case.dir)
    argv = mo_argv(case) + ["--output_dir", str(tmp_path), "--model_name", "model", "--compress_to_fp16", "False"]
    assert irconv.cli.main(argv) == 0
    got = infer_xml(str(tmp_path / "model.xml"), case.inputs)
    if "num_detections" in case.expected:
        # OD API detections: equal scores may come in any order (detections.py)
        compare_od_api(got, case.expected, case.rtol, case.atol)
    else:
        compare(case, got)


_NO_TF = r"""
import json, os, sys
sys.modules["tensorflow"] = None          # any import of tensorflow now fails
import irconv.cli
root, out = sys.argv[1], sys.argv[2]
results = {}
for name, argv in json.loads(sys.argv[3]).items():
    os.chdir(os.path.join(root, name))
    rc = irconv.cli.main(argv + ["--output_dir", os.path.join(out, name), "--model_name", "m",
                                 "--compress_to_fp16", "False"])
    results[name] = rc
leaked = sorted(m for m, mod in sys.modules.items()
                if mod is not None and m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
print(json.dumps({"rc": results, "leaked": leaked}))
"""


def test_conversion_never_imports_tensorflow(tmp_path):
    jobs = {name: mo_argv(Case("tf", name)) for name in TF_CASES}
    env = dict(os.environ)
    # the child imports irconv from where this process did (installed package or dev tree)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    r = subprocess.run([sys.executable, "-c", _NO_TF, os.path.join(ROOT, "tf"), str(tmp_path), json.dumps(jobs)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["leaked"] == []
    assert res["rc"] == {n: 0 for n in TF_CASES}, r.stderr[-3000:]
    for name in TF_CASES:
        assert os.path.isfile(os.path.join(str(tmp_path), name, "m.xml"))


def test_shape_subgraphs_stay_reshapeable(tmp_path, monkeypatch):
    """op_coverage_pbtxt's Shape -> StridedSlice/Mul/Pack -> Reshape is kept (not folded for the
    given batch): the IR reshapes to another batch on OpenVINO."""
    import openvino as ov
    case = Case("tf", "op_coverage_pbtxt")
    monkeypatch.chdir(case.dir)
    assert irconv.cli.main(mo_argv(case) + ["--output_dir", str(tmp_path), "--model_name", "m",
                                            "--compress_to_fp16", "False"]) == 0
    m = ov.Core().read_model(str(tmp_path / "m.xml"))
    assert any(op.get_type_name() == "ShapeOf" for op in m.get_ops())
    m.reshape({"x": [5, 8, 8, 4], "k": [5, 6]})
    out = [o for o in m.outputs if "out_shape_reshape" in o.get_names()][0]
    assert out.get_partial_shape().to_shape()[0] == 5
