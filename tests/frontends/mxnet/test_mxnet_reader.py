"""The .params reader and the symbol JSON loader on hand-made files: every record version and
dtype, sparse and unnamed lists, both JSON layouts, and truncated / corrupt files (a clean
IrconvError naming the file and the offset, never a crash)."""
import json
import struct

import numpy as np
import pytest

from irconv.errors import IrconvError
from irconv.frontends.mxnet.params import SparseArray, load_params, parse_params, split_arg_aux
from irconv.frontends.mxnet.symbol import load_symbol, parse_symbol
from mx_files import SymBuilder, ndarray_list, record, run_model, sparse_record

W = np.arange(6, dtype=np.float32).reshape(2, 3)


def _write(tmp_path, data, name="m-0000.params"):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_v2_layout_matches_the_note_byte_for_byte():
    data = ndarray_list([record(W, 2)], ["arg:w"])
    assert data[:0x18] == struct.pack("<QQQ", 0x112, 0, 1)
    assert data[0x18:0x1c] == bytes([0xc9, 0xfa, 0x93, 0xf9])
    assert data[0x58:0x60] == struct.pack("<Q", 1) and data[0x60:0x68] == struct.pack("<Q", 5)
    out = parse_params(data)
    np.testing.assert_array_equal(out["arg:w"], W)


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_record_versions(tmp_path, version):
    p = _write(tmp_path, ndarray_list([record(W, version), record(W[0] * 2, version)], ["arg:w", "aux:m"]))
    out = load_params(p)
    assert list(out) == ["arg:w", "aux:m"]
    np.testing.assert_array_equal(out["arg:w"], W)
    np.testing.assert_array_equal(out["aux:m"], W[0] * 2)
    args, auxs = split_arg_aux(out, p)
    assert list(args) == ["w"] and list(auxs) == ["m"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.uint8, np.int32, np.int8, np.int64, np.bool_])
def test_dtypes(dtype):
    a = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    out = parse_params(ndarray_list([record(a)], ["x"]))
    assert out["x"].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out["x"], a)


def test_v3_scalar_and_zero_size():
    s = np.array(3.5, dtype=np.float32)
    z = np.zeros((2, 0, 3), dtype=np.float32)
    out = parse_params(ndarray_list([record(s, 3), record(z, 3)], ["s", "z"]))
    assert out["s"].shape == () and float(out["s"]) == 3.5
    assert out["z"].shape == (2, 0, 3)


def test_v2_empty_none_array():
    out = parse_params(ndarray_list([record(np.array(1.0, np.float32), 2)], ["e"]))
    assert out["e"].size == 0


def test_unnamed_list_and_empty_checkpoint():
    out = parse_params(ndarray_list([record(W), record(W)]))
    assert isinstance(out, list) and len(out) == 2
    assert parse_params(ndarray_list([])) == []
    assert split_arg_aux([], "x") == ({}, {})
    with pytest.raises(IrconvError, match="unnamed"):
        split_arg_aux(out, "x.params")


def test_sparse_records():
    rows = np.array([0, 2], dtype=np.int64)
    vals = np.array([[1, 2], [3, 4]], dtype=np.float32)
    indptr = np.array([0, 1, 1, 3], dtype=np.int64)
    cols = np.array([1, 0, 2], dtype=np.int64)
    cvals = np.array([5, 6, 7], dtype=np.float32)
    out = parse_params(ndarray_list([sparse_record(1, (3, 2), vals, [rows]), sparse_record(2, (3, 3), cvals, [indptr, cols])],
                                    ["arg:rs", "arg:csr"]))
    assert isinstance(out["arg:rs"], SparseArray) and out["arg:rs"].stype == "row_sparse"
    np.testing.assert_array_equal(out["arg:rs"].to_dense(), [[1, 2], [0, 0], [3, 4]])
    np.testing.assert_array_equal(out["arg:csr"].to_dense(), [[0, 5, 0], [0, 0, 0], [6, 0, 7]])
    args, _ = split_arg_aux(out, "x")
    assert isinstance(args["rs"], np.ndarray)


def test_arrays_are_views_of_the_file(tmp_path):
    big = np.random.RandomState(0).rand(64, 64).astype(np.float32)
    p = _write(tmp_path, ndarray_list([record(big)], ["arg:w"]))
    a = load_params(p)["arg:w"]
    assert not a.flags.owndata and not a.flags.writeable
    np.testing.assert_array_equal(a, big)


# ---------------------------------------------------------------- broken files

GOOD = ndarray_list([record(W, 2), record(W.astype(np.float16), 1), record(W, 0)], ["arg:a", "arg:b", "aux:c"])


def test_every_truncation_is_a_clean_error(tmp_path):
    p = str(tmp_path / "t-0000.params")
    for n in range(len(GOOD)):
        with open(p, "wb") as f:
            f.write(GOOD[:n])
        with pytest.raises(IrconvError) as e:
            load_params(p)
        msg = str(e.value)
        assert p in msg and "offset" in msg, msg


@pytest.mark.parametrize("patch,what", [
    ((0, struct.pack("<Q", 0x113)), "magic"),
    ((16, struct.pack("<Q", 1 << 40)), "more than the file"),
    ((0x1c, struct.pack("<i", 7)), "storage type"),
    ((0x20, struct.pack("<I", 1000)), "rank"),
    ((0x3c, struct.pack("<i", 99)), "dtype flag 99"),
    ((0x3c, struct.pack("<i", 12)), "bfloat16"),
    ((0x18, struct.pack("<I", 0x12345678)), "expected an NDArray record"),
])
def test_corrupt_fields(tmp_path, patch, what):
    data = bytearray(ndarray_list([record(W, 2)], ["arg:w"]))
    off, b = patch
    data[off:off + len(b)] = b
    p = _write(tmp_path, bytes(data))
    with pytest.raises(IrconvError, match=what) as e:
        load_params(p)
    assert p in str(e.value) and "offset" in str(e.value)


def test_trailing_bytes_and_name_count(tmp_path):
    with pytest.raises(IrconvError, match="unexpected byte"):
        load_params(_write(tmp_path, ndarray_list([record(W)], ["w"]) + b"x"))
    bad = ndarray_list([record(W), record(W)], ["a"])
    with pytest.raises(IrconvError, match="1 names for 2 arrays"):
        load_params(_write(tmp_path, bad, "b-0000.params"))
    nonutf = ndarray_list([record(W)], ["w"])[:-1] + b"\xff"
    with pytest.raises(IrconvError, match="UTF-8"):
        load_params(_write(tmp_path, nonutf, "c-0000.params"))


def test_missing_and_empty_file(tmp_path):
    with pytest.raises(IrconvError, match="cannot read"):
        load_params(str(tmp_path / "nope.params"))
    with pytest.raises(IrconvError, match="offset 0"):
        load_params(_write(tmp_path, b""))


def test_fuzzed_files_never_crash(tmp_path):
    rng = np.random.RandomState(1)
    p = str(tmp_path / "f-0000.params")
    for _ in range(300):
        data = bytearray(GOOD)
        for _ in range(rng.randint(1, 4)):
            data[rng.randint(0, len(data))] = rng.randint(0, 256)
        with open(p, "wb") as f:
            f.write(bytes(data))
        try:
            load_params(p)
        except IrconvError as e:
            assert p in str(e)


def test_cli_reports_a_broken_params_file(tmp_path, capsys):
    from irconv import cli
    b = SymBuilder()
    y = b.op("relu", "r", [b.var("data")])
    (tmp_path / "m-symbol.json").write_text(b.to_json([y]))
    p = _write(tmp_path, GOOD[:50])
    assert cli.main(["--input_model", p, "--input_shape", "[1,2]", "--output_dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "m-0000.params" in err and "offset" in err and "Traceback" not in err


# ---------------------------------------------------------------- symbol JSON

def _legacy_json():
    """A pre-0.9 style graph: param/attr keys, two-element inputs, BatchNorm without aux inputs,
    no node_row_ptr and no mxnet_version."""
    return json.dumps({
        "nodes": [
            {"op": "null", "param": {}, "name": "data", "inputs": [], "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "fc_weight", "inputs": [], "backward_source_id": -1,
             "attr": {"lr_mult": "2"}},
            {"op": "null", "param": {}, "name": "fc_bias", "inputs": [], "backward_source_id": -1},
            {"op": "FullyConnected", "param": {"no_bias": "False", "num_hidden": "3"}, "name": "fc",
             "inputs": [[0, 0], [1, 0], [2, 0]], "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "bn_gamma", "inputs": [], "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "bn_beta", "inputs": [], "backward_source_id": -1},
            {"op": "BatchNorm", "param": {"eps": "0.001", "fix_gamma": "False", "momentum": "0.9",
                                          "use_global_stats": "False"},
             "name": "bn", "inputs": [[3, 0], [4, 0], [5, 0]], "backward_source_id": -1},
        ],
        "arg_nodes": [0, 1, 2, 4, 5],
        "heads": [[6, 0]],
    })


def _current_json():
    b = SymBuilder()
    x = b.var("data")
    fc = b.op("FullyConnected", "fc", [x, b.var("fc_weight"), b.var("fc_bias")], num_hidden=3)
    bn = b.op("BatchNorm", "bn", [fc, b.var("bn_gamma"), b.var("bn_beta"), b.var("bn_moving_mean"),
                                  b.var("bn_moving_var")], eps=0.001, fix_gamma=False)
    return b.to_json([bn])


def test_legacy_layout_is_upgraded():
    sym = parse_symbol(json.loads(_legacy_json()), "old.json")
    assert sym.version == 800
    bn = sym.by_name["bn"]
    names = [sym.nodes[i].name for i, _ in bn.inputs]
    assert names == ["fc", "bn_gamma", "bn_beta", "bn_moving_mean", "bn_moving_var"]
    assert sym.by_name["fc"].attrs["num_hidden"] == "3"
    assert sym.by_name["fc_weight"].attrs["__lr_mult__"] == "2"


def _weights():
    r = np.random.RandomState(3)
    return {"arg:fc_weight": r.randn(3, 5).astype(np.float32), "arg:fc_bias": r.randn(3).astype(np.float32),
            "arg:bn_gamma": r.rand(3).astype(np.float32) + 0.5, "arg:bn_beta": r.randn(3).astype(np.float32),
            "aux:bn_moving_mean": r.randn(3).astype(np.float32), "aux:bn_moving_var": r.rand(3).astype(np.float32) + 0.5}


def _reference(x, w):
    y = x @ w["arg:fc_weight"].T + w["arg:fc_bias"]
    return (y - w["aux:bn_moving_mean"]) / np.sqrt(w["aux:bn_moving_var"] + 1e-3) * w["arg:bn_gamma"] + w["arg:bn_beta"]


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_both_layouts_convert_the_same(layout):
    x = np.random.RandomState(4).randn(2, 5).astype(np.float32)
    w = _weights()
    got = run_model(_current_json() if layout == "current" else _legacy_json(), w, {"data": x})
    np.testing.assert_allclose(got["bn_output"], _reference(x, w), rtol=1e-5, atol=1e-5)


def test_legacy_flag_upgrades_a_versioned_file():
    obj = json.loads(_legacy_json())
    obj["attrs"] = {"mxnet_version": ["int", 10901]}
    assert len(parse_symbol(obj, "x").by_name["bn"].inputs) == 3
    assert len(parse_symbol(obj, "x", legacy=True).by_name["bn"].inputs) == 5
    x = np.random.RandomState(4).randn(2, 5).astype(np.float32)
    w = _weights()
    got = run_model(json.dumps(obj), w, {"data": x}, legacy_mxnet_model=True)
    np.testing.assert_allclose(got["bn_output"], _reference(x, w), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("text,what", [
    ("{", "bad JSON"),
    ("[]", "not an MXNet symbol"),
    ('{"nodes": [{"op": "null", "name": "a", "inputs": []}]}', "heads"),
    ('{"nodes": [{"op": "relu", "name": "a", "inputs": [[0, 0, 0]]}], "heads": [[0, 0, 0]]}', "topological"),
    ('{"nodes": [{"op": "null", "name": "a", "inputs": []}], "heads": [[3, 0, 0]]}', "out of range"),
    ('{"nodes": [{"op": "null", "name": "a", "inputs": []}, {"op": "null", "name": "a", "inputs": []}],'
     ' "heads": [[0, 0, 0]]}', "both named"),
    ('{"nodes": [{"op": 3, "name": "a"}], "heads": [[0, 0, 0]]}', "must be strings"),
])
def test_bad_symbol_files(tmp_path, text, what):
    p = tmp_path / "x-symbol.json"
    p.write_text(text)
    with pytest.raises(IrconvError, match=what) as e:
        load_symbol(str(p))
    assert str(p) in str(e.value)


def test_symbol_not_utf8(tmp_path):
    p = tmp_path / "x-symbol.json"
    p.write_bytes(b'{"nodes": "\xff"}')
    with pytest.raises(IrconvError, match="offset 11"):
        load_symbol(str(p))
