"""Every shared Caffe fixture: convert with irconv's CLI (in the case folder, with the case's
Model Optimizer arguments), read the IR from disk with the OpenVINO runtime, run on CPU in f32,
compare with the outputs the fixture maker computed."""
import numpy as np
import pytest

from irconv import cli
from fixtures import Case, cases, compare
from helpers import infer_xml

CAFFE_CASES = cases("caffe")


def _convert(case, tmp_path, monkeypatch, *extra):
    monkeypatch.chdir(case.dir)
    rc = cli.main(["--input_model", case.model, *case.mo_args, "--output_dir", str(tmp_path),
                   "--model_name", "model", *extra])
    assert rc == 0
    return str(tmp_path / "model.xml")


@pytest.mark.parametrize("name", CAFFE_CASES)
def test_caffe_fixture(tmp_path, monkeypatch, name):
    case = Case("caffe", name)
    xml = _convert(case, tmp_path, monkeypatch)
    compare(case, infer_xml(xml, case.inputs))


def test_caffe_fixture_fp16_weights(tmp_path, monkeypatch):
    case = Case("caffe", "resnet_block")
    xml = _convert(case, tmp_path, monkeypatch, "--compress_to_fp16=True")
    compare(case, infer_xml(xml, case.inputs), rtol=1e-2, atol=1e-2)


def test_caffe_fixture_default_proto_path(tmp_path, monkeypatch):
    """Without --input_proto the net definition is <model stem>.prototxt; here it is named
    deploy.prototxt, so the error says what it looked for."""
    case = Case("caffe", "lenet")
    monkeypatch.chdir(case.dir)
    rc = cli.main(["--input_model", case.model, "--output_dir", str(tmp_path)])
    assert rc == 1


def test_caffe_preprocessing_flags(tmp_path, monkeypatch):
    """--reverse_input_channels, --mean_values, --scale_values on a 3-channel input: the IR
    computes net((x[:, ::-1] - mean) / scale)."""
    case = Case("caffe", "vgg_block")
    mean, scale = [10.0, 20.0, 30.0], [2.0, 4.0, 8.0]
    xml = _convert(case, tmp_path, monkeypatch, "--reverse_input_channels", "--mean_values", "data[10,20,30]",
                   "--scale_values", "data[2,4,8]")
    # the case's input, pre-transformed so that after the IR's preprocessing the net sees the
    # case's input again (expected.npz is the net's output on the case input)
    x = case.inputs["data"]
    raw = (x * np.asarray(scale, np.float32).reshape(1, 3, 1, 1) + np.asarray(mean, np.float32).reshape(1, 3, 1, 1))
    raw = raw[:, ::-1].copy()
    compare(case, infer_xml(xml, {"data": raw}), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", ["flatten_reshape", "lenet", "two_inputs"])
def test_caffe_fixture_batch(tmp_path, monkeypatch, name):
    """Reshape / Flatten / InnerProduct keep the batch dim symbolic, so --batch works."""
    case = Case("caffe", name)
    xml = _convert(case, tmp_path, monkeypatch, "--batch", "3")
    got = infer_xml(xml, {k: np.concatenate([v] * 3) for k, v in case.inputs.items()})
    for k, e in case.expected.items():
        np.testing.assert_allclose(got[k], np.concatenate([e] * 3), rtol=case.rtol, atol=case.atol)


@pytest.mark.parametrize("name", CAFFE_CASES)
def test_caffe_fixture_dynamic_shapes(tmp_path, monkeypatch, name):
    """--input_shape [?,C,?,?]: the IR stays reshapeable and still computes Caffe's results."""
    case = Case("caffe", name)
    shapes = ",".join("[?,%d,?,?]" % v.shape[1] for v in case.inputs.values())
    xml = _convert(case, tmp_path, monkeypatch, "--input_shape", shapes)
    compare(case, infer_xml(xml, case.inputs))
