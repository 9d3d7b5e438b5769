"""Hostile Caffe inputs: blobs claiming sizes the .caffemodel cannot justify, field lengths past the
end of the file, net definitions with absurd dimensions, and outputs that would overwrite an input."""
import os
import resource
import sys
import time

import numpy as np
import pytest

import irconv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontends", "caffe"))
from caffe_fe_util import _key, _len, _str, _varint, caffemodel, net  # noqa: E402

HUGE = (100000, 100000, 3)           # 120 GB of floats

PROTO = net({"data": [1, 3]}, """
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 bias_term: false } }
""")


class Bounded:
    """Asserts a conversion failed fast without growing the process by more than 200 MB."""

    def __enter__(self):
        self.rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        assert time.perf_counter() - self.t0 < 10
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.rss0 < 200 * 1024   # KB


def _model(d, blob, proto=PROTO):
    """net.prototxt + net.caffemodel whose layer 'fc' holds one BlobProto (bytes given)."""
    (d / "net.prototxt").write_text(proto)
    body = _str(1, "fc") + _str(2, "InnerProduct") + _len(7, blob)
    (d / "net.caffemodel").write_bytes(_str(1, "net") + _len(100, body))
    assert (d / "net.caffemodel").stat().st_size < 1024
    return str(d / "net.caffemodel")


def _shape_blob(dims, data=b"\0" * 16):
    return _len(7, _len(1, b"".join(_varint(x) for x in dims))) + (_len(5, data) if data else b"")


@pytest.mark.parametrize("blob", [
    _shape_blob(HUGE),                                                       # BlobShape dims
    b"".join(_key(f, 0) + _varint(d) for f, d in zip((1, 2, 3, 4), (1,) + HUGE)) + _len(5, b"\0" * 16),  # legacy
    _shape_blob([1 << 32, 1 << 32], data=b""),                              # 2^64 elements, wraps to 0 in int64
    _shape_blob([-1 & ((1 << 64) - 1), 3]),                                 # a negative dimension
], ids=["shape", "legacy", "int64-wrap", "negative"])
def test_blob_claiming_more_than_it_stores_fails_fast(tmp_path, blob):
    p = _model(tmp_path, blob)
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"net\.caffemodel.*byte offset \d+.*'fc'"):
        irconv.convert_model(p)


def test_blob_field_claiming_bytes_past_the_end(tmp_path):
    """A packed data field whose length says 100 GB in a 100-byte file."""
    blob = _shape_blob([3, 3], data=None) + _key(5, 2) + _varint(100 * 10 ** 9) + b"\0" * 36
    p = _model(tmp_path, blob)
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"net\.caffemodel.*byte offset \d+"):
        irconv.convert_model(p)


def test_net_definition_with_absurd_dimensions(tmp_path):
    """An input of 10^15 x 10^15 elements: shapes are only arithmetic, nothing is allocated."""
    proto = net({"data": [10 ** 15, 10 ** 15]}, """
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 bias_term: false } }
""")
    p = _model(tmp_path, _shape_blob([3, 10 ** 15], data=b"\0" * 16), proto)
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"net\.caffemodel.*byte offset \d+"):
        irconv.convert_model(p)


def test_every_file_read_is_listed_as_an_input(tmp_path):
    (tmp_path / "net.prototxt").write_text(PROTO)
    (tmp_path / "net.caffemodel").write_bytes(caffemodel([("fc", "InnerProduct", [np.eye(3, dtype=np.float32)])]))
    m = irconv.convert_model(str(tmp_path / "net.prototxt"), framework="caffe")   # weights found beside it
    listed = {os.path.realpath(f) for f in m.input_files}
    assert {os.path.realpath(str(tmp_path / f)) for f in ("net.prototxt", "net.caffemodel")} <= listed


def test_cli_output_may_not_overwrite_the_net_definition(tmp_path, capsys):
    """--input_proto deploy.xml and --model_name deploy: the IR would replace the net definition."""
    from irconv.cli import main
    (tmp_path / "deploy.xml").write_text(PROTO)
    (tmp_path / "w.caffemodel").write_bytes(caffemodel([("fc", "InnerProduct", [np.eye(3, dtype=np.float32)])]))
    rc = main(["--input_model", str(tmp_path / "w.caffemodel"), "--input_proto", str(tmp_path / "deploy.xml"),
               "--output_dir", str(tmp_path), "--model_name", "deploy"])
    assert rc != 0 and "overwrite an input" in capsys.readouterr().err
    assert (tmp_path / "deploy.xml").read_text() == PROTO and not (tmp_path / "deploy.bin").exists()


# ---------------------------------------------------------------- found by the fuzzer

@pytest.mark.parametrize("field,value", [
    ("kernel_size", "9223372036854775807"),     # beyond uint32: products of such dims wrapped in int64
    ("kernel_size", "1e999"),                    # an integral float that is infinite (OverflowError)
    ("num_output", "-99999999999"),
    ("dim", "18446744073709551616"),             # beyond int64 (BlobShape.dim)
], ids=["uint32", "inf", "negative", "int64"])
def test_prototxt_integers_outside_their_field_range(tmp_path, field, value):
    proto = net({"data": [1, 3, 8, 8]}, """
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
        convolution_param { num_output: 4 kernel_size: 3 } }
""")
    if field == "dim":
        proto = proto.replace("dim: 8", "dim: %s" % value, 1)
    else:
        proto = proto.replace("%s: %s" % (field, {"kernel_size": 3, "num_output": 4}[field]), "%s: %s" % (field, value))
    (tmp_path / "net.prototxt").write_text(proto)
    with pytest.raises(irconv.IrconvError, match=r"net\.prototxt:\d+:\d+: field '%s'.*expected an integer" % field) as e:
        irconv.convert_model(str(tmp_path / "net.prototxt"), framework="caffe")
    assert "internal error" not in str(e.value)


def test_negative_input_dimension_names_the_declaration(tmp_path):
    """Found by the fuzzer: the core's 'shape dimension -5 is invalid' named no file."""
    (tmp_path / "net.prototxt").write_text(PROTO.replace("dim: 3", "dim: -5"))
    with pytest.raises(irconv.IrconvError, match=r"net\.prototxt.*input 'data'.*-5"):
        irconv.convert_model(str(tmp_path / "net.prototxt"), framework="caffe")


def test_blob_of_absurd_rank(tmp_path):
    """Found by the fuzzer: a 200-dim BlobShape reached numpy's 64-dim limit."""
    p = _model(tmp_path, _shape_blob([1] * 200, data=b"\0" * 4))
    with pytest.raises(irconv.IrconvError, match=r"net\.caffemodel.*byte offset \d+.*rank 200"):
        irconv.convert_model(p)
