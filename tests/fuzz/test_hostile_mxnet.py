"""Hostile MXNet inputs: .params records and symbol attributes claiming sizes the files cannot
justify, corrupt sparse arrays, and outputs that would overwrite an input."""
import os
import resource
import struct
import sys
import time

import numpy as np
import pytest

import irconv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontends", "mxnet"))
from mx_files import SymBuilder, ndarray_list, record, save_params, sparse_record  # noqa: E402

HUGE = (100000, 100000, 3)          # 120 GB of floats


class Bounded:
    """Asserts a conversion failed fast without growing the process by more than 200 MB."""

    def __enter__(self):
        self.rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        assert time.perf_counter() - self.t0 < 10
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.rss0 < 200 * 1024   # KB


def _fc_model(d, w_record, name="arg:fc_weight"):
    """data[1,3] -> FullyConnected(num_hidden 3, no bias) with the weight record given as bytes."""
    b = SymBuilder()
    y = b.op("FullyConnected", "fc", [b.var("data"), b.var("fc_weight")], num_hidden=3, no_bias=True)
    (d / "model-symbol.json").write_text(b.to_json([y]))
    p = d / "model-0000.params"
    p.write_bytes(ndarray_list([w_record], [name]))
    assert p.stat().st_size < 1024
    return str(p)


def _huge_dense(version):
    """A record whose header claims HUGE but which stores 16 bytes."""
    if version == 0:       # pre-V1: u32 rank, u32 dims
        head = struct.pack("<I", 3) + struct.pack("<3I", 100000, 100000, 3)
    elif version == 1:
        head = struct.pack("<II", 0xF993FAC8, 3) + struct.pack("<3q", *HUGE)
    else:
        head = struct.pack("<IiI", 0xF993FAC9, 0, 3) + struct.pack("<3q", *HUGE)
    return head + struct.pack("<iii", 1, 0, 0) + b"\0" * 16


@pytest.mark.parametrize("version", [0, 1, 2])
def test_params_record_claiming_120_gb_fails_fast(tmp_path, version):
    p = _fc_model(tmp_path, _huge_dense(version))
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"model-0000\.params: offset \d+") as e:
        irconv.convert_model(p, input="data[1,3]")
    assert "120000000000" in str(e.value)


def test_params_header_claiming_2_to_60_arrays(tmp_path):
    p = tmp_path / "model-0000.params"
    p.write_bytes(struct.pack("<QQQ", 0x112, 0, 1 << 60) + b"\0" * 64)
    (tmp_path / "model-symbol.json").write_text(SymBuilder().to_json([]))
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"model-0000\.params: offset 16 .*more than the file"):
        irconv.convert_model(str(p))


def test_row_sparse_array_claiming_a_120_gb_dense_shape(tmp_path):
    rec = sparse_record(1, HUGE, np.ones((1, 100000, 3), np.float32)[:, :1, :1].reshape(1, 1, 1),
                        [np.array([0], np.int64)])
    p = _fc_model(tmp_path, rec)
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"model-0000\.params: offset \d+ .*array 0.*dense") as e:
        irconv.convert_model(p, input="data[1,3]")
    assert "120000000000" in str(e.value)


@pytest.mark.parametrize("case", ["indptr", "columns", "rows"])
def test_corrupt_sparse_indices_are_clean_errors(tmp_path, case):
    w = np.arange(9, dtype=np.float32).reshape(3, 3)
    if case == "rows":      # row_sparse: row index 7 of a 3-row array
        rec = sparse_record(1, (3, 3), w[:1], [np.array([7], np.int64)])
    else:                   # csr of the 3x3 matrix, one index array broken
        indptr, cols = np.array([0, 3, 6, 9], np.int64), np.tile(np.arange(3, dtype=np.int64), 3)
        if case == "indptr":
            indptr = np.array([0, 5, 2, 9], np.int64)
        else:
            cols[4] = 99
        rec = sparse_record(2, (3, 3), w.reshape(-1), [indptr, cols])
    p = _fc_model(tmp_path, rec)
    with pytest.raises(irconv.IrconvError, match=r"model-0000\.params: offset \d+"):
        irconv.convert_model(p, input="data[1,3]")


def test_csr_array_converts_like_its_dense_twin(tmp_path):
    w = np.array([[0, 2, 0], [1, 0, 3], [0, 0, 0]], np.float32)
    indptr, cols = np.array([0, 1, 3, 3], np.int64), np.array([1, 0, 2], np.int64)
    rec = sparse_record(2, (3, 3), w[w != 0], [indptr, cols])
    from irconv.frontends.mxnet.params import load_params
    p = _fc_model(tmp_path, rec)
    np.testing.assert_array_equal(load_params(p)["arg:fc_weight"].to_dense(), w)
    irconv.convert_model(p, input="data[1,3]")


def test_zeros_op_claiming_120_gb_fails_fast(tmp_path):
    b = SymBuilder()
    z = b.op("_zeros", "z", [], shape=HUGE)
    y = b.op("elemwise_add", "y", [b.var("data"), z])
    (tmp_path / "model-symbol.json").write_text(b.to_json([y]))
    save_params(str(tmp_path / "model-0000.params"), {})
    with Bounded(), pytest.raises(irconv.IrconvError, match=r"model-symbol\.json.*'z'"):
        irconv.convert_model(str(tmp_path / "model-symbol.json"), input="data[1]")


def test_zeros_like_of_a_huge_input_does_not_allocate(tmp_path):
    """zeros_like of a (static) 120 GB input is computed at run time, not stored."""
    b = SymBuilder()
    y = b.op("zeros_like", "z", [b.var("data")])
    (tmp_path / "model-symbol.json").write_text(b.to_json([y]))
    save_params(str(tmp_path / "model-0000.params"), {})
    with Bounded():
        m = irconv.convert_model(str(tmp_path / "model-symbol.json"), input="data[100000,100000,3]")
    assert "Broadcast" in m.ops()


# ---------------------------------------------------------------- outputs

def test_every_file_read_is_listed_as_an_input(tmp_path):
    p = _fc_model(tmp_path, record(np.eye(3, dtype=np.float32)))
    m = irconv.convert_model(p, input="data[1,3]")
    listed = {os.path.realpath(f) for f in m.input_files}
    assert {os.path.realpath(p), os.path.realpath(str(tmp_path / "model-symbol.json"))} <= listed


def test_cli_output_may_not_overwrite_the_symbol_file(tmp_path, capsys):
    """--input_symbol graph.xml and --model_name graph: the IR would replace the symbol."""
    from irconv.cli import main
    p = _fc_model(tmp_path, record(np.eye(3, dtype=np.float32)))
    os.rename(str(tmp_path / "model-symbol.json"), str(tmp_path / "graph.xml"))
    before = (tmp_path / "graph.xml").read_bytes()
    rc = main(["--input_model", p, "--input_symbol", str(tmp_path / "graph.xml"), "--input", "data[1,3]",
               "--output_dir", str(tmp_path), "--model_name", "graph"])
    assert rc != 0 and "overwrite an input" in capsys.readouterr().err
    assert (tmp_path / "graph.xml").read_bytes() == before and not (tmp_path / "graph.bin").exists()


# ---------------------------------------------------------------- found by the fuzzer

@pytest.mark.parametrize("stride", ["(-1e308, 2)", "nan", "inf", "(99999999999999999999, 1)"])
def test_integer_attribute_that_is_not_an_int64(tmp_path, stride):
    b = SymBuilder()
    y = b.op("Convolution", "conv", [b.var("data"), b.var("w")], kernel=(1, 1), num_filter=1, no_bias=True)
    b.nodes[-1]["attrs"]["stride"] = stride
    (tmp_path / "model-symbol.json").write_text(b.to_json([y]))
    save_params(str(tmp_path / "model-0000.params"), {"arg:w": np.ones((1, 1, 1, 1), np.float32)})
    with pytest.raises(irconv.IrconvError, match=r"model-symbol\.json.*'conv'.*stride"):
        irconv.convert_model(str(tmp_path / "model-symbol.json"), input="data[1,1,4,4]")


def test_empty_array_whose_other_dims_overflow(tmp_path):
    """Shape (0, 2^62, 2^62): no bytes to read, but numpy cannot represent it either."""
    rec = struct.pack("<IiI", 0xF993FAC9, 0, 3) + struct.pack("<3q", 0, 1 << 62, 1 << 62) + struct.pack("<iii", 1, 0, 0)
    p = _fc_model(tmp_path, rec)
    with pytest.raises(irconv.IrconvError, match=r"model-0000\.params: offset \d+.*too large"):
        irconv.convert_model(p, input="data[1,3]")


@pytest.mark.parametrize("op", ["Convolution", "Deconvolution"])
@pytest.mark.parametrize("group", [0, -2])
def test_non_positive_num_group_is_a_clean_error(tmp_path, op, group):
    """Found by the fuzzer: num_group 0 divided by zero, a negative one gave numpy two -1 dims."""
    b = SymBuilder()
    y = b.op(op, "conv", [b.var("data"), b.var("w")], kernel=(1, 1), num_filter=4, no_bias=True, num_group=group)
    (tmp_path / "model-symbol.json").write_text(b.to_json([y]))
    save_params(str(tmp_path / "model-0000.params"), {"arg:w": np.ones((4, 4, 1, 1), np.float32)})
    with pytest.raises(irconv.IrconvError, match=r"model-symbol\.json.*'conv'.*num_group") as e:
        irconv.convert_model(str(tmp_path / "model-symbol.json"), input="data[1,4,4,4]")
    assert "internal error" not in str(e.value)


def test_head_naming_a_missing_output_names_the_file(tmp_path):
    """Found by the fuzzer (unlocated errors): heads [node, 18] named the node but not the file."""
    b = SymBuilder()
    y = b.op("relu", "act", [b.var("data")])
    js = b.to_json([(y[0], 18)])
    (tmp_path / "model-symbol.json").write_text(js)
    save_params(str(tmp_path / "model-0000.params"), {})
    with pytest.raises(irconv.IrconvError, match=r"model-symbol\.json: output \[1, 18\].*'act' has no output 18"):
        irconv.convert_model(str(tmp_path / "model-symbol.json"), input="data[1,4]")
