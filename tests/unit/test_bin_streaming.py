"""The streaming .bin writer: f16 conversion (F16C and the portable loop give the same bits),
OpenVINO's rule of keeping f32 when most values do not fit f16 (decided while streaming, the blob
rewritten), sampled-fingerprint deduplication confirmed byte by byte, staging-buffer boundaries,
odd offsets, direct writes of large raw blobs, and weights read from an mmap."""
import mmap
import os
import re
import subprocess
import sys

import numpy as np

from irconv import _core

HERE = os.path.dirname(os.path.abspath(__file__))


def _save(consts, d, fp16=True):
    g = _core.Graph("t")
    for i, v in enumerate(consts):
        c = g.constant(v, name="c%d" % i)
        g.result(c.output(0))
    xml = os.path.join(d, "m.xml")
    g.save(xml, os.path.join(d, "m.bin"), compress_to_fp16=fp16)
    return xml


def _blobs(xml):
    """{const name (without _compressed): (element type, offset, size)}."""
    text = open(xml).read()
    out = {}
    for m in re.finditer(r'name="([^"]+)" type="Const"[^>]*>\s*<data element_type="(\w+)" shape="[^"]*" '
                         r'offset="(\d+)" size="(\d+)"', text):
        out[m.group(1).replace("_compressed", "")] = (m.group(2), int(m.group(3)), int(m.group(4)))
    return out


def _bytes(xml, blob):
    with open(xml[:-4] + ".bin", "rb") as f:
        f.seek(blob[1])
        return f.read(blob[2])


def _ref_f16(v):
    return np.clip(v, -65504, 65504).astype(np.float16)


def _tricky(n, seed=0):
    """Values over every f16 regime: normal, subnormal, underflow, overflow, inf, nan, ties."""
    rng = np.random.default_rng(seed)
    v = (rng.standard_normal(n) * np.exp2(rng.integers(-30, 20, n))).astype(np.float32)
    v[:64] = [0.0, -0.0, np.inf, -np.inf, np.nan, 65504, 65505, 65519.99, 65520, 1e9, -1e9, 2.0 ** -24,
              2.0 ** -25, 2.0 ** -25 * 1.0001, 2.0 ** -14, 2.0 ** -14 * 0.99999, 1 + 2.0 ** -11,
              1 + 3 * 2.0 ** -11, 6.1e-5, -6.1e-5, 1e-8, -1e-8, 3.0e-8, 5.9604645e-08] + [1.0] * 40
    return v


def test_f16_bits_match_numpy_across_buffers(tmp_path):
    small = np.arange(5, dtype=np.uint8)                       # odd size: later blobs start after padding
    v = _tricky(5_000_001)                                     # 10 MB as f16: spans two 8 MiB windows
    xml = _save([small, v], str(tmp_path))
    b = _blobs(xml)
    assert b["c1"][0] == "f16" and b["c1"][1] % 64 == 0
    got = np.frombuffer(_bytes(xml, b["c1"]), np.uint16)
    ref = _ref_f16(v).view(np.uint16)
    nan = np.isnan(v)
    np.testing.assert_array_equal(got[~nan], ref[~nan])
    assert np.all((got[nan] & 0x7e00) == 0x7e00)
    assert _bytes(xml, b["c0"]) == small.tobytes()


def test_portable_conversion_gives_the_same_bytes(tmp_path):
    v = _tricky(1_000_003, seed=1)
    v[100:110] = np.frombuffer(np.array([0x7f800001, 0xffc00123, 0x7fbfffff, 0x00000001, 0x807fffff,
                                         0x33000000, 0x33000001, 0x387fe000, 0x387ff000, 0x477ff000],
                                        np.uint32).tobytes(), np.float32)
    np.save(tmp_path / "v.npy", v)
    code = ("import sys, numpy as np; sys.path.insert(0, %r); from test_bin_streaming import _save; "
            "_save([np.load(sys.argv[1])], sys.argv[2])" % HERE)
    outs = []
    for flag in ("0", "1"):
        d = tmp_path / ("run" + flag)
        d.mkdir()
        env = dict(os.environ, IRCONV_NO_F16C=flag)
        subprocess.check_call([sys.executable, "-c", code, str(tmp_path / "v.npy"), str(d)], env=env)
        outs.append((d / "m.bin").read_bytes())
    assert outs[0] == outs[1]


def test_mostly_out_of_range_stays_f32_after_streaming(tmp_path):
    first = np.linspace(-1, 1, 1000, dtype=np.float32)
    big = np.full(5_000_000, 1e6, np.float32)                  # f16 attempt crosses a window, then rewound
    big[:1_000_000] = 0.5                                      # 80% do not fit f16
    last = np.arange(7, dtype=np.float32)
    xml = _save([first, big, last], str(tmp_path))
    b = _blobs(xml)
    assert b["c1"][0] == "f32" and b["c1"][2] == big.nbytes
    assert _bytes(xml, b["c1"]) == big.tobytes()
    assert b["c0"][0] == "f16" and _bytes(xml, b["c0"]) == _ref_f16(first).tobytes()
    assert b["c2"][0] == "f16" and _bytes(xml, b["c2"]) == _ref_f16(last).tobytes()
    assert b["c2"][1] >= b["c1"][1] + b["c1"][2]
    assert os.path.getsize(xml[:-4] + ".bin") == b["c2"][1] + b["c2"][2]
    # 70% out of range: compressed (clamped)
    half = big.copy()
    half[:1_500_000] = 0.5
    d = tmp_path / "b"
    d.mkdir()
    xml = _save([half], str(d))
    assert _blobs(xml)["c0"][0] == "f16"


def test_dedup_is_confirmed_byte_by_byte(tmp_path):
    a = np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32)
    same = a.copy()
    near = a.copy()
    near[12345] += 1.0                                         # same head, tail and samples, one value differs
    xml = _save([a, same, near], str(tmp_path))
    b = _blobs(xml)
    assert b["c0"][1] == b["c1"][1]
    assert b["c2"][1] != b["c0"][1]
    assert _bytes(xml, b["c2"]) == _ref_f16(near).tobytes()


def test_large_raw_blobs_and_mmap_sources(tmp_path):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((1000, 700)).astype(np.float32)    # 2.8 MB: written straight from its source
    path = tmp_path / "w.raw"
    with open(path, "wb") as f:
        f.write(b"\1" * 100 + w.tobytes() + b"\2" * 3)
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    view = np.frombuffer(memoryview(mm)[100:100 + w.nbytes], np.float32).reshape(w.shape)
    odd = np.arange(3, dtype=np.uint8)
    for fp16 in (False, True):
        d = tmp_path / ("fp16" if fp16 else "f32")
        d.mkdir()
        xml = _save([odd, view, w[::-1].copy()], str(d), fp16=fp16)
        b = _blobs(xml)
        conv = _ref_f16 if fp16 else (lambda x: x)
        assert _bytes(xml, b["c1"]) == conv(w).tobytes()
        assert _bytes(xml, b["c2"]) == conv(w[::-1]).tobytes()
        assert b["c1"][1] % 64 == 0 and b["c2"][1] % 64 == 0
    # the pages dropped after writing are read again from the file when needed
    np.testing.assert_array_equal(view, w)
