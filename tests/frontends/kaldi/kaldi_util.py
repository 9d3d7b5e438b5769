"""Helpers for the Kaldi frontend tests: writing nnet1/nnet2/nnet3 model files with the tests'
own Kaldi writer, component bodies as Kaldi's Write() lays them out, and running a converted IR
under OpenVINO's speech-inference contract (stateless batch, or stateful frame by frame)."""
import os
import tempfile

import numpy as np

from kaldi_writer import KaldiWriter

import irconv
from helpers import compile_xml


# ---------------------------------------------------------------------------- model files
def transition_model(w, num_pdfs=6):
    """A small binary/text-agnostic TransitionModel: one 3-state topology entry for phones 1..2."""
    w.token("<TransitionModel>")
    w.token("<Topology>").int_vector([1, 2]).int_vector([-1, 0, 0]).int(1)
    w.int(4)
    for s in range(3):
        w.int(s).int(2).int(s).float(0.75).int(s + 1).float(0.25)
    w.int(-1).int(0)
    w.token("</Topology>")
    w.token("<Triples>").int(num_pdfs)
    for i in range(num_pdfs):
        w.int(1 + i // 3).int(i % 3).int(i)
    w.token("</Triples>").token("<LogProbs>").vector(np.log(np.full(num_pdfs * 2 + 1, 0.5))).token("</LogProbs>")
    w.token("</TransitionModel>")


def nnet1_file(path, components, binary=True):
    """components: list of (marker, out_dim, in_dim, body_fn(w))"""
    w = KaldiWriter(binary)
    _nnet1_body(w, components)
    open(path, "wb").write(w.bytes())
    return path


def _nnet1_body(w, components):
    w.token("<Nnet>").newline()
    for marker, out_dim, in_dim, body in components:
        w.token(marker).int(out_dim).int(in_dim).newline()
        if body is not None:
            body(w)
        w.token("<!EndOfComponent>").newline()
    w.token("</Nnet>").newline()


def nnet1_parallel(nested):
    """Body of a <ParallelComponent> with nested nets (lists like nnet1_file's)."""
    def body(w):
        w.token("<NestedNnetCount>").int(len(nested))
        for i, comps in enumerate(nested):
            w.token("<NestedNnet>").int(i + 1)
            _nnet1_body(w, comps)
        w.token("</ParallelComponent>")
    return body


def nnet2_file(path, components, priors=None, binary=True, mdl=True):
    """components: list of body_fn(w) writing '<Type> ... </Type>'."""
    w = KaldiWriter(binary)
    if mdl:
        transition_model(w, len(priors) if priors is not None else 6)
    w.token("<Nnet>").token("<NumComponents>").int(len(components)).token("<Components>")
    for body in components:
        body(w)
    w.token("</Components>").token("</Nnet>")
    if mdl:
        w.vector(priors if priors is not None else np.full(6, 1 / 6.0))
    open(path, "wb").write(w.bytes())
    return path


def nnet3_file(path, config, components, binary=True, mdl=False, priors=None, left=0, right=0):
    """config: list of config lines; components: list of (name, body_fn(w))."""
    w = KaldiWriter(binary)
    if mdl:
        transition_model(w, len(priors) if priors is not None else 6)
    w.token("<Nnet3>").line("")
    for line in config:
        w.line(line)
    w.line("")
    w.token("<NumComponents>").int(len(components)).newline()
    for name, body in components:
        w.token("<ComponentName>").token(name)
        body(w)
        w.newline()
    w.token("</Nnet3>")
    if mdl:
        w.token("<LeftContext>").int(left).token("<RightContext>").int(right)
        w.token("<Priors>").vector(priors if priors is not None else np.zeros(0))
    open(path, "wb").write(w.bytes())
    return path


# ---------------------------------------------------------------------------- nnet3 component bodies
def updatable_header(w, typ):
    w.token("<%s>" % typ).token("<MaxChange>").float(0.75).token("<LearningRate>").float(0.001)


def ng_affine(W, b, kind="FM", typ="NaturalGradientAffineComponent"):
    def body(w):
        updatable_header(w, typ)
        w.token("<LinearParams>").matrix(W, kind=kind).token("<BiasParams>").vector(b)
        if typ == "NaturalGradientAffineComponent":
            w.token("<RankIn>").int(20).token("<RankOut>").int(80).token("<UpdatePeriod>").int(4)
            w.token("<NumSamplesHistory>").float(2000.0).token("<Alpha>").float(4.0)
        w.token("</%s>" % typ)
    return body


def fixed_affine(W, b):
    def body(w):
        w.token("<FixedAffineComponent>").token("<LinearParams>").matrix(W).token("<BiasParams>").vector(b)
        w.token("</FixedAffineComponent>")
    return body


def linear(W):
    def body(w):
        updatable_header(w, "LinearComponent")
        w.token("<Params>").matrix(W).token("<UseNaturalGradient>").bool(True)
        w.token("<RankInOut>").int(20).int(20).token("<Alpha>").float(4.0)
        w.token("<NumSamplesHistory>").float(2000.0).token("<UpdatePeriod>").int(4).token("</LinearComponent>")
    return body


def tdnn(offsets, W, b):
    def body(w):
        updatable_header(w, "TdnnComponent")
        w.token("<TimeOffsets>").int_vector(offsets).token("<LinearParams>").matrix(W)
        w.token("<BiasParams>").vector(b).token("<OrthonormalConstraint>").float(0.0)
        w.token("<UseNaturalGradient>").bool(True).token("<NumSamplesHistory>").float(2000.0)
        w.token("<AlphaInOut>").float(4.0).float(4.0).token("<RankInOut>").int(20).int(80).token("</TdnnComponent>")
    return body


def nonlinear(typ, dim, nnet2=False):
    def body(w):
        w.token("<%s>" % typ).token("<Dim>").int(dim)
        if nnet2:
            w.token("<ValueSum>").vector(np.zeros(dim)).token("<DerivSum>").vector(np.zeros(dim))
            w.token("<Count>").float(0.0, double=True)
        else:
            w.token("<ValueAvg>").vector(np.zeros(dim)).token("<DerivAvg>").vector(np.zeros(dim))
            w.token("<Count>").float(0.0, double=True).token("<OderivRms>").vector(np.zeros(dim))
            w.token("<OderivCount>").float(0.0, double=True).token("<NumDimsSelfRepaired>").float(0.0, double=True)
            w.token("<NumDimsProcessed>").float(0.0, double=True)
        w.token("</%s>" % typ)
    return body


def tagged(typ, *items):
    """'<typ> <Tag> value ... </typ>' with items (tag, kind, value); kind in int/float/bool/
    ivec/vec/mat/double."""
    def body(w):
        w.token("<%s>" % typ)
        for tag, kind, value in items:
            w.token("<%s>" % tag)
            getattr(w, {"int": "int", "float": "float", "bool": "bool", "ivec": "int_vector",
                        "vec": "vector", "mat": "matrix"}[kind] if kind != "double" else "float")(
                *((value, True) if kind == "double" else (value,)))
        w.token("</%s>" % typ)
    return body


def batchnorm(dim, block, mean, var, eps=1e-3, rms=1.0):
    return tagged("BatchNormComponent", ("Dim", "int", dim), ("BlockDim", "int", block), ("Epsilon", "float", eps),
                  ("TargetRms", "float", rms), ("TestMode", "bool", False), ("Count", "double", 100.0),
                  ("StatsMean", "vec", mean), ("StatsVar", "vec", var))


def lstm_nonlinearity(params):
    c = params.shape[1]

    def body(w):
        updatable_header(w, "LstmNonlinearityComponent")
        w.token("<Params>").matrix(params).token("<ValueAvg>").matrix(np.zeros((5, c)))
        w.token("<DerivAvg>").matrix(np.zeros((5, c))).token("<SelfRepairConfig>").vector(np.zeros(10))
        w.token("<SelfRepairProb>").vector(np.zeros(5)).token("<Count>").float(0.0, double=True)
        w.token("</LstmNonlinearityComponent>")
    return body


# ---------------------------------------------------------------------------- running
def convert(path, **options):
    """Converts and saves the IR beside the model (in the test's tmp_path); returns (Model, xml)."""
    m = irconv.convert_model(path, framework="kaldi", **options)
    d = tempfile.mkdtemp(prefix="ir_", dir=os.path.dirname(os.path.abspath(path)))
    xml = os.path.join(d, "m.xml")
    m.save(xml, compress_to_fp16=False)
    return m, xml


def run_stateless(xml, inputs):
    _, cm = compile_xml(xml)
    res = cm.create_infer_request().infer(inputs)
    return {n: np.asarray(res[p]) for p in cm.outputs for n in p.get_names()}


def run_stateful(xml, inputs, output="output", extra=None):
    """One infer request, reset_state, one [1, D] row per step; returns [T, D] of `output`."""
    _, cm = compile_xml(xml)
    req = cm.create_infer_request()
    req.reset_state()
    frames = next(iter(inputs.values())).shape[0]
    rows = []
    for s in range(frames):
        feed = {n: v[s:s + 1] for n, v in inputs.items()}
        res = req.infer(feed)
        rows.append(np.asarray(res[cm.output(output)])[0])
    return np.stack(rows)


def compare_streaming(got_steps, ref_frames, right, rtol=1e-4, atol=1e-5):
    """got_steps[s] is frame s - right; ref_frames has NaN rows where the frame needs frames the
    input does not have. Compares every frame both sides have; returns how many."""
    n = 0
    for s in range(got_steps.shape[0]):
        t = s - right
        if t < 0 or t >= ref_frames.shape[0] or not np.all(np.isfinite(ref_frames[t])):
            continue
        np.testing.assert_allclose(got_steps[s], ref_frames[t], rtol=rtol, atol=atol, err_msg="frame %d" % t)
        n += 1
    return n


def shift(x, o):
    """Frame t of the result is frame t + o of x (NaN outside)."""
    out = np.full_like(x, np.nan, dtype=np.float64)
    T = x.shape[0]
    for t in range(T):
        if 0 <= t + o < T:
            out[t] = x[t + o]
    return out


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def log_softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
