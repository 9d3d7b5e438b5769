"""Every shared MXNet fixture: convert with irconv's CLI (in-process, inside the case folder, with
the case's Model Optimizer arguments), run the IR on the OpenVINO CPU runtime in f32, compare with
the outputs MXNet 1.9.1 computed. mxnet itself is never imported."""
import os
import subprocess
import sys

import pytest

from fixtures import Case, cases, compare
from helpers import infer_xml

MXNET_CASES = cases("mxnet")


def _convert(tmp_path, case, *extra):
    from irconv import cli
    out = str(tmp_path)
    rc = cli.main(["--input_model", case.model, *case.mo_args, "--output_dir", out, "--model_name", "m", *extra])
    assert rc == 0
    return os.path.join(out, "m.xml")


def test_all_nine_cases_present():
    assert len(MXNET_CASES) >= 9


@pytest.mark.parametrize("name", MXNET_CASES)
def test_mxnet_fixture(tmp_path, monkeypatch, name):
    case = Case("mxnet", name)
    monkeypatch.chdir(case.dir)
    xml = _convert(tmp_path, case)
    compare(case, infer_xml(xml, case.inputs))
    assert "mxnet" not in sys.modules


def test_mxnet_fixture_fp16_weights(tmp_path, monkeypatch):
    case = Case("mxnet", "resnet18_v1_w8")
    monkeypatch.chdir(case.dir)
    xml = _convert(tmp_path, case, "--compress_to_fp16=True")
    compare(case, infer_xml(xml, case.inputs), rtol=1e-2, atol=2e-2)


def test_mxnet_output_names_are_mxnet_names(tmp_path, monkeypatch):
    case = Case("mxnet", "sym_basic_ops")
    monkeypatch.chdir(case.dir)
    xml = _convert(tmp_path, case)
    from helpers import core
    m = core().read_model(xml)
    names = [sorted(o.get_names()) for o in m.outputs]
    assert any("prob_output" in n for n in names) and any("pooled_output" in n for n in names)
    assert [sorted(i.get_names()) for i in m.inputs] == [["data"]]


def test_mxnet_is_never_imported(tmp_path):
    """A fresh interpreter converts a fixture with `mxnet` made unimportable."""
    case = Case("mxnet", "sym_reshape_ops")
    code = ("import sys; sys.modules['mxnet'] = None\n"
            "from irconv import cli\n"
            "rc = cli.main(['--input_model', %r, *%r, '--output_dir', %r])\n"
            "assert rc == 0\n"
            "assert not [m for m in sys.modules if m.split('.')[0] == 'mxnet' and sys.modules[m] is not None]\n"
            % (case.model, case.mo_args, str(tmp_path)))
    import irconv
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(os.path.abspath(irconv.__file__))),
                                         env.get("PYTHONPATH", "")])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=case.dir, env=env)
    assert r.returncode == 0, r.stderr
