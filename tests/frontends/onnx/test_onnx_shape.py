"""Shape / data-movement ops against onnxruntime."""
import numpy as np
import pytest

from onnx_fe_util import check, helper, make_model, rng, single, to_graph
from helpers import run_ir

R = rng(8)
X = R.randn(2, 3, 4, 5).astype(np.float32)
I64 = lambda v: np.array(v, np.int64)  # noqa: E731


@pytest.mark.parametrize("shape,allowzero", [([6, 20], 0), ([0, -1], 0), ([-1], 0), ([2, 0, 4, 5], 0),
                                             ([2, 3, 20], 1)])
def test_reshape(shape, allowzero, tmp_path):
    check(single("Reshape", {"x": X}, {"allowzero": allowzero}, opset=14, inits={"s": I64(shape)}), {"x": X}, tmp_path)


def test_reshape_opset1_attr(tmp_path):
    m = make_model([helper.make_node("Reshape", ["x"], ["y"], shape=[6, 20])], {"x": X}, ["y"], opset=1, ir_version=3)
    np.testing.assert_array_equal(run_ir(to_graph(m, tmp_path), {"x": X})["y"], X.reshape(6, 20))


@pytest.mark.parametrize("axis", [0, 1, 2, 4, -1, -3])
def test_flatten(axis, tmp_path):
    check(single("Flatten", {"x": X}, {"axis": axis}), {"x": X}, tmp_path)


@pytest.mark.parametrize("axis", [0, 1, 2, 3])
def test_flatten_dynamic_dims(axis, tmp_path):
    m = make_model([helper.make_node("Flatten", ["x"], ["y"], axis=axis)], {"x": (np.float32, ["a", 3, "b", 5])},
                   ["y"])
    check(m, {"x": X}, tmp_path)


@pytest.mark.parametrize("opset", [11, 13])
def test_squeeze_unsqueeze(opset, tmp_path):
    x = R.randn(1, 3, 1, 5).astype(np.float32)
    if opset < 13:
        nodes = [helper.make_node("Squeeze", ["x"], ["a"], axes=[0, -2]), helper.make_node("Squeeze", ["x"], ["b"]),
                 helper.make_node("Unsqueeze", ["x"], ["c"], axes=[0, -1])]
        inits = {}
    else:
        nodes = [helper.make_node("Squeeze", ["x", "ax"], ["a"]), helper.make_node("Squeeze", ["x"], ["b"]),
                 helper.make_node("Unsqueeze", ["x", "ux"], ["c"])]
        inits = {"ax": I64([0, -2]), "ux": I64([0, -1])}
    check(make_model(nodes, {"x": x}, ["a", "b", "c"], inits, opset=opset), {"x": x}, tmp_path)


def test_squeeze_all_dynamic(tmp_path):
    x = R.randn(1, 3, 1, 5).astype(np.float32)
    m = make_model([helper.make_node("Squeeze", ["x"], ["y"])], {"x": (np.float32, [1, "a", 1, 5])}, ["y"])
    check(m, {"x": x}, tmp_path)


@pytest.mark.parametrize("perm", [None, [0, 2, 3, 1], [3, 2, 1, 0]])
def test_transpose(perm, tmp_path):
    check(single("Transpose", {"x": X}, {"perm": perm} if perm else {}), {"x": X}, tmp_path)


def test_concat(tmp_path):
    y = R.randn(2, 1, 4, 5).astype(np.float32)
    check(single("Concat", {"a": X, "b": y}, {"axis": 1}), {"a": X, "b": y}, tmp_path)
    check(single("Concat", {"a": X, "b": y}, {"axis": -3}), {"a": X, "b": y}, tmp_path)


@pytest.mark.parametrize("opset,split,n", [(11, None, 5), (11, [1, 4], 2), (13, [2, 2, 1], 3), (13, None, 5),
                                           (18, "num", 2), (18, "num", 3)])
def test_split(opset, split, n, tmp_path):
    x = R.randn(5, 6).astype(np.float32)
    outs = ["y%d" % i for i in range(n)]
    inits, attrs, ins = {}, {"axis": 0}, ["x"]
    if split == "num":
        attrs["num_outputs"] = n
    elif split is not None and opset >= 13:
        inits["s"] = I64(split)
        ins.append("s")
    elif split is not None:
        attrs["split"] = split
    if split is None and n == 5:
        attrs["axis"] = 0
    m = make_model([helper.make_node("Split", ins, outs, **attrs)], {"x": x}, outs, inits, opset=opset)
    check(m, {"x": x}, tmp_path)


@pytest.mark.parametrize("starts,ends,axes,steps", [
    ([1], [3], [1], None), ([0, 1], [2, -1], [2, 3], [1, 2]), ([-1], [-1000], [3], [-1]),
    ([2], [2 ** 62], [2], None), ([0, 0], [9, 9], None, None), ([4, 3], [0, 0], [3, 2], [-2, -1]),
])
def test_slice(starts, ends, axes, steps, tmp_path):
    inits = {"st": I64(starts), "en": I64(ends)}
    names = ["x", "st", "en"]
    if axes is not None:
        inits["ax"] = I64(axes)
        names.append("ax")
    if steps is not None:
        if axes is None:
            names.append("")
        inits["sp"] = I64(steps)
        names.append("sp")
    check(single("Slice", {"x": X}, inits=inits, input_names=names), {"x": X}, tmp_path)


def test_slice_opset1(tmp_path):
    m = make_model([helper.make_node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, 2], axes=[1, 3])],
                   {"x": X}, ["y"], opset=1, ir_version=3)
    np.testing.assert_array_equal(run_ir(to_graph(m, tmp_path), {"x": X})["y"], X[:, 1:3, :, 0:2])


def test_slice_runtime_starts(tmp_path):
    st, en = I64([1, 0]), I64([3, 4])
    check(single("Slice", {"x": X, "st": st, "en": en}), {"x": X, "st": st, "en": en}, tmp_path)


@pytest.mark.parametrize("axis,idx", [(0, [1, 0]), (1, [[0, 2], [-1, 1]]), (3, 4), (-1, [-5])])
def test_gather(axis, idx, tmp_path):
    check(single("Gather", {"x": X}, {"axis": axis}, inits={"i": I64(idx)}), {"x": X}, tmp_path)


@pytest.mark.parametrize("shape", [[2, 3, 4, 5], [3, 1, 1], [1, 1, 2, 3, 4, 5]])
def test_expand(shape, tmp_path):
    x = R.randn(3, 1, 5).astype(np.float32) if shape != [1, 1, 2, 3, 4, 5] else X
    check(single("Expand", {"x": x}, inits={"s": I64(shape)}), {"x": x}, tmp_path)


def test_tile(tmp_path):
    check(single("Tile", {"x": X}, inits={"r": I64([1, 2, 1, 3])}), {"x": X}, tmp_path)


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
def test_pad(mode, tmp_path):
    x = R.randn(1, 2, 4, 5).astype(np.float32)
    inits = {"p": I64([0, 0, 1, 2, 0, 0, 2, 1])}
    if mode == "constant":
        inits["v"] = np.array(1.5, np.float32)
    check(single("Pad", {"x": x}, {"mode": mode}, opset=19, inits=inits), {"x": x}, tmp_path)


def test_pad_axes_and_negative(tmp_path):
    x = R.randn(1, 2, 4, 5).astype(np.float32)
    inits = {"p": I64([1, -1, 2, 1]), "v": np.array(0.5, np.float32), "a": I64([-1, 2])}
    check(single("Pad", {"x": x}, {}, opset=18, inits=inits), {"x": x}, tmp_path)


def test_pad_opset2(tmp_path):
    x = R.randn(1, 2, 4, 5).astype(np.float32)
    m = make_model([helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 1, 0, 0, 1, 1], value=2.0)],
                   {"x": x}, ["y"], opset=2, ir_version=3)
    got = run_ir(to_graph(m, tmp_path), {"x": x})["y"]
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=2.0))


def test_pad_runtime_pads(tmp_path):
    x = R.randn(1, 2, 4, 5).astype(np.float32)
    p = I64([0, 0, 1, 2, 0, 0, 2, 1])
    check(single("Pad", {"x": x, "p": p}, {"mode": "reflect"}), {"x": x, "p": p}, tmp_path)


def test_shape_size(tmp_path):
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Size", ["x"], ["n"]),
             helper.make_node("Shape", ["x"], ["s2"], start=1, end=-1),
             helper.make_node("Shape", ["x"], ["s3"], start=-2)]
    check(make_model(nodes, {"x": X}, ["s", "n", "s2", "s3"], opset=15), {"x": X}, tmp_path)


def test_shape_of_dynamic_input(tmp_path):
    nodes = [helper.make_node("Shape", ["x"], ["s"])]
    check(make_model(nodes, {"x": (np.float32, ["n", 3, "h", "w"])}, ["s"]), {"x": X}, tmp_path)


def test_constant_of_shape_and_range(tmp_path):
    nodes = [helper.make_node("ConstantOfShape", ["s"], ["c"],
                              value=helper.make_tensor("v", 7, [1], [5])),
             helper.make_node("ConstantOfShape", ["s"], ["z"]),
             helper.make_node("Range", ["a", "b", "d"], ["r"])]
    inits = {"s": I64([2, 3]), "a": np.array(1.0, np.float32), "b": np.array(7.0, np.float32),
             "d": np.array(1.5, np.float32)}
    check(make_model(nodes, {}, ["c", "z", "r"], inits), {}, tmp_path)


def test_constant_of_shape_runtime(tmp_path):
    s = I64([2, 3, 1])
    check(single("ConstantOfShape", {"s": s}), {"s": s}, tmp_path)


def test_where(tmp_path):
    c = R.rand(3, 4, 5) > 0.5
    a, b = X[0, 0:1], R.randn(4, 5).astype(np.float32)
    check(single("Where", {"c": c, "a": a, "b": b}), {"c": c, "a": a, "b": b}, tmp_path)


@pytest.mark.parametrize("to,np_to", [(7, np.int64), (6, np.int32), (9, np.bool_), (10, np.float16), (2, np.uint8)])
def test_cast(to, np_to, tmp_path):
    x = np.array([0.0, 1.7, -2.7, 3.5, 250.0, -0.2], np.float32)
    if np_to == np.uint8:
        x = np.abs(x)
    check(single("Cast", {"x": x}, {"to": to}), {"x": x}, tmp_path)


def test_cast_like(tmp_path):
    x = np.array([1, 2, 3], np.int32)
    like = np.array([0.5], np.float32)
    check(single("CastLike", {"x": x, "l": like}), {"x": x, "l": like}, tmp_path)


def test_compress(tmp_path):
    c = np.array([True, False, True], bool)
    x = R.randn(3, 2).astype(np.float32)
    check(single("Compress", {"x": x}, {"axis": 0}, inits={"c": c}), {"x": x}, tmp_path)
    check(single("Compress", {"x": x}, {}, inits={"c": np.array([0, 1, 1, 0, 1], bool)}), {"x": x}, tmp_path)


def test_reverse_sequence(tmp_path):
    x = R.randn(4, 3, 2).astype(np.float32)
    check(single("ReverseSequence", {"x": x}, {"batch_axis": 1, "time_axis": 0},
                 inits={"l": I64([4, 2, 1])}), {"x": x}, tmp_path)
