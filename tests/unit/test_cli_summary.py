"""The CLI's summary line, --progress, --validate and --static_shape."""
import os

import numpy as np

import irconv
from irconv import validate
from irconv.cli import main as cli_main
from helpers import core

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = os.path.join(REPO, "examples", "tiny_cnn.onnx")


def _run(tmp_path, *extra):
    return cli_main(["--input_model", TINY, "--output_dir", str(tmp_path), "--model_name", "t"] + list(extra))


def test_summary_line(tmp_path, capsys):
    assert _run(tmp_path, "--input_shape", "[2,3,16,16]") == 0
    out = capsys.readouterr().out
    assert "[ SUCCESS ]" in out
    info = [line for line in out.splitlines() if line.startswith("[ INFO ] t:")][0]
    assert "inputs image[2,3,16,16]{f32}" in info and "outputs probs[2,10]{f32}" in info
    assert " ops; .bin " in info and info.endswith(" s")


def test_progress_reports_stages_and_bytes(tmp_path, capsys):
    assert _run(tmp_path, "--progress") == 0
    err = capsys.readouterr().err
    for stage in ("load", "transform", "write", "done"):
        assert stage in err
    assert "MB written" in err and "100%" in err


def test_validate_against_onnxruntime(tmp_path, capsys):
    assert _run(tmp_path, "--validate", "--compress_to_fp16", "False") == 0
    out = capsys.readouterr().out
    assert "[ VALIDATE ] probs: max abs diff" in out and "ok" in out


def test_validate_out_of_tolerance_exits_1(tmp_path, capsys, monkeypatch):
    """The IR validated is that of a copy of the model with its weights doubled."""
    import onnx  # noqa: PLC0415
    from onnx import numpy_helper  # noqa: PLC0415
    from irconv import cli  # noqa: PLC0415
    m = onnx.load(TINY)
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        if a.dtype == np.float32:
            t.CopyFrom(numpy_helper.from_array(a * 2, t.name))
    skewed = str(tmp_path / "skewed.onnx")
    onnx.save(m, skewed)
    assert cli_main(["--input_model", skewed, "--output_dir", str(tmp_path), "--model_name", "s",
                     "--compress_to_fp16", "False"]) == 0
    capsys.readouterr()
    assert cli._validate(irconv.convert_model(TINY), str(tmp_path / "s.xml")) == 1
    cap = capsys.readouterr()
    assert "OUT OF TOLERANCE" in cap.out and "validation failed" in cap.err


def test_validation_runs_outside_the_converters_process(tmp_path):
    """DESIGN.md invariant 1: --validate leaves openvino and onnxruntime out of irconv's process."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    code = ("import sys; from irconv.cli import main; rc = main(sys.argv[1:]); "
            "assert 'openvino' not in sys.modules and 'onnxruntime' not in sys.modules, sorted(sys.modules); "
            "sys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code, "--input_model", TINY, "--output_dir", str(tmp_path),
                        "--validate", "--compress_to_fp16", "False"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "[ VALIDATE ] probs: max abs diff" in p.stdout


def test_validate_without_the_framework_says_what_it_needs(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(validate, "missing", lambda fw: ["onnxruntime"])
    assert _run(tmp_path, "--validate") == 0
    assert "validation needs onnxruntime" in capsys.readouterr().out


def test_static_shape_folds_shape_subgraphs(tmp_path):
    """tiny_cnn's Flatten reads ShapeOf of a dynamic-batch tensor: kept without --static_shape
    (the IR stays reshapeable), folded with it for the given shape."""
    assert _run(tmp_path, "--input_shape", "[1,3,16,16]", "--static_shape") == 0
    m = core().read_model(str(tmp_path / "t.xml"))
    assert "ShapeOf" not in {op.get_type_name() for op in m.get_ops()}
    assert _run(tmp_path, "--input_shape", "[?,3,16,16]") == 0
    m = core().read_model(str(tmp_path / "t.xml"))
    m.reshape({0: [3, 3, 16, 16]})
    cm = core().compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    r = cm.create_infer_request().infer({0: np.zeros((3, 3, 16, 16), np.float32)})
    assert r[cm.outputs[0]].shape == (3, 10)


def test_a_flag_with_a_remark_in_one_argument_is_a_note(tmp_path, capsys):
    """'--reverse_input_channels (only with ...)' as one argv item is reported and not applied."""
    assert _run(tmp_path, "--reverse_input_channels (only with real weights trained on RGB)",
                "--input_shape", "[1,3,16,16]") == 0
    err = capsys.readouterr().err
    assert "ignoring the argument '--reverse_input_channels (only with" in err
    m = core().read_model(str(tmp_path / "t.xml"))
    assert "Gather" not in {op.get_type_name() for op in m.get_ops()}
