"""Helpers for Caffe frontend tests: a writer of binary NetParameter (.caffemodel) files, model
conversion + OpenVINO inference, and numpy references of Caffe's layer maths (written from
Caffe's Forward_cpu code)."""
import os
import struct

import numpy as np

import irconv
from helpers import infer_xml


# ---- protobuf wire writer ----
def _varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wt):
    return _varint((field << 3) | wt)


def _len(field, payload):
    return _key(field, 2) + _varint(len(payload)) + payload


def _str(field, s):
    return _len(field, s.encode("utf-8"))


def blob_proto(arr, legacy=False, packed=True, double=False):
    arr = np.asarray(arr)
    out = b""
    if legacy:
        dims = [1] * (4 - arr.ndim) + list(arr.shape)
        for f, d in zip((1, 2, 3, 4), dims):
            out += _key(f, 0) + _varint(d)
    else:
        out += _len(7, _len(1, b"".join(_varint(d) for d in arr.shape)))
    flat = arr.reshape(-1)
    if double:
        out += _len(8, flat.astype("<f8").tobytes())
    elif packed:
        out += _len(5, flat.astype("<f4").tobytes())
    else:
        out += b"".join(_key(5, 5) + struct.pack("<f", float(v)) for v in flat)
    return out


V1_ENUM = {"Convolution": 4, "InnerProduct": 14, "ReLU": 18, "Pooling": 17, "Softmax": 20, "Concat": 3,
           "Eltwise": 25, "Deconvolution": 39, "LRN": 15, "Dropout": 6, "Power": 26}


def caffemodel(layers, v1=False, name="net", **blob_kw):
    """layers: [(name, type, [arrays])] -> bytes of a NetParameter holding them."""
    out = _str(1, name)
    for lname, ltype, blobs in layers:
        if v1:
            body = _str(4, lname) + _key(5, 0) + _varint(V1_ENUM[ltype])
            body += b"".join(_len(6, blob_proto(b, **blob_kw)) for b in blobs)
            out += _len(2, body)
        else:
            body = _str(1, lname) + _str(2, ltype)
            body += b"".join(_len(7, blob_proto(b, **blob_kw)) for b in blobs)
            out += _len(100, body)
    return out


# ---- conversion / inference ----
def write_model(tmp_path, prototxt, layers=(), v1=False, stem="net", **blob_kw):
    os.makedirs(str(tmp_path), exist_ok=True)
    proto = os.path.join(str(tmp_path), stem + ".prototxt")
    with open(proto, "w") as f:
        f.write(prototxt)
    model = os.path.join(str(tmp_path), stem + ".caffemodel")
    with open(model, "wb") as f:
        f.write(caffemodel(layers, v1=v1, **blob_kw))
    return model, proto


def convert(tmp_path, prototxt, layers=(), v1=False, **options):
    model, _ = write_model(tmp_path, prototxt, layers, v1)
    return irconv.convert_model(model, framework="caffe", **options)


def run(tmp_path, prototxt, layers, feeds, v1=False, **options):
    m = convert(tmp_path, prototxt, layers, v1, **options)
    xml = os.path.join(str(tmp_path), "out", "model.xml")
    m.save(xml, compress_to_fp16=False)
    return infer_xml(xml, feeds), m


def net(inputs, body, name="test"):
    """A prototxt with `input:`/`input_shape` declarations and the given layer text."""
    head = 'name: "%s"\n' % name
    for n, shape in inputs.items():
        head += 'input: "%s"\ninput_shape { %s }\n' % (n, " ".join("dim: %d" % d for d in shape))
    return head + body


def rng(seed=0):
    return np.random.RandomState(seed)


# ---- numpy references (Caffe's Forward_cpu) ----
def ref_conv(x, w, b, stride, pad, dil, group):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h + 2 * pad[0] - (dil[0] * (kh - 1) + 1)) // stride[0] + 1
    ow = (wd + 2 * pad[1] - (dil[1] * (kw - 1) + 1)) // stride[1] + 1
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    y = np.zeros((n, o, oh, ow))
    og = o // group
    for g in range(group):
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                y[:, g * og:(g + 1) * og, i, j] = np.einsum("nckl,ockl->no", patch, w[g * og:(g + 1) * og])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def ref_deconv(x, w, b, stride, pad, dil, group):
    """Caffe deconvolution = the backward (col2im) pass of convolution: w is [C_in, O/g, kh, kw]."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    o = og * group
    cg = c // group
    full_h = stride[0] * (h - 1) + dil[0] * (kh - 1) + 1
    full_w = stride[1] * (wd - 1) + dil[1] * (kw - 1) + 1
    y = np.zeros((n, o, full_h, full_w))
    for g in range(group):
        for i in range(h):
            for j in range(wd):
                contrib = np.einsum("nc,cokl->nokl", x[:, g * cg:(g + 1) * cg, i, j].astype(np.float64),
                                    w[g * cg:(g + 1) * cg])
                y[:, g * og:(g + 1) * og, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                  j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]] += contrib
    y = y[:, :, pad[0]:full_h - pad[0], pad[1]:full_w - pad[1]]
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def ref_pool(x, kernel, stride, pad, method, ceil=True):
    n, c, h, w = x.shape

    def size(i, k, p, s):
        out = (-(-(i + 2 * p - k) // s) if ceil else (i + 2 * p - k) // s) + 1
        if p > 0 and (out - 1) * s >= i + p:
            out -= 1
        return out
    ph, pw = size(h, kernel[0], pad[0], stride[0]), size(w, kernel[1], pad[1], stride[1])
    y = np.zeros((n, c, ph, pw), np.float64)
    for i in range(ph):
        for j in range(pw):
            hs, ws = i * stride[0] - pad[0], j * stride[1] - pad[1]
            if method == "MAX":
                he, we = min(hs + kernel[0], h), min(ws + kernel[1], w)
                hs, ws = max(hs, 0), max(ws, 0)
                y[:, :, i, j] = x[:, :, hs:he, ws:we].max(axis=(2, 3))
            else:
                he, we = min(hs + kernel[0], h + pad[0]), min(ws + kernel[1], w + pad[1])
                size_ = (he - hs) * (we - ws)
                hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
                y[:, :, i, j] = x[:, :, hs:he, ws:we].astype(np.float64).sum(axis=(2, 3)) / size_
    return y.astype(np.float32)


def ref_lrn_across(x, size, alpha, beta, k):
    n, c, h, w = x.shape
    pre = (size - 1) // 2
    sq = np.zeros((n, c + size - 1, h, w), np.float64)
    sq[:, pre:pre + c] = x.astype(np.float64) ** 2
    scale = np.empty((n, c, h, w))
    for ch in range(c):
        scale[:, ch] = k + alpha / size * sq[:, ch:ch + size].sum(axis=1)
    return (x * scale ** -beta).astype(np.float32)


def ref_lrn_within(x, size, alpha, beta):
    pre = (size - 1) // 2
    avg = ref_pool((x.astype(np.float64) ** 2), [size, size], [1, 1], [pre, pre], "AVE")
    return (x * (1.0 + alpha * avg.astype(np.float64)) ** -beta).astype(np.float32)
