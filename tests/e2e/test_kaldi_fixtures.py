"""Every shared Kaldi fixture: convert with irconv's CLI (in the case folder, with the case's
Model Optimizer arguments), read the IR from disk with the OpenVINO runtime and run it as
OpenVINO's speech samples do (fixtures README, "kaldi"):
  stateless: run once over all frames;
  stateful: one infer request, reset_state(), input row s as a [1, D] tensor at step s; step s
  yields frame s - R; compare steps L+R .. T-1 with expected.npz (frames L .. T-1-R).
Each case is also converted from a text-format copy of its model (written by the tests' own
Kaldi writer), which must give the same results."""
import os
import shutil
import sys

import numpy as np
import pytest

from fixtures import Case, cases, compare
from helpers import compile_xml

import irconv
from irconv import cli

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontends", "kaldi"))
from kaldi_writer import text_copy  # noqa: E402

KALDI_CASES = cases("kaldi")


def run_streaming(case, xml):
    """Runs the IR under the case's streaming contract; returns {output name: array}."""
    k = case.spec["kaldi"]
    _, cm = compile_xml(xml)
    names = {n: cm.output(n) for n in case.expected}
    if k["streaming"] == "stateless":
        res = cm.create_infer_request().infer(dict(case.inputs))
        return {n: np.asarray(res[p]) for n, p in names.items()}
    assert k["streaming"] == "stateful", k
    left, right = k["left_context"], k["right_context"]
    req = cm.create_infer_request()
    req.reset_state()
    frames = next(iter(case.inputs.values())).shape[0]
    got = {n: [] for n in names}
    for s in range(frames):
        res = req.infer({n: v[s:s + 1] for n, v in case.inputs.items()})
        if s >= left + right:
            for n, p in names.items():
                out = np.asarray(res[p])
                assert out.shape[0] == 1, out.shape
                got[n].append(out[0])
    return {n: np.stack(v) for n, v in got.items()}


def convert_in_case_dir(monkeypatch, case, model, out_dir, extra=()):
    monkeypatch.chdir(case.dir)
    rc = cli.main(["--input_model", model, *case.mo_args, "--output_dir", str(out_dir), "--model_name", "m", *extra])
    assert rc == 0
    return os.path.join(str(out_dir), "m.xml")


@pytest.mark.parametrize("name", KALDI_CASES)
def test_kaldi_fixture(tmp_path, monkeypatch, name):
    case = Case("kaldi", name)
    xml = convert_in_case_dir(monkeypatch, case, case.model, tmp_path)
    compare(case, run_streaming(case, xml))


@pytest.mark.parametrize("name", KALDI_CASES)
def test_kaldi_fixture_text_format(tmp_path, monkeypatch, name):
    case = Case("kaldi", name)
    text_model = str(tmp_path / ("text_" + os.path.basename(case.model)))
    text_copy(case.model, text_model)
    with open(text_model, "rb") as f:
        head = f.read(2)
    assert head != b"\0B"
    xml = convert_in_case_dir(monkeypatch, case, text_model, tmp_path / "ir")
    compare(case, run_streaming(case, xml))


@pytest.mark.parametrize("name", KALDI_CASES)
def test_kaldi_fixture_fp16_weights(tmp_path, monkeypatch, name):
    case = Case("kaldi", name)
    xml = convert_in_case_dir(monkeypatch, case, case.model, tmp_path, extra=("--compress_to_fp16", "True"))
    compare(case, run_streaming(case, xml), rtol=1e-2, atol=max(case.atol, 1e-2))


def test_raw_needs_framework(tmp_path):
    case = Case("kaldi", "nnet3_ivector")
    raw = str(tmp_path / "final.raw")
    shutil.copy(case.model, raw)
    # .raw is detected as Kaldi by its extension in irconv (the Model Optimizer needed --framework)
    model = irconv.convert_model(raw)
    assert [i["names"][0] for i in model.inputs] == ["input", "ivector"]
    model = irconv.convert_model(raw, framework="kaldi")
    assert model.framework == "kaldi"


def test_conversion_is_deterministic(tmp_path):
    case = Case("kaldi", "nnet3_tdnn")
    blobs = []
    for i in range(2):
        xml = str(tmp_path / ("m%d.xml" % i))
        irconv.convert_model(case.model).save(xml)
        blobs.append((open(xml, "rb").read(), open(xml[:-4] + ".bin", "rb").read()))
    assert blobs[0] == blobs[1]
