"""Every shared ONNX fixture: convert with irconv, read the IR from disk with the OpenVINO
runtime, run on CPU in f32, compare with the outputs onnxruntime computed."""
import os
import subprocess
import sys

import pytest

import irconv
from fixtures import Case, cases, compare
from helpers import infer_xml

ONNX_CASES = cases("onnx")


@pytest.mark.parametrize("name", ONNX_CASES)
def test_onnx_fixture_f32(tmp_path, name):
    case = Case("onnx", name)
    model = irconv.convert_model(case.model)
    xml = str(tmp_path / "model.xml")
    model.save(xml, compress_to_fp16=False)
    compare(case, infer_xml(xml, case.inputs))


@pytest.mark.parametrize("name", ONNX_CASES)
def test_onnx_fixture_fp16_weights(tmp_path, name):
    case = Case("onnx", name)
    model = irconv.convert_model(case.model)
    xml = str(tmp_path / "model.xml")
    model.save(xml, compress_to_fp16=True)
    compare(case, infer_xml(xml, case.inputs), rtol=1e-2, atol=max(case.atol, 1e-2))


def test_cli_converts_a_fixture_with_mo_args(tmp_path):
    case = Case("onnx", "resnet_like_op18")   # mo_args: --use_legacy_frontend
    r = subprocess.run([sys.executable, "-m", "irconv", "--input_model", case.model, "--output_dir", str(tmp_path),
                        "--model_name", "m", "--compress_to_fp16", "False"] + case.mo_args,
                       capture_output=True, text=True, cwd=case.dir)
    assert r.returncode == 0, r.stderr
    assert "[ SUCCESS ]" in r.stdout
    compare(case, infer_xml(str(tmp_path / "m.xml"), case.inputs))


def test_conversion_is_deterministic(tmp_path):
    case = Case("onnx", "effnet_act_block")
    blobs = []
    for i in range(2):
        xml = str(tmp_path / ("m%d.xml" % i))
        irconv.convert_model(case.model).save(xml)
        blobs.append((open(xml, "rb").read(), open(xml[:-4] + ".bin", "rb").read()))
    assert blobs[0] == blobs[1]
