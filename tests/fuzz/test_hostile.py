"""Hostile ONNX inputs: sizes the file cannot justify, paths out of the model's folder, outputs
that would overwrite inputs, and no half-written IR after a failure."""
import os
import resource
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import irconv


def _model(tmp_path, init, name="m.onnx"):
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [init])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    p = str(tmp_path / name)
    onnx.save(m, p)
    return p


def _external(tmp_path, location, data=b"\0" * 16):
    t = TensorProto()
    t.name, t.data_type = "w", TensorProto.FLOAT
    t.dims.extend([4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(len(data)))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def test_tensor_claiming_100_gb_fails_fast(tmp_path):
    t = TensorProto()
    t.name, t.data_type = "w", TensorProto.FLOAT
    t.dims.extend([100000, 100000, 3])          # 120 GB of floats ...
    t.raw_data = b"\0" * 16                     # ... backed by 16 bytes
    p = _model(tmp_path, t)
    assert os.path.getsize(p) < 1024
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with pytest.raises(irconv.IrconvError, match="w"):
        irconv.convert_model(p)
    assert time.perf_counter() - t0 < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0 < 200 * 1024   # KB: < 200 MB more


def test_external_data_claiming_more_than_the_file_has(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"\0" * 8)
    p = _model(tmp_path, _external(tmp_path, "w.bin", b"\0" * 16))
    with pytest.raises(irconv.IrconvError, match="w.bin"):
        irconv.convert_model(p)


@pytest.mark.parametrize("where", ["dotdot", "absolute", "symlink"])
def test_external_data_outside_the_model_folder_is_refused(tmp_path, where):
    outside = tmp_path / "secret.bin"
    outside.write_bytes(np.arange(4, dtype=np.float32).tobytes())
    d = tmp_path / "model"
    d.mkdir()
    if where == "dotdot":
        loc = "../secret.bin"
    elif where == "absolute":
        loc = str(outside)
    else:
        os.symlink(str(outside), str(d / "link.bin"))
        loc = "link.bin"
    p = _model(d, _external(d, loc))
    with pytest.raises(irconv.IrconvError, match="outside|absolute"):
        irconv.convert_model(p)


def test_output_may_not_overwrite_an_input(tmp_path):
    """External weights named like the IR's .bin: writing would destroy the model's data."""
    (tmp_path / "m.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    p = _model(tmp_path, _external(tmp_path, "m.bin", np.arange(4, dtype=np.float32).tobytes()))
    m = irconv.convert_model(p)
    before = (tmp_path / "m.bin").read_bytes()
    with pytest.raises(irconv.IrconvError, match="overwrite an input"):
        m.save(str(tmp_path / "m.xml"))
    assert (tmp_path / "m.bin").read_bytes() == before and not (tmp_path / "m.xml").exists()


def test_failed_write_leaves_no_partial_ir(tmp_path):
    t = helper.make_tensor("w", TensorProto.FLOAT, [4], [1, 2, 3, 4])
    m = irconv.convert_model(_model(tmp_path, t))
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.bin").mkdir()                     # the final rename of the .bin must fail
    with pytest.raises(irconv.IrconvError):
        m.save(str(out / "r.xml"))
    assert sorted(os.listdir(out)) == ["r.bin"]   # no r.xml, no temporary files


def test_dims_whose_product_overflows_int64(tmp_path):
    """2^32 x 2^32 wraps to 0 in int64: an empty raw_data must not pass for that shape."""
    t = TensorProto()
    t.name, t.data_type = "w", TensorProto.FLOAT
    t.dims.extend([1 << 32, 1 << 32])
    t.raw_data = b""
    with pytest.raises(irconv.IrconvError, match="'w'"):
        irconv.convert_model(_model(tmp_path, t))


def _sparse_model(tmp_path, dims, values, indices):
    sp = helper.make_sparse_tensor(helper.make_tensor("w", TensorProto.FLOAT, [len(values)], values),
                                   helper.make_tensor("w_idx", TensorProto.INT64, list(np.shape(indices)),
                                                      np.asarray(indices).reshape(-1).tolist()), dims)
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], sparse_initializer=[sp])
    p = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), p)
    return p


def test_sparse_initializer_claiming_a_120_gb_dense_shape(tmp_path):
    p = _sparse_model(tmp_path, [100000, 100000, 3], [1.0], [0])
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx.*sparse tensor 'w'"):
        irconv.convert_model(p)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0 < 200 * 1024


@pytest.mark.parametrize("indices", [[7], [-1], [[0], [1]], [[9]]], ids=["linear", "negative", "count", "coord"])
def test_sparse_initializer_indices_outside_the_shape(tmp_path, indices):
    p = _sparse_model(tmp_path, [4], [1.0], indices)       # one value (the "count" case: two indices)
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx.*sparse tensor 'w'"):
        irconv.convert_model(p)


def test_sparse_initializer_still_densifies(tmp_path):
    from irconv.frontends.onnx.loader import ExternalData, sparse_to_value
    for idx in ([[1], [3]], [1, 3]):
        p = _sparse_model(tmp_path, [4], [5.0, 7.0], idx)
        sp = onnx.load(p).graph.sparse_initializer[0]
        np.testing.assert_array_equal(sparse_to_value(sp, ExternalData(p)), [0, 5, 0, 7])
        irconv.convert_model(p)


@pytest.mark.parametrize("offset", ["-8", "x", "99999999999999999999"])
def test_external_data_with_a_bad_offset(tmp_path, offset):
    (tmp_path / "w.bin").write_bytes(b"\0" * 16)
    t = _external(tmp_path, "w.bin")
    for e in t.external_data:
        if e.key == "offset":
            e.value = offset
    with pytest.raises(irconv.IrconvError, match="'w'"):
        irconv.convert_model(_model(tmp_path, t))


# ---------------------------------------------------------------- found by the fuzzer

@pytest.mark.parametrize("group", [0, -2, 3])
def test_conv_group_that_does_not_divide_the_weights(tmp_path, group):
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 1, 1, 1], [1.0] * 4)
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], group=group, name="conv")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    p = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), p)
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx: Conv node 'conv'.*group") as e:
        irconv.convert_model(p)
    assert "internal error" not in str(e.value)


@pytest.mark.parametrize("bad", ["utf8", "kind"])
def test_attribute_not_utf8_or_of_the_wrong_kind(tmp_path, bad):
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="rs", mode="nearest")
    if bad == "utf8":
        node.attribute[0].s = b"near\xe8"
    else:
        node.attribute[0].CopyFrom(helper.make_attribute("mode", 3))     # an INT where a STRING belongs
    scales = helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, 2, 2])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [scales])
    p = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)]), p)
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx: Resize node 'rs'.*attribute 'mode'") as e:
        irconv.convert_model(p)
    assert "internal error" not in str(e.value)


def test_input_of_absurd_rank_is_a_clean_error(tmp_path):
    """Found by the fuzzer: a 203-dim graph input reached numpy's 64-dim limit in a translator."""
    g = helper.make_graph([helper.make_node("LeakyRelu", ["x"], ["y"], name="lr")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] * 203)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    p = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)]), p)
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx: graph input 'x': rank 203"):
        irconv.convert_model(p)


def test_initializer_of_absurd_rank_is_a_clean_error(tmp_path):
    t = helper.make_tensor("w", TensorProto.FLOAT, [1] * 100, [1.0])
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx: tensor 'w': rank 100"):
        irconv.convert_model(_model(tmp_path, t))


@pytest.mark.parametrize("scale", [float("inf"), float("nan"), 0.0, -2.0])
def test_resize_with_scales_that_are_not_positive_and_finite(tmp_path, scale):
    """Found by the fuzzer: an infinite scale reached int() (OverflowError)."""
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="rs", mode="nearest")
    scales = helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, scale, 2])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [scales])
    p = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), p)
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx: Resize node 'rs'.*scales") as e:
        irconv.convert_model(p)
    assert "internal error" not in str(e.value)


def test_external_data_location_with_a_nul_byte(tmp_path):
    """Found by the fuzzer: os.path.realpath raised ValueError (embedded null byte)."""
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx.*'w'.*NUL"):
        irconv.convert_model(_model(tmp_path, _external(tmp_path, "w\0.bin")))


def test_attribute_of_another_type_than_the_schema_defines(tmp_path):
    """Found by the fuzzer: a Conv kernel_shape holding a GRAPH reached len() (TypeError)."""
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    node.attribute.append(helper.make_attribute("kernel_shape", helper.make_graph([], "sub", [], [])))
    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 1, 1, 1], [1.0])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    p = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), p)
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx: Conv node 'conv'.*'kernel_shape' is GRAPH.*INTS"):
        irconv.convert_model(p)


def test_empty_initializer_whose_other_dims_overflow(tmp_path):
    """Found by the fuzzer: shape (110, 101, ..., 0) has no elements but numpy cannot represent it."""
    t = TensorProto()
    t.name, t.data_type = "w", TensorProto.FLOAT
    t.dims.extend([110, 101, 97, 114, 101, 115, 116, 95, 109, 111, 100, 0])
    t.raw_data = b""
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx.*tensor 'w'.*too large"):
        irconv.convert_model(_model(tmp_path, t))


def test_cycle_error_names_the_file(tmp_path):
    """Found by the fuzzer (unlocated errors): the cycle error named the node but not the file."""
    g = helper.make_graph([helper.make_node("Relu", ["b"], ["a"], name="r1"), helper.make_node("Relu", ["a"], ["b"], name="r2")],
                          "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)])
    p = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), p)
    with pytest.raises(irconv.IrconvError, match=r"m\.onnx: the ONNX graph has a cycle"):
        irconv.convert_model(p)


def test_external_data_location_of_invalid_utf8_is_a_clean_error(tmp_path):
    """Fuzz finding: proto2 leaves a string field with invalid UTF-8 as bytes; the location check
    then failed with a TypeError."""
    p = _model(tmp_path, _external(tmp_path, "wXbin"))
    data = open(p, "rb").read()
    assert data.count(b"wXbin") == 1
    open(p, "wb").write(data.replace(b"wXbin", b"w\xffbin"))
    with pytest.raises(irconv.IrconvError, match="m.onnx.*tensor 'w'.*not valid UTF-8"):
        irconv.convert_model(p)
