"""Hand-made MXNet files for tests (written from shared/notes/mxnet_formats.md, no mxnet):
an NDArray-list writer for every record version, a symbol-JSON builder, and a runner that
converts a model with irconv and runs it on the OpenVINO CPU runtime."""
import json
import os
import struct
import tempfile

import numpy as np

FLAGS = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.float16): 2, np.dtype(np.uint8): 3,
         np.dtype(np.int32): 4, np.dtype(np.int8): 5, np.dtype(np.int64): 6, np.dtype(np.bool_): 7}


def _tshape(shape, dim_fmt="q"):
    return struct.pack("<I", len(shape)) + b"".join(struct.pack("<" + dim_fmt, d) for d in shape)


def record(arr, version=2, stype=None, aux=None, storage_shape=None):
    """One NDArray record. version: 2, 3 (numpy shape), 1, 0 (pre-V1). For sparse (version 2):
    stype 1 row_sparse / 2 csr, arr = the stored values, aux = index arrays, storage_shape,
    and the dense shape passed as `shape` through arr.dense_shape (see sparse_record)."""
    a = np.array(arr, order="C")          # (ascontiguousarray would make a 0-d array 1-d)
    body = struct.pack("<ii", 1, 0) + struct.pack("<i", FLAGS[a.dtype]) + a.tobytes()
    if version == 2:
        if a.ndim == 0:
            return struct.pack("<Ii", 0xF993FAC9, 0) + _tshape(())
        return struct.pack("<Ii", 0xF993FAC9, 0) + _tshape(a.shape) + body
    if version == 3:
        return struct.pack("<Ii", 0xF993FACA, 0) + _tshape(a.shape) + body
    if version == 1:
        return struct.pack("<I", 0xF993FAC8) + _tshape(a.shape) + body
    if version == 0:
        return _tshape(a.shape, "I") + body
    raise ValueError(version)


def sparse_record(stype, dense_shape, data, aux):
    """A V2 row_sparse (stype 1, aux [rows]) or csr (stype 2, aux [indptr, indices]) record."""
    data = np.ascontiguousarray(data)
    out = struct.pack("<Ii", 0xF993FAC9, stype) + _tshape(data.shape) + _tshape(dense_shape)
    out += struct.pack("<ii", 1, 0) + struct.pack("<i", FLAGS[data.dtype])
    for a in aux:
        out += struct.pack("<i", FLAGS[np.dtype(a.dtype)]) + _tshape(a.shape)
    out += data.tobytes()
    for a in aux:
        out += np.ascontiguousarray(a).tobytes()
    return out


def ndarray_list(records, names=None):
    out = struct.pack("<QQQ", 0x112, 0, len(records)) + b"".join(records)
    names = names or []
    out += struct.pack("<Q", len(names))
    for n in names:
        b = n.encode("utf-8")
        out += struct.pack("<Q", len(b)) + b
    return out


def save_params(path, arrays, version=2):
    """{name: array} -> a .params file (names kept as given, e.g. 'arg:w')."""
    names = list(arrays)
    with open(path, "wb") as f:
        f.write(ndarray_list([record(arrays[k], version) for k in names], names))


class SymBuilder:
    """Builds a symbol JSON in the current (1.9.1) layout.

        b = SymBuilder()
        x = b.var("data")
        w = b.var("fc_weight")
        y = b.op("FullyConnected", "fc", [x, w], num_hidden=4, no_bias=True)
        b.to_json([y])
    """

    def __init__(self):
        self.nodes = []

    def var(self, name, **attrs):
        self.nodes.append({"op": "null", "name": name, "inputs": [], **({"attrs": _s(attrs)} if attrs else {})})
        return (len(self.nodes) - 1, 0)

    def op(self, op, name, inputs, **attrs):
        node = {"op": op, "name": name, "inputs": [[i, o, 0] for i, o in inputs]}
        if attrs:
            node["attrs"] = _s(attrs)
        self.nodes.append(node)
        return (len(self.nodes) - 1, 0)

    def to_json(self, heads):
        arg_nodes = [i for i, n in enumerate(self.nodes) if n["op"] == "null"]
        rows = [0]
        for n in self.nodes:
            rows.append(rows[-1] + 1)
        return json.dumps({"nodes": self.nodes, "arg_nodes": arg_nodes, "node_row_ptr": rows,
                           "heads": [[i, o, 0] for i, o in heads], "attrs": {"mxnet_version": ["int", 10901]}},
                          indent=2)


def _s(attrs):
    out = {}
    for k, v in attrs.items():
        if isinstance(v, bool):
            out[k] = "True" if v else "False"
        elif isinstance(v, (tuple, list)):
            out[k] = "(" + ", ".join(str(x) for x in v) + ")"
        else:
            out[k] = str(v)
    return out


def write_model(d, sym_json, arrays, prefix="model", epoch=0):
    """Writes <prefix>-symbol.json and <prefix>-NNNN.params (arrays: {'arg:x': ..., 'aux:y': ...})."""
    sym = os.path.join(d, "%s-symbol.json" % prefix)
    with open(sym, "w") as f:
        f.write(sym_json)
    params = os.path.join(d, "%s-%04d.params" % (prefix, epoch))
    save_params(params, arrays)
    return params


def run_model(sym_json, arrays, feeds, **options):
    """Converts with irconv (shapes of `feeds` as --input_shape unless given) and runs it on CPU.
    Returns {output tensor name or index: array}."""
    import irconv
    from helpers import infer_xml
    with tempfile.TemporaryDirectory() as d:
        params = write_model(d, sym_json, arrays)
        if "input_shape" not in options and "input" not in options:
            options["input"] = ",".join("%s[%s]" % (k, ",".join(str(x) for x in np.shape(v))) for k, v in feeds.items())
        m = irconv.convert_model(params, **options)
        xml = os.path.join(d, "m.xml")
        m.save(xml, compress_to_fp16=False)
        return infer_xml(xml, feeds)


def convert(sym_json, arrays, **options):
    import irconv
    with tempfile.TemporaryDirectory() as d:
        params = write_model(d, sym_json, arrays)
        return irconv.convert_model(params, **options)
