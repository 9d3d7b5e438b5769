"""Hostile Kaldi inputs: matrices, vectors and dimensions claiming sizes the file cannot justify
(binary and text), and outputs that would overwrite an input."""
import os
import resource
import struct
import sys
import time

import numpy as np
import pytest

import irconv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontends", "kaldi"))
from kaldi_writer import KaldiWriter  # noqa: E402

BILLION = 10 ** 9


class Bounded:
    """Asserts a conversion failed fast without growing the process by more than 200 MB."""

    def __enter__(self):
        self.rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        assert time.perf_counter() - self.t0 < 10
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.rss0 < 200 * 1024   # KB


def _nnet1(path, matrix_writer, binary=True, dims=(3, 3)):
    """<Nnet> <AffineTransform> out in ... <matrix written by matrix_writer(w)> FV ... </Nnet>."""
    w = KaldiWriter(binary)
    w.token("<Nnet>").newline().token("<AffineTransform>").int(dims[0]).int(dims[1]).newline()
    w.token("<LearnRateCoef>").float(1.0).token("<BiasLearnRateCoef>").float(1.0).token("<MaxNorm>").float(0.0)
    matrix_writer(w)
    w.vector(np.zeros(3, np.float32))
    w.token("<!EndOfComponent>").newline().token("</Nnet>").newline()
    with open(path, "wb") as f:
        f.write(w.bytes())
    assert os.path.getsize(path) < 1024
    return path


def _fm_header(rows, cols):
    def write(w):
        w.token("FM").int(rows).int(cols).raw(b"\0" * 36)
    return write


def _cm_header(kind, rows, cols):
    def write(w):
        w.token(kind).raw(struct.pack("<ffii", 0.0, 1.0, rows, cols)).raw(b"\0" * 36)
    return write


@pytest.mark.parametrize("writer", [
    _fm_header(BILLION, BILLION),              # 4e18 bytes of floats
    _fm_header(BILLION, 3),                    # 10^9 rows, 12 GB
    _cm_header("CM", BILLION, BILLION),
    _cm_header("CM2", BILLION, 3),
    _cm_header("CM3", 3, BILLION),
], ids=["FM", "FM-rows", "CM", "CM2", "CM3"])
def test_matrix_claiming_more_than_the_file_fails_fast(tmp_path, writer):
    p = _nnet1(str(tmp_path / "final.nnet"), writer)
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"final\.nnet: byte \d+"):
        irconv.convert_model(p, framework="kaldi")


def test_int_vector_claiming_2_to_31_elements(tmp_path):
    w = KaldiWriter(True)
    w.token("<Nnet>").token("<Copy>").int(3).int(3).raw(b"\x04" + struct.pack("<i", (1 << 31) - 1) + b"\0" * 12)
    w.token("<!EndOfComponent>").token("</Nnet>")
    (tmp_path / "final.nnet").write_bytes(w.bytes())
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"final\.nnet: byte \d+"):
        irconv.convert_model(str(tmp_path / "final.nnet"), framework="kaldi")


def test_text_dimension_beyond_int32_is_refused(tmp_path):
    """Kaldi reads dimensions as int32: a text model's 99999999999 is an error, not a number."""
    p = _nnet1(str(tmp_path / "final.nnet"), lambda w: w.matrix(np.eye(3, dtype=np.float32)), binary=False,
               dims=(3, 99999999999))
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"final\.nnet: byte \d+ \(line \d+\).*int32"):
        irconv.convert_model(p, framework="kaldi")


def _nnet3_dropout_mask(path, output_dim):
    w = KaldiWriter(True)
    w.token("<Nnet3>").line("")
    for line in ("input-node name=input dim=3", "component-node name=dm component=dm input=input",
                 "output-node name=output input=dm"):
        w.line(line)
    w.line("")
    w.token("<NumComponents>").int(1).newline()
    w.token("<ComponentName>").token("dm").token("<DropoutMaskComponent>").token("<OutputDim>").int(output_dim)
    w.token("<DropoutProportion>").float(0.25).token("</DropoutMaskComponent>").newline().token("</Nnet3>")
    with open(path, "wb") as f:
        f.write(w.bytes())
    return path


def test_component_dimension_claiming_8_gb_of_constants_fails_fast(tmp_path):
    """A DropoutMaskComponent's mask is a constant of OutputDim values: 2^31 - 1 is 8 GB."""
    p = _nnet3_dropout_mask(str(tmp_path / "final.raw"), (1 << 31) - 1)
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"final\.raw.*'dm'"):
        irconv.convert_model(p, framework="kaldi")


def test_small_dropout_mask_still_converts(tmp_path):
    p = _nnet3_dropout_mask(str(tmp_path / "final.raw"), 3)
    assert irconv.convert_model(p, framework="kaldi").outputs


def test_cli_output_may_not_overwrite_the_counts_file(tmp_path, capsys):
    from irconv.cli import main
    p = _nnet1(str(tmp_path / "final.nnet"), lambda w: w.matrix(np.eye(3, dtype=np.float32)))
    (tmp_path / "priors.bin").write_text("[ 10 20 30 ]\n")
    rc = main(["--input_model", p, "--counts", str(tmp_path / "priors.bin"), "--output_dir", str(tmp_path),
               "--model_name", "priors"])
    assert rc != 0 and "overwrite an input" in capsys.readouterr().err
    assert (tmp_path / "priors.bin").read_text() == "[ 10 20 30 ]\n" and not (tmp_path / "priors.xml").exists()


def test_text_matrix_value_beyond_float32_is_a_clean_error(tmp_path):
    """Found by the fuzzer (text twins): 1e308 in a text matrix raised a numpy RuntimeWarning."""
    def writer(w):
        w.raw(b"[\n 1 0 0\n 0 1e308 0\n 0 0 1 ]\n")
    p = _nnet1(str(tmp_path / "final.nnet"), writer, binary=False)
    with pytest.raises(irconv.IrconvError, match=r"final\.nnet: byte \d+ \(line \d+\).*float32 range"):
        irconv.convert_model(p, framework="kaldi")


def _nnet3_batchnorm(path, dim, block):
    w = KaldiWriter(True)
    w.token("<Nnet3>").line("")
    for line in ("input-node name=input dim=4", "component-node name=bn component=bn input=input",
                 "output-node name=output input=bn"):
        w.line(line)
    w.line("")
    w.token("<NumComponents>").int(1).newline()
    w.token("<ComponentName>").token("bn").token("<BatchNormComponent>").token("<Dim>").int(dim)
    w.token("<BlockDim>").int(block).token("<Epsilon>").float(1e-3).token("<TargetRms>").float(1.0)
    w.token("<TestMode>").bool(False).token("<Count>").float(100.0, double=True)
    n = max(block, 0)
    w.token("<StatsMean>").vector(np.zeros(n, np.float32)).token("<StatsVar>").vector(np.ones(n, np.float32))
    w.token("</BatchNormComponent>").newline().token("</Nnet3>")
    with open(path, "wb") as f:
        f.write(w.bytes())
    return path


@pytest.mark.parametrize("dim,block", [(-4, 4), (4, 0), (0, 0)])
def test_batchnorm_with_non_positive_dims_is_a_clean_error(tmp_path, dim, block):
    """Found by the fuzzer: a negative <Dim> reached np.tile (ValueError), a zero <BlockDim> a modulo."""
    p = _nnet3_batchnorm(str(tmp_path / "final.raw"), dim, block)
    with pytest.raises(irconv.IrconvError, match=r"final\.raw.*'bn'.*BlockDim") as e:
        irconv.convert_model(p, framework="kaldi")
    assert "internal error" not in str(e.value)


def test_batchnorm_still_converts(tmp_path):
    assert irconv.convert_model(_nnet3_batchnorm(str(tmp_path / "final.raw"), 4, 2), framework="kaldi").outputs


def test_text_int_vector_beyond_int32_is_a_clean_error(tmp_path):
    """Found by the fuzzer: numpy's OverflowError escaped from a text <Copy> index vector."""
    w = KaldiWriter(False)
    w.token("<Nnet>").newline().token("<Copy>").int(3).int(3).newline().raw(b"[ 0 99999999999 2 ]\n")
    w.token("<!EndOfComponent>").newline().token("</Nnet>").newline()
    (tmp_path / "final.nnet").write_bytes(w.bytes())
    with pytest.raises(irconv.IrconvError, match=r"final\.nnet: byte \d+ \(line \d+\).*int32"):
        irconv.convert_model(str(tmp_path / "final.nnet"), framework="kaldi")


@pytest.mark.parametrize("rms", [0.0, -1.0, float("nan")])
def test_normalize_with_a_non_positive_target_rms(tmp_path, rms):
    """Found by the fuzzer: <TargetRms> 0 divided by zero."""
    w = KaldiWriter(True)
    w.token("<Nnet3>").line("")
    for line in ("input-node name=input dim=4", "component-node name=nm component=nm input=input",
                 "output-node name=output input=nm"):
        w.line(line)
    w.line("")
    w.token("<NumComponents>").int(1).newline()
    w.token("<ComponentName>").token("nm").token("<NormalizeComponent>").token("<InputDim>").int(4)
    w.token("<TargetRms>").float(rms).token("<AddLogStddev>").bool(False).token("</NormalizeComponent>")
    w.newline().token("</Nnet3>")
    (tmp_path / "final.raw").write_bytes(w.bytes())
    with pytest.raises(irconv.IrconvError, match=r"final\.raw.*'nm'.*TargetRms") as e:
        irconv.convert_model(str(tmp_path / "final.raw"), framework="kaldi")
    assert "internal error" not in str(e.value)


def test_component_missing_a_field_names_the_file(tmp_path):
    """Found by the fuzzer: 'has no <LinearParams>' named the component but not the file."""
    w = KaldiWriter(True)
    w.token("<Nnet3>").line("")
    for line in ("input-node name=input dim=3", "component-node name=fc component=fc input=input",
                 "output-node name=output input=fc"):
        w.line(line)
    w.line("")
    w.token("<NumComponents>").int(1).newline()
    w.token("<ComponentName>").token("fc").token("<FixedAffineComponent>").token("<BiasParams>")
    w.vector(np.zeros(3, np.float32)).token("</FixedAffineComponent>").newline().token("</Nnet3>")
    (tmp_path / "final.raw").write_bytes(w.bytes())
    with pytest.raises(irconv.IrconvError, match=r"final\.raw.*'fc'.*LinearParams"):
        irconv.convert_model(str(tmp_path / "final.raw"), framework="kaldi")
