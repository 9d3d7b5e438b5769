"""The irconv command: exit status 0 / 1 / 2, one-line errors, no traceback, files written."""
import os
import subprocess
import sys

import onnx
import pytest
from onnx import TensorProto, helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "examples", "tiny_cnn.onnx")


def irconv(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "irconv", *args], capture_output=True, text=True, cwd=cwd)


def test_converts_the_shipped_example(tmp_path):
    r = irconv("--input_model", EXAMPLE, "--output_dir", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "[ SUCCESS ]" in r.stdout and r.stderr == ""
    assert sorted(os.listdir(tmp_path / "out")) == ["tiny_cnn.bin", "tiny_cnn.xml"]


def test_debug_prints_pass_timings(tmp_path):
    r = irconv("-m", EXAMPLE, "-o", str(tmp_path), "-n", "m", "--log_level", "DEBUG")
    assert r.returncode == 0
    assert "pass ConstantFolding" in r.stderr and "SwishFusion" in r.stderr
    assert os.path.exists(tmp_path / "m.xml")


def test_unsupported_ops_listed_in_one_error(tmp_path):
    nodes = [helper.make_node("Foo", ["x"], ["y"], name="f%d" % i, domain="custom") for i in range(1)]
    nodes += [helper.make_node("Foo", ["y"], ["z"], name="f1", domain="custom"),
              helper.make_node("Bar", ["z"], ["o"], name="b0", domain="custom")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("o", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)])
    path = str(tmp_path / "u.onnx")
    onnx.save(m, path)
    r = irconv("-m", path, "-o", str(tmp_path / "out"))
    assert r.returncode == 1
    assert "Foo" in r.stderr and "2 nodes" in r.stderr and "Bar" in r.stderr and "'f0'" in r.stderr
    assert "Traceback" not in r.stderr
    assert not os.path.exists(tmp_path / "out" / "u.xml")


@pytest.mark.parametrize("content", [b"", b"\x08\x07garbage" * 10, b"\xff" * 64])
def test_broken_file_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    r = irconv("-m", str(path), "-o", str(tmp_path))
    assert r.returncode == 1
    assert "bad.onnx" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not any(p.suffix in (".xml", ".bin") for p in tmp_path.iterdir())


@pytest.mark.parametrize("args", [["--bogus"], ["--compress_to_fp16", "maybe"], []])
def test_usage_errors_exit_2(args):
    r = irconv(*(["-m", EXAMPLE] if args else []), *args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_missing_model_exit_1(tmp_path):
    r = irconv("-m", str(tmp_path / "nope.onnx"))
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_model_optimizer_compat_flags_accepted(tmp_path):
    r = irconv("-m", EXAMPLE, "-o", str(tmp_path), "--use_legacy_frontend", "--compress_to_fp16=False")
    assert r.returncode == 0, r.stderr
    assert 'element_type="f16"' not in open(tmp_path / "tiny_cnn.xml").read()
