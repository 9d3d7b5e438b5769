"""The Caffe frontend as a whole: both net layouts, the ways inputs are declared, names of inputs,
outputs and in-place blobs, --input/--output/--input_shape, TEST-phase filtering, fork layers."""
import os

import numpy as np
import pytest

import irconv
from caffe_fe_util import caffemodel, convert, net, ref_conv, ref_pool, rng, run, write_model
from helpers import infer_xml

X = rng(1).randn(1, 3, 8, 8).astype(np.float32)
W = rng(2).randn(4, 3, 3, 3).astype(np.float32)
B = rng(3).randn(4).astype(np.float32)
WIP = rng(4).randn(5, 4 * 4 * 4).astype(np.float32)
BIP = rng(5).randn(5).astype(np.float32)


def _ref_small(x):
    c = np.maximum(ref_conv(x, W, B, [1, 1], [1, 1], [1, 1], 1), 0)
    p = ref_pool(c, [2, 2], [2, 2], [0, 0], "MAX")
    ip = p.reshape(p.shape[0], -1) @ WIP.T + BIP
    e = np.exp(ip - ip.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


WEIGHTS = [("conv1", "Convolution", [W, B]), ("ip1", "InnerProduct", [WIP, BIP])]

CURRENT = '''name: "small"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1" inner_product_param { num_output: 5 } }
layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
'''

V1 = '''name: "small_v1"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 8
input_dim: 8
layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1" blobs_lr: 1 blobs_lr: 2
         convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layers { name: "ip1" type: INNER_PRODUCT bottom: "pool1" top: "ip1" inner_product_param { num_output: 5 } }
layers { name: "prob" type: SOFTMAX bottom: "ip1" top: "prob" }
'''


@pytest.mark.parametrize("proto,v1_weights", [(CURRENT, False), (V1, True), (CURRENT, True), (V1, False)])
def test_current_and_v1_layouts(tmp_path, proto, v1_weights):
    got, m = run(tmp_path, proto, WEIGHTS, {"data": X}, v1=v1_weights)
    np.testing.assert_allclose(got["prob"], _ref_small(X), rtol=1e-4, atol=1e-6)
    assert m.inputs == [{"names": ["data"], "element_type": "f32", "shape": [1, 3, 8, 8]}]
    assert m.outputs[0]["names"] == ["prob"]


@pytest.mark.parametrize("encoding", [dict(legacy=True), dict(packed=False), dict(double=True)])
def test_blob_encodings(tmp_path, encoding):
    """Legacy num/channels/height/width dims, unpacked floats and double_data all load."""
    model, _ = write_model(tmp_path, CURRENT, WEIGHTS, **encoding)
    xml = str(tmp_path / "m.xml")
    irconv.convert_model(model).save(xml, compress_to_fp16=False)
    np.testing.assert_allclose(infer_xml(xml, {"data": X})["prob"], _ref_small(X), rtol=1e-4, atol=1e-6)


def test_weights_are_mmap_views_not_copies(tmp_path):
    from irconv.frontends.caffe.weights import CaffeWeights
    model, _ = write_model(tmp_path, CURRENT, WEIGHTS)
    w = CaffeWeights(model)
    a = w.blobs("ip1")[0].array()
    assert not a.flags.owndata and not a.flags.writeable
    np.testing.assert_array_equal(a, WIP)
    assert w.layer_names() == ["conv1", "ip1"]
    assert w.blobs("nope") is None


def test_input_shape_declarations(tmp_path):
    """input + input_shape, input + input_dim, and an Input layer with two tops and one shape."""
    body = ('layer { name: "e" type: "Eltwise" bottom: "a" bottom: "b" top: "s" }\n'
            'layer { name: "e2" type: "Eltwise" bottom: "s" bottom: "c" top: "t" }\n'
            'layer { name: "e3" type: "Eltwise" bottom: "t" bottom: "d" top: "out" }\n')
    proto = ('input: "a" input_shape { dim: 2 dim: 3 }\ninput: "b" input_shape { dim: 2 dim: 3 }\n'
             'layer { name: "in" type: "Input" top: "c" top: "d" input_param { shape { dim: 2 dim: 3 } } }\n' + body)
    xs = {k: rng(i).randn(2, 3).astype(np.float32) for i, k in enumerate("abcd")}
    got, m = run(tmp_path, proto, [], xs)
    np.testing.assert_allclose(got["out"], sum(xs.values()), rtol=1e-6)
    assert [i["names"] for i in m.inputs] == [["a"], ["b"], ["c"], ["d"]]
    proto2 = 'input: "a"\ninput: "b"\n' + "".join("input_dim: %d\n" % d for d in (2, 3, 1, 1) * 2) + \
        'layer { name: "in" type: "Input" top: "c" top: "d" input_param { shape { dim: 2 dim: 3 dim: 1 dim: 1 } ' \
        'shape { dim: 1 dim: 3 dim: 1 dim: 1 } } }\n' + body
    m2 = convert(tmp_path, proto2)
    assert [i["shape"] for i in m2.inputs] == [[2, 3, 1, 1], [2, 3, 1, 1], [2, 3, 1, 1], [1, 3, 1, 1]]


def test_in_place_names_and_outputs(tmp_path):
    """Outputs are named by their top blobs, also when the last layer is in place; layer names
    are friendly names; a blob consumed later is not an output; unused inputs are not outputs."""
    proto = net({"x": (1, 3, 4, 4), "unused": (1, 2)},
                'layer { name: "conv_a" type: "Convolution" bottom: "x" top: "a" '
                'convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }\n'
                'layer { name: "relu_a" type: "ReLU" bottom: "a" top: "a" }\n'
                'layer { name: "tanh_a" type: "TanH" bottom: "a" top: "a" }\n'
                'layer { name: "sig" type: "Sigmoid" bottom: "x" top: "side" }\n')
    x = rng(6).randn(1, 3, 4, 4).astype(np.float32)
    got, m = run(tmp_path, proto, [("conv_a", "Convolution", [W, B])], {"x": x, "unused": np.zeros((1, 2), np.float32)})
    assert [o["names"] for o in m.outputs] == [["a"], ["side"]]
    assert [i["names"] for i in m.inputs] == [["x"], ["unused"]]   # a declared input stays an input
    conv = ref_conv(x, W, B, [1, 1], [1, 1], [1, 1], 1)
    np.testing.assert_allclose(got["a"], np.tanh(np.maximum(conv, 0)), rtol=1e-4, atol=1e-5)
    names = {n.name for n in m.graph.topo_order()}
    assert {"conv_a", "relu_a", "tanh_a", "sig", "x"} <= names


def test_output_and_input_cuts_by_layer_and_blob_names(tmp_path):
    proto = net({"x": (1, 3, 4, 4)},
                'layer { name: "conv_a" type: "Convolution" bottom: "x" top: "a" '
                'convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }\n'
                'layer { name: "relu_a" type: "ReLU" bottom: "a" top: "a" }\n'
                'layer { name: "tanh_a" type: "TanH" bottom: "a" top: "a" }\n'
                'layer { name: "pw" type: "Power" bottom: "a" top: "y" power_param { scale: 2 } }\n')
    x = rng(6).randn(1, 3, 4, 4).astype(np.float32)
    conv = ref_conv(x, W, B, [1, 1], [1, 1], [1, 1], 1)
    lw = [("conv_a", "Convolution", [W, B])]
    # --output by an in-place layer's name: that layer's result
    got, m = run(tmp_path / "1", proto, lw, {"x": x}, output="relu_a")
    np.testing.assert_allclose(got[0], np.maximum(conv, 0), rtol=1e-4, atol=1e-5)
    # --output by a blob name: the blob's final value
    got, m = run(tmp_path / "2", proto, lw, {"x": x}, output="a,y")
    np.testing.assert_allclose(got["a"], np.tanh(np.maximum(conv, 0)), rtol=1e-4, atol=1e-5)
    # --input by a blob name in the middle of the net
    a = rng(7).randn(1, 4, 4, 4).astype(np.float32)
    got, m = run(tmp_path / "3", proto, lw, {"a": a}, input="a")
    np.testing.assert_allclose(got["y"], 2 * a, rtol=1e-6)


def test_input_shape_options(tmp_path):
    proto = net({"x": (1, 3, 8, 8)}, 'layer { name: "conv1" type: "Convolution" bottom: "x" top: "y" '
                                     'convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }\n')
    lw = [("conv1", "Convolution", [W, B])]
    x = rng(8).randn(2, 3, 5, 6).astype(np.float32)
    for opts in ({"input_shape": "[2,3,5,6]"}, {"input": "x[2,3,5,6]"}, {"input": "x", "input_shape": "[2,3,5,6]"}):
        got, m = run(tmp_path, proto, lw, {"x": x}, **opts)
        assert m.inputs[0]["shape"] == [2, 3, 5, 6]
        np.testing.assert_allclose(got["y"], ref_conv(x, W, B, [1, 1], [1, 1], [1, 1], 1), rtol=1e-4, atol=1e-5)
    m = convert(tmp_path, proto, lw, input_shape="[?,3,?,?]")
    assert m.inputs[0]["shape"] == [-1, 3, -1, -1] and m.outputs[0]["shape"] == [-1, 4, -1, -1]


def test_input_type_option(tmp_path):
    """--input x{u8}: a u8 Parameter converted to f32 for the net."""
    proto = net({"x": (1, 3)}, 'layer { name: "p" type: "Power" bottom: "x" top: "y" power_param { scale: 0.5 } }\n')
    x = np.asarray([[0, 7, 255]], np.uint8)
    got, m = run(tmp_path, proto, [], {"x": x}, input="x{u8}")
    assert m.inputs[0]["element_type"] == "u8"
    np.testing.assert_allclose(got["y"], x.astype(np.float32) * 0.5)


def test_input_without_shape_needs_one(tmp_path):
    proto = 'input: "x"\nlayer { name: "r" type: "ReLU" bottom: "x" top: "y" }\n'
    with pytest.raises(irconv.IrconvError, match="declares no shape for input 'x'.*--input_shape"):
        convert(tmp_path, proto)
    m = convert(tmp_path, proto, input_shape="[1,2]")
    assert m.inputs[0]["shape"] == [1, 2]


def test_test_phase_filtering(tmp_path):
    proto = net({"x": (1, 3)},
                'layer { name: "train_only" type: "Dropout" bottom: "x" top: "x" include { phase: TRAIN } }\n'
                'layer { name: "relu" type: "ReLU" bottom: "x" top: "y" }\n'
                'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "y" bottom: "label" top: "loss" '
                'include { phase: TRAIN } }\n'
                'layer { name: "acc" type: "Accuracy" bottom: "y" bottom: "label" top: "acc" exclude { phase: TEST } }\n'
                'layer { name: "t" type: "TanH" bottom: "y" top: "z" include { phase: TEST } }\n'
                'layer { name: "s" type: "Sigmoid" bottom: "y" top: "w" include { stage: "deploy" } }\n')
    m = convert(tmp_path, proto)
    assert [o["names"] for o in m.outputs] == [["z"]]


def test_fork_layers_and_unknown_fields_parse(tmp_path):
    """Layers and parameters Caffe's own proto lacks (SSD, PSPNet, custom fields) parse; unknown
    layer types are all listed in one error with their names and lines."""
    proto = net({"x": (1, 4, 3, 3)},
                'layer { name: "n" type: "Normalize" bottom: "x" top: "n" norm_param { across_spatial: false '
                'scale_filler { type: "constant" value: 20 } channel_shared: false } some_fork_field: 3 }\n'
                'layer { name: "p" type: "Permute" bottom: "n" top: "p" permute_param { order: 0 order: 2 order: 3 '
                'order: 1 } }\n'
                'layer { name: "f" type: "Flatten" bottom: "p" top: "f" flatten_param { axis: 1 } }\n'
                'layer { name: "u1" type: "MyCustomOp" bottom: "f" top: "u1" my_param { a: 1 b: "x" c { d: 2 } } }\n'
                'layer { name: "u2" type: "MyCustomOp" bottom: "u1" top: "u2" }\n'
                'layer { name: "u3" type: "Python" bottom: "u2" top: "u3" python_param { module: "m" layer: "L" } }\n')
    with pytest.raises(irconv.IrconvError) as e:
        convert(tmp_path, proto)
    msg = str(e.value)
    assert "3 Caffe layers of 2 unsupported types" in msg
    assert "MyCustomOp: 2 layers: 'u1' (line 7), 'u2' (line 8)" in msg and "Python: 1 layer: 'u3' (line 9)" in msg
    ok = "\n".join(proto.splitlines()[:6])
    s = (rng(9).rand(4) * 20).astype(np.float32)
    x = rng(10).randn(1, 4, 3, 3).astype(np.float32)
    got, _ = run(tmp_path, ok, [("n", "Normalize", [s])], {"x": x})
    n = x / np.sqrt((x ** 2).sum(axis=1, keepdims=True) + 1e-10) * s.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(got["f"], n.transpose(0, 2, 3, 1).reshape(1, -1), rtol=1e-5, atol=1e-5)


def test_text_format_features(tmp_path):
    """Comments, ':' before '{', '<...>' messages, [list] values, ';' / ',' separators, string
    escapes and adjacent literals, enums by number, floats with exponent / inf, hex ints."""
    proto = ('# a comment\nname: "t\\"e" "st"  # trailing comment\n'
             'input: \'x\' input_shape: < dim: [1, 0x3] dim: 1, dim: 4 >;\n'
             'layer: { name: "pw" type: "Power", bottom: "x" top: "y"; power_param { scale: -2.5e-1 shift: 1.0f '
             'power: 1 } }\n'
             'layer { name: "pool" type: "Pooling" bottom: "y" top: "z" pooling_param { pool: 1 kernel_size: [1, 2] '
             'stride: 2 } }\n'
             'layer { name: "c" type: "Clip" bottom: "z" top: "w" clip_param { min: -inf max: 0.5 } }\n')
    x = rng(11).randn(1, 3, 1, 4).astype(np.float32)
    got, m = run(tmp_path, proto, [], {"x": x})
    assert m.inputs[0]["shape"] == [1, 3, 1, 4]
    y = (1.0 - 0.25 * x).reshape(1, 3, 1, 4)
    z = y.reshape(1, 3, 1, 2, 2).mean(axis=-1)
    np.testing.assert_allclose(got["w"], np.minimum(z, 0.5), rtol=1e-6)
    assert m.graph.name == 't"est'


@pytest.mark.parametrize("text,where,what", [
    ('layer { name: "a" type: "ReLU" \n bottom: "x" top: "y"', "2:", "expected '}' to close the message opened at line 1"),
    ('layer { name: "a" type: "ReLU" bottom "x" }', "1:39", "expected ':' or '{' after field name 'bottom', got a string"),
    ('layer { name: "a" type: "ReLU" } }', "1:34", "expected a field name"),
    ('layer { name: "a" type: "ReLU" bottom: "x\n" }', "1:", "unexpected character"),
    ('input: "x" input_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\nlayer { name: "p" type: "Pooling" bottom: "x" top: "y" '
     'pooling_param {\n kernel_size: "3" } }', "3:15", "field 'kernel_size' (layer 'p' (Pooling)): expected an integer, got '3'"),
    ('input: "x" input_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\nlayer { name: "p" type: "Pooling" bottom: "x" top: "y" '
     'pooling_param {\n pool: MEDIAN kernel_size: 2 } }', "3:8", "expected one of MAX, AVE, STOCHASTIC, got 'MEDIAN'"),
    ('input: "x" input_shape { dim: 1 }\nlayer { name: "r" type: "ReLU" bottom: "x" top: "y" relu_param {\n'
     ' negative_slope: abc } }', "3:18", "expected a number"),
    ('layers { name: "c" type: CONVOLUTIONAL }', "1:26", "unknown type CONVOLUTIONAL"),
])
def test_malformed_prototxt_names_file_and_line(tmp_path, text, where, what):
    p = tmp_path / "bad.prototxt"
    p.write_text(text)
    with pytest.raises(irconv.IrconvError) as e:
        irconv.convert_model(str(p), input_shape="[1,2,3,4]" if "input:" not in text else None)
    msg = str(e.value)
    assert msg.startswith(str(p) + ":" + where), msg
    assert what in msg, msg


def _good_model_bytes():
    return caffemodel(WEIGHTS)


def _cli(tmp_path, model, proto_text=CURRENT):
    from irconv import cli
    proto = tmp_path / "deploy.prototxt"
    proto.write_text(proto_text)
    return cli.main(["--input_model", str(model), "--input_proto", str(proto), "--output_dir", str(tmp_path / "out")])


@pytest.mark.parametrize("cut", [10, 100, 300, -3, -1])
def test_truncated_caffemodel(tmp_path, capsys, cut):
    data = _good_model_bytes()
    bad = tmp_path / "w.caffemodel"
    bad.write_bytes(data[:cut])
    assert _cli(tmp_path, bad) == 1
    err = capsys.readouterr().err
    assert err.startswith("[ ERROR ] %s: truncated or corrupt Caffe weights at byte offset " % bad), err
    assert "truncated" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


@pytest.mark.parametrize("mutate,what", [
    (lambda d: d[:5] + b"\xa7" + d[6:], "invalid wire type 7"),                # layer key -> wire type 7
    (lambda d: b"\x00" + d[1:], "field number 0"),
    (lambda d: d + b"\xa2\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "varint"),
])
def test_corrupt_caffemodel(tmp_path, capsys, mutate, what):
    bad = tmp_path / "w.caffemodel"
    bad.write_bytes(mutate(_good_model_bytes()))
    assert _cli(tmp_path, bad) == 1
    err = capsys.readouterr().err
    assert "%s: truncated or corrupt Caffe weights at byte offset" % bad in err and what in err, err


def test_blob_with_wrong_value_count(tmp_path):
    from caffe_fe_util import _len, _str
    blob = _len(7, _len(1, b"\x04\x03")) + _len(5, np.zeros(5, "<f4").tobytes())   # shape 4x3, 5 values
    data = _str(1, "n") + _len(100, _str(1, "conv1") + _str(2, "Convolution") + _len(7, blob))
    (tmp_path / "w.caffemodel").write_bytes(data)
    with pytest.raises(irconv.IrconvError, match=r"w.caffemodel: truncated or corrupt Caffe weights at byte offset "
                                                 r"\d+ \(layer 'conv1'\): BlobProto 0 of layer 'conv1' has 5 values "
                                                 r"but its shape \[4, 3\] needs 12"):
        irconv.convert_model(str(tmp_path / "w.caffemodel"), input_proto=_proto(tmp_path))


def _proto(tmp_path, text=CURRENT):
    p = tmp_path / "deploy.prototxt"
    p.write_text(text)
    return str(p)


def test_weight_errors_name_the_layer(tmp_path):
    model, _ = write_model(tmp_path, CURRENT, [("conv1", "Convolution", [W, B])])
    with pytest.raises(irconv.IrconvError, match=r"net.prototxt:7: layer 'ip1' \(InnerProduct\): has no weights in "
                                                 r".*net.caffemodel \(no layer named 'ip1' there\)"):
        irconv.convert_model(model)
    model, _ = write_model(tmp_path, CURRENT, [("conv1", "Convolution", [W[:2], B]), WEIGHTS[1]])
    with pytest.raises(irconv.IrconvError, match=r"layer 'conv1' \(Convolution\): the weights \(blob 0\) has shape "
                                                 r"\[2, 3, 3, 3\] \(54 values\), expected \[4, 3, 3, 3\]"):
        irconv.convert_model(model)
    model, _ = write_model(tmp_path, CURRENT, [("conv1", "Convolution", [W]), WEIGHTS[1]])
    with pytest.raises(irconv.IrconvError, match=r"needs the bias \(blob 1\) but .* stores 1 blob"):
        irconv.convert_model(model)


def test_file_level_errors(tmp_path):
    h5 = tmp_path / "w.caffemodel"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(irconv.IrconvError, match="HDF5"):
        irconv.convert_model(str(h5), input_proto=_proto(tmp_path))
    empty = tmp_path / "e.caffemodel"
    empty.write_bytes(b"")
    with pytest.raises(irconv.IrconvError, match="e.caffemodel: the Caffe weights file is empty"):
        irconv.convert_model(str(empty), input_proto=_proto(tmp_path))
    with pytest.raises(irconv.IrconvError, match=r"needs its net definition: pass --input_proto .*looked for .*"
                                                 r"lone.prototxt"):
        (tmp_path / "lone.caffemodel").write_bytes(_good_model_bytes())
        irconv.convert_model(str(tmp_path / "lone.caffemodel"))
    with pytest.raises(irconv.IrconvError, match="is not a text prototxt"):
        irconv.convert_model(str(tmp_path / "lone.caffemodel"), input_proto=str(tmp_path / "lone.caffemodel"))
    with pytest.raises(irconv.IrconvError, match="--input_proto '.*missing.prototxt' does not exist"):
        irconv.convert_model(str(tmp_path / "lone.caffemodel"), input_proto=str(tmp_path / "missing.prototxt"))


def test_default_proto_is_the_model_stem(tmp_path):
    model, proto = write_model(tmp_path, CURRENT, WEIGHTS)
    assert os.path.splitext(proto)[0] == os.path.splitext(model)[0]
    m = irconv.convert_model(model)          # finds net.prototxt beside net.caffemodel
    assert m.framework == "caffe" and m.outputs[0]["names"] == ["prob"]
    m = irconv.convert_model(proto)          # the prototxt as the model: its .caffemodel is found
    assert m.outputs[0]["names"] == ["prob"]


def test_conversion_is_deterministic(tmp_path):
    model, _ = write_model(tmp_path, CURRENT, WEIGHTS)
    blobs = []
    for i in range(2):
        xml = str(tmp_path / ("m%d.xml" % i))
        irconv.convert_model(model).save(xml)
        blobs.append((open(xml, "rb").read(), open(xml[:-4] + ".bin", "rb").read()))
    assert blobs[0] == blobs[1]
