"""Kaldi reader: binary and text items, compressed matrices, model detection, and clean errors
(token expected vs found, byte offset) for corrupt and truncated files."""
import os
import random
import struct
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kaldi_writer import KaldiWriter, compress_matrix, text_copy  # noqa: E402

from irconv import IrconvError  # noqa: E402
from irconv.frontends.kaldi.io import KaldiReader, TextReader  # noqa: E402
from irconv.frontends.kaldi.loader import load  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "fixtures", "kaldi")
FIXTURES = os.environ.get("IRCONV_FIXTURES") and os.path.join(os.environ["IRCONV_FIXTURES"], "kaldi") or FIXTURES


def fixture_models():
    out = []
    for case in sorted(os.listdir(FIXTURES)):
        d = os.path.join(FIXTURES, case)
        for f in sorted(os.listdir(d)):
            if f.endswith((".nnet", ".mdl", ".raw")):
                out.append(os.path.join(d, f))
    return out


def reader(w):
    data = w.bytes()
    return KaldiReader(data, "mem") if w.binary else TextReader(data, "mem")


@pytest.mark.parametrize("binary", [True, False])
def test_basic_items_round_trip(binary):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 5)).astype(np.float32)
    v = rng.standard_normal(7).astype(np.float32)
    w = KaldiWriter(binary)
    w.token("<A>").int(-17).float(1.5).float(2.25, double=True).bool(True).bool(False)
    w.int_vector([-2, 0, 2]).matrix(m).vector(v).matrix(m.astype(np.float64), kind="DM").vector(v, kind="DV")
    w.matrix(np.zeros((0, 0))).vector(np.zeros(0)).token("</A>")
    r = reader(w)
    assert r.binary == binary
    r.expect_token("<A>")
    assert r.read_int() == -17
    assert r.read_float() == 1.5
    assert r.read_float() == 2.25
    assert r.read_bool() is True and r.read_bool() is False
    assert r.read_int_vector().tolist() == [-2, 0, 2]
    np.testing.assert_array_equal(r.read_matrix(), m)
    np.testing.assert_array_equal(r.read_vector(), v)
    np.testing.assert_array_equal(r.read_matrix(), m)
    np.testing.assert_array_equal(r.read_vector(), v)
    assert r.read_matrix().shape[0] == 0 and r.read_vector().shape == (0,)
    r.expect_token("</A>")
    assert r.eof()


def _decompress_reference(m_bytes, kind):
    """Kaldi's CompressedMatrix::CopyToMat written out loop by loop (independent of irconv)."""
    body = m_bytes[len(kind) + 1:]
    mn, rng, rows, cols = struct.unpack_from("<ffii", body, 0)
    off = 16
    out = np.zeros((rows, cols), np.float32)
    if kind == "CM":
        hdr = struct.unpack_from("<%dH" % (4 * cols), body, off)
        off += 8 * cols
        for c in range(cols):
            p = [np.float32(mn) + np.float32(rng) * np.float32(1.52590218966964e-05) * np.float32(hdr[4 * c + k])
                 for k in range(4)]
            for r_ in range(rows):
                b = body[off + c * rows + r_]
                if b <= 64:
                    out[r_, c] = p[0] + (p[1] - p[0]) * b * (1 / 64.0)
                elif b <= 192:
                    out[r_, c] = p[1] + (p[2] - p[1]) * (b - 64) * (1 / 128.0)
                else:
                    out[r_, c] = p[2] + (p[3] - p[2]) * (b - 192) * (1 / 63.0)
    elif kind == "CM2":
        vals = struct.unpack_from("<%dH" % (rows * cols), body, off)
        out[:] = np.float32(mn) + np.asarray(vals, np.float32).reshape(rows, cols) * np.float32(rng / 65535.0)
    else:
        vals = body[off:off + rows * cols]
        out[:] = np.float32(mn) + np.frombuffer(vals, np.uint8).astype(np.float32).reshape(rows, cols) * np.float32(rng / 255.0)
    return out


@pytest.mark.parametrize("kind,tol", [("CM", 0.05), ("CM2", 1e-4), ("CM3", 0.02)])
@pytest.mark.parametrize("shape", [(7, 5), (3, 4), (1, 6)])
def test_compressed_matrices(kind, tol, shape):
    rng = np.random.default_rng(1)
    m = rng.uniform(-1, 1, shape).astype(np.float32)
    blob = compress_matrix(m, kind)
    w = KaldiWriter(True).token("<W>").raw(blob).token("</W>")
    r = reader(w)
    r.expect_token("<W>")
    got = r.read_matrix()
    r.expect_token("</W>")
    assert got.shape == shape and got.dtype == np.float32
    np.testing.assert_allclose(got, _decompress_reference(blob, kind), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got, m, atol=tol)


def test_empty_compressed_matrix_as_kaldi_writes_it():
    # Kaldi writes an empty CM with the 20-byte GlobalHeader (format word included)
    w = KaldiWriter(True).token("<W>").token("CM").raw(struct.pack("<iffii", 1, 0, 0, 0, 0)).token("</W>")
    r = reader(w)
    r.expect_token("<W>")
    assert r.read_matrix().size == 0
    r.expect_token("</W>")


def test_text_matrix_rows_and_errors():
    r = TextReader(b" [\n  1 2 3 \n  4 5 6 ]\n [ 1 2 ]\n", "t.txt")
    np.testing.assert_array_equal(r.read_matrix(), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(r.read_vector(), [1, 2])
    r = TextReader(b" [\n  1 2 3 \n  4 5 ]\n", "t.txt")
    with pytest.raises(IrconvError, match="rows have different lengths"):
        r.read_matrix()
    r = TextReader(b" [ 1 x 3 ]", "t.txt")
    with pytest.raises(IrconvError, match=r"t.txt: byte 1 \(line 1\).*expected a number, found 'x'"):
        r.read_vector()
    r = TextReader(b" [ 1 2 3 ", "t.txt")
    with pytest.raises(IrconvError, match="no closing"):
        r.read_vector()


def test_token_mismatch_names_both_and_the_offset():
    w = KaldiWriter(True).token("<Nnet>").token("<Foo>")
    r = reader(w)
    r.expect_token("<Nnet>")
    with pytest.raises(IrconvError) as e:
        r.expect_token("<Bar>")
    assert "mem: byte 9: expected token '<Bar>', found '<Foo>'" in str(e.value)


def test_wrong_size_byte():
    r = KaldiReader(b"\0B<A> \x08\x00\x00\x00\x00\x00\x00\x00\x00", "m.bin")
    r.expect_token("<A>")
    with pytest.raises(IrconvError, match=r"m.bin: byte 6: expected an int32 \(size byte 4\)"):
        r.read_int()


def test_not_a_kaldi_model(tmp_path):
    p = tmp_path / "x.mdl"
    p.write_bytes(b"\0B<Hello> ")
    with pytest.raises(IrconvError, match=r"x.mdl: byte 2: not a Kaldi model: expected '<Nnet>'.*found '<Hello>'"):
        load(str(p))
    p.write_bytes(b"")
    with pytest.raises(IrconvError, match="empty"):
        load(str(p))
    with pytest.raises(IrconvError, match="cannot read Kaldi model"):
        load(str(tmp_path / "missing.nnet"))


@pytest.mark.parametrize("path", fixture_models(), ids=lambda p: os.path.basename(os.path.dirname(p)))
def test_truncated_fixtures_give_clean_errors(tmp_path, path):
    data = open(path, "rb").read()
    cuts = sorted(set([1, 2, 3, 10] + list(range(5, len(data) - 1, max(1, len(data) // 60))) + [len(data) - 1]))
    dst = tmp_path / os.path.basename(path)
    for cut in cuts:
        if not data[cut:].strip():
            continue  # only trailing whitespace removed: still a complete model
        dst.write_bytes(data[:cut])
        with pytest.raises(IrconvError) as e:
            load(str(dst))
        msg = str(e.value)
        assert msg.startswith(str(dst)), msg
        assert "byte" in msg or "empty" in msg, msg


@pytest.mark.parametrize("path", fixture_models(), ids=lambda p: os.path.basename(os.path.dirname(p)))
def test_corrupt_fixtures_give_clean_errors(tmp_path, path):
    """Random byte changes: the reader either succeeds (weights changed) or raises IrconvError
    naming the file; never another exception."""
    import irconv
    data = bytearray(open(path, "rb").read())
    rnd = random.Random(7)
    dst = tmp_path / os.path.basename(path)
    errors = 0
    for i in range(60):
        b = bytearray(data)
        for _ in range(1 + i % 3):
            pos = rnd.randrange(len(b))
            b[pos] = rnd.choice([0, 4, 8, 0xFF, ord("<"), ord(" "), ord("F"), rnd.randrange(256)])
        dst.write_bytes(bytes(b))
        try:
            if i % 6 == 0:
                irconv.convert_model(str(dst), framework="kaldi")
            else:
                load(str(dst))
        except IrconvError as e:
            errors += 1
            assert str(dst) in str(e)
    assert errors > 0


def test_text_copy_reads_like_the_binary(tmp_path):
    for path in fixture_models():
        t = str(tmp_path / ("t_" + os.path.basename(path)))
        text_copy(path, t)
        a, b = load(path), load(t)
        assert a.flavour == b.flavour
        assert list(a.nodes) == list(b.nodes)
        for ca, cb in zip(a.components(), b.components()):
            assert ca.type == cb.type and sorted(ca.fields) == sorted(cb.fields)
            for k, v in ca.fields.items():
                if isinstance(v, np.ndarray):
                    np.testing.assert_allclose(cb.fields[k], v, rtol=1e-6, atol=1e-7)
        if a.priors is not None:
            np.testing.assert_allclose(b.priors, a.priors, rtol=1e-6)


def test_cli_reports_a_corrupt_model_in_one_line(tmp_path, capsys):
    from irconv import cli
    src = [p for p in fixture_models() if p.endswith("final.mdl") and "nnet3" in p][0]
    data = open(src, "rb").read()
    i = data.index(b"<RightContext>")
    bad = tmp_path / "final.mdl"
    bad.write_bytes(data[:i] + b"<RightKontext>" + data[i + 14:])
    assert cli.main(["--input_model", str(bad), "--output_dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0] == "[ ERROR ] %s: byte %d: expected token '<RightContext>', found '<RightKontext>'" % (bad, i)
    assert not list(tmp_path.glob("*.xml"))
