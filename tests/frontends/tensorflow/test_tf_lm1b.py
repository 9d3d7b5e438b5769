"""An lm_1b-structured model (the way "Language Model on One Billion Word Benchmark" is shipped:
a 2016 text GraphDef with legacy `Variable` ops + a folder of V1 checkpoint shards), written by
the test without TensorFlow (tf_writers.py) at a tiny size, converted with the legacy Model
Optimizer guide's arguments (cut at the Unique outputs of the embedding lookup and at the state
reads), run on OpenVINO and compared with the same network computed in numpy.

Structure as in ../shared/tools/gen_lm1b_scale.py: embedding row shards emb_i (or one
partitioned variable stored as checkpoint slices) -> ConcatV2 -> EmbeddingLookupUnique
(Unique -> GatherV2 -> GatherV2) -> 2 LSTMCells with peepholes and projection (state_is_tuple=False,
states in variables Variable / Variable_1) unrolled over the steps -> softmax over interleaved
weight shards W_i (concat axis 1, reshape, slice) + bias -> softmax_out."""
import os

import numpy as np
import pytest

import irconv.cli
from helpers import infer_xml
from tf_writers import GraphBuilder, write_v1_checkpoint

CFG = dict(vocab=50, emb_dim=8, emb_shards=2, units=12, proj=6, layers=2, softmax_shards=3, batch=1, steps=3)
UNIQUE = "embedding/EmbeddingLookupUnique/Unique"
F32 = np.float32


def _shards(n, k):
    base, rem = divmod(n, k)
    return [base + (1 if i < rem else 0) for i in range(k)]


def build(d, cfg, partitioned=False, seed=3):
    """Writes graph.pbtxt + ckpt/ (V1 shards) into d; returns (weights, names)."""
    V, E, U, P = cfg["vocab"], cfg["emb_dim"], cfg["units"], cfg["proj"]
    B, T, L = cfg["batch"], cfg["steps"], cfg["layers"]
    rng = np.random.default_rng(seed)
    w = {}
    g = GraphBuilder()
    i32 = np.int32
    g.placeholder("inputs_in", i32, [B, T])
    for layer in range(L):
        g.variable("Variable" if layer == 0 else "Variable_%d" % layer, [B, U + P], op="Variable")
    # embedding
    emb_full = (rng.standard_normal((V, E)) * 0.5).astype(F32)
    if partitioned:
        parts = []
        start = 0
        for i, n in enumerate(_shards(V, cfg["emb_shards"])):
            parts.append(g.variable("embedding/emb/part_%d" % i, [n, E], op="Variable"))
            start += n
        w["__slices__"] = {"embedding/emb": [([s, 0], [n, E]) for s, n in
                                             zip(np.cumsum([0] + _shards(V, cfg["emb_shards"]))[:-1].tolist(),
                                                 _shards(V, cfg["emb_shards"]))]}
        w["embedding/emb"] = emb_full
    else:
        parts = []
        start = 0
        for i, n in enumerate(_shards(V, cfg["emb_shards"])):
            parts.append(g.variable("embedding/emb_%d" % i, [n, E], op="Variable"))
            w["embedding/emb_%d" % i] = emb_full[start:start + n]
            start += n
    g.const("all_embs/axis", np.int32(0))
    g.op("ConcatV2", "all_embs", parts + ["all_embs/axis"], N=len(parts), Tidx=("type", 3))
    g.const(UNIQUE.rsplit("/", 1)[0] + "/Reshape/shape", np.array([-1], i32))
    g.op("Reshape", "embedding/EmbeddingLookupUnique/Reshape", ["inputs_in", "embedding/EmbeddingLookupUnique/Reshape/shape"],
         T=i32, Tshape=("type", 3))
    g.op("Unique", UNIQUE, ["embedding/EmbeddingLookupUnique/Reshape"], T=i32, out_idx=("type", 3))
    g.const("embedding/EmbeddingLookupUnique/axis", np.int32(0))
    g.op("GatherV2", "embedding/EmbeddingLookupUnique/GatherV2", ["all_embs", UNIQUE + ":0",
         "embedding/EmbeddingLookupUnique/axis"], T=None, Tparams=("type", 1), Tindices=("type", 3),
         Taxis=("type", 3), batch_dims=0)
    g.op("GatherV2", "embedding/EmbeddingLookupUnique/GatherV2_1", ["embedding/EmbeddingLookupUnique/GatherV2",
         UNIQUE + ":1", "embedding/EmbeddingLookupUnique/axis"], T=None, Tparams=("type", 1), Tindices=("type", 3),
         Taxis=("type", 3), batch_dims=0)
    g.const("embedding/EmbeddingLookupUnique/Reshape_1/shape", np.array([B, T, E], i32))
    g.op("Reshape", "embedding/EmbeddingLookupUnique/Reshape_1", ["embedding/EmbeddingLookupUnique/GatherV2_1",
         "embedding/EmbeddingLookupUnique/Reshape_1/shape"], Tshape=("type", 3))
    g.const("split_steps/dim", np.int32(1))
    g.op("Split", "split_steps", ["split_steps/dim", "embedding/EmbeddingLookupUnique/Reshape_1"], num_split=T)
    layer_in = []
    for t in range(T):
        layer_in.append(g.op("Squeeze", "Squeeze_%d" % t, ["split_steps:%d" % t if t else "split_steps"],
                             squeeze_dims=("list_i", [1])))
    g.const("lstm/forget_bias", np.float32(1.0))
    g.const("lstm/axis1", np.int32(1))
    new_states = []
    for layer in range(L):
        sc = "lstm/lstm_%d" % layer
        in_dim = E if layer == 0 else P
        for name, shape, std in (("kernel", [in_dim + P, 4 * U], 1 / np.sqrt(in_dim + P)), ("bias", [4 * U], 0.05),
                                 ("w_f_diag", [U], 0.1), ("w_i_diag", [U], 0.1), ("w_o_diag", [U], 0.1),
                                 ("projection/kernel", [U, P], 1 / np.sqrt(U))):
            g.variable("%s/%s" % (sc, name), shape, op="Variable")
            w["%s/%s" % (sc, name)] = (rng.standard_normal(shape) * std).astype(F32)
        state = "Variable/read" if layer == 0 else "Variable_%d/read" % layer
        g.const(sc + "/c_begin", np.array([0, 0], i32))
        g.const(sc + "/c_size", np.array([-1, U], i32))
        g.const(sc + "/m_begin", np.array([0, U], i32))
        g.const(sc + "/m_size", np.array([-1, P], i32))
        outs = []
        for t in range(T):
            p = "%s/lstm_cell/" % sc
            sfx = "" if t == 0 else "_t%d" % t
            c_prev = g.op("Slice", p + "Slice" + sfx, [state, sc + "/c_begin", sc + "/c_size"], Index=("type", 3))
            m_prev = g.op("Slice", p + "Slice_1" + sfx, [state, sc + "/m_begin", sc + "/m_size"], Index=("type", 3))
            xm = g.op("ConcatV2", p + "concat_in" + sfx, [layer_in[t], m_prev, "lstm/axis1"], N=2, Tidx=("type", 3))
            mm = g.op("MatMul", p + "MatMul" + sfx, [xm, sc + "/kernel/read"], transpose_a=False, transpose_b=False)
            z = g.op("BiasAdd", p + "BiasAdd" + sfx, [mm, sc + "/bias/read"])
            g.op("Split", p + "split" + sfx, ["lstm/axis1", z], num_split=4)
            i_, j_, f_, o_ = [p + "split" + sfx + (":%d" % k if k else "") for k in range(4)]
            fb = g.op("AddV2", p + "add" + sfx, [f_, "lstm/forget_bias"])
            fd = g.op("Mul", p + "mul_f" + sfx, [sc + "/w_f_diag/read", c_prev])
            fs = g.op("Sigmoid", p + "Sigmoid_f" + sfx, [g.op("AddV2", p + "add_f" + sfx, [fb, fd])])
            id_ = g.op("Mul", p + "mul_i" + sfx, [sc + "/w_i_diag/read", c_prev])
            is_ = g.op("Sigmoid", p + "Sigmoid_i" + sfx, [g.op("AddV2", p + "add_i" + sfx, [i_, id_])])
            jt = g.op("Tanh", p + "Tanh_j" + sfx, [j_])
            c = g.op("AddV2", p + "c" + sfx, [g.op("Mul", p + "mul_fc" + sfx, [fs, c_prev]),
                                              g.op("Mul", p + "mul_ij" + sfx, [is_, jt])])
            od = g.op("Mul", p + "mul_o" + sfx, [sc + "/w_o_diag/read", c])
            os_ = g.op("Sigmoid", p + "Sigmoid_o" + sfx, [g.op("AddV2", p + "add_o" + sfx, [o_, od])])
            m = g.op("Mul", p + "m" + sfx, [os_, g.op("Tanh", p + "Tanh_c" + sfx, [c])])
            m = g.op("MatMul", p + "projection" + sfx, [m, sc + "/projection/kernel/read"], transpose_a=False,
                     transpose_b=False)
            state = g.op("ConcatV2", p + "concat" + ("_%d" % t), [c, m, "lstm/axis1"], N=2, Tidx=("type", 3))
            outs.append(m)
        new_states.append(state)
        layer_in = outs
    g.op("ConcatV2", "lstm/output", layer_in + ["all_embs/axis"], N=T, Tidx=("type", 3))
    k = cfg["softmax_shards"]
    rows = -(-V // k)
    w_all = (rng.standard_normal((k * rows, P)) / np.sqrt(P)).astype(F32)
    shards = []
    for i in range(k):
        shards.append(g.variable("softmax/W_%d" % i, [rows, P], op="Variable"))
        w["softmax/W_%d" % i] = np.ascontiguousarray(w_all[i::k])      # row r of the full matrix: shard r % k
    g.variable("softmax/b", [V], op="Variable")
    w["softmax/b"] = (rng.standard_normal(V) * 0.05).astype(F32)
    g.op("ConcatV2", "softmax/concat", shards + ["lstm/axis1"], N=k, Tidx=("type", 3))
    g.const("softmax/Reshape/shape", np.array([-1, P], i32))
    g.op("Reshape", "softmax/Reshape", ["softmax/concat", "softmax/Reshape/shape"], Tshape=("type", 3))
    g.const("softmax/W/begin", np.array([0, 0], i32))
    g.const("softmax/W/size", np.array([V, P], i32))
    g.op("Slice", "softmax/W", ["softmax/Reshape", "softmax/W/begin", "softmax/W/size"], Index=("type", 3))
    g.op("MatMul", "softmax/MatMul", ["lstm/output", "softmax/W"], transpose_a=False, transpose_b=True)
    g.op("BiasAdd", "softmax/logits", ["softmax/MatMul", "softmax/b/read"])
    g.op("Softmax", "softmax_out", ["softmax/logits"])
    # state updates, as lm_1b has them (not part of the converted graph)
    for layer in range(L):
        v = "Variable" if layer == 0 else "Variable_%d" % layer
        g.op("Assign", "lstm/lstm_%d/assign_state" % layer, [v, new_states[layer]], use_locking=True,
             validate_shape=True)
    g.node("Variable", "global_step", dtype=("type", 9), shape=("shape", []))
    w["global_step"] = np.int64(7)
    os.makedirs(os.path.join(d, "ckpt"), exist_ok=True)
    with open(os.path.join(d, "graph.pbtxt"), "w") as f:
        f.write(g.text())
    # the checkpoint: lm_1b's grouping of variables into shard files
    slices = w.pop("__slices__", {})
    groups = {"ckpt-base": ["global_step", "softmax/b"],
              "ckpt-embedding": [n for n in w if n.startswith("embedding/")],
              "ckpt-lstm": [n for n in w if n.startswith("lstm/")]}
    for i in range(k):
        groups["ckpt-softmax%d" % i] = ["softmax/W_%d" % i]
    for fname, names in groups.items():
        write_v1_checkpoint(os.path.join(d, "ckpt", fname), {n: w[n] for n in names},
                            {n: slices[n] for n in names if n in slices})
    return w, emb_full, w_all[:V], new_states


def _sig(x):
    return 1 / (1 + np.exp(-x))


def reference(cfg, w, emb, w_soft, uniq, idx, states):
    U = cfg["units"]
    B, T = cfg["batch"], cfg["steps"]
    x = emb[uniq][idx].reshape(B, T, -1)
    layer_in = [x[:, t] for t in range(T)]
    new = []
    for layer in range(cfg["layers"]):
        sc = "lstm/lstm_%d/" % layer
        state = states[layer]
        outs = []
        for t in range(T):
            c_prev, m_prev = state[:, :U], state[:, U:]
            z = np.concatenate([layer_in[t], m_prev], 1) @ w[sc + "kernel"] + w[sc + "bias"]
            i, j, f, o = np.split(z, 4, axis=1)
            c = _sig(f + 1.0 + w[sc + "w_f_diag"] * c_prev) * c_prev + _sig(i + w[sc + "w_i_diag"] * c_prev) * np.tanh(j)
            m = _sig(o + w[sc + "w_o_diag"] * c) * np.tanh(c)
            m = m @ w[sc + "projection/kernel"]
            state = np.concatenate([c, m], 1)
            outs.append(m)
        new.append(state)
        layer_in = outs
    out = np.concatenate(layer_in, 0)
    logits = out @ w_soft.T + w["softmax/b"]
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True), new


@pytest.mark.parametrize("partitioned", [False, True], ids=["emb_shards", "partitioned_emb"])
def test_lm1b_structured_model_with_the_guides_cut(tmp_path, monkeypatch, partitioned):
    cfg = CFG
    d = str(tmp_path)
    w, emb, w_soft, new_states = build(d, cfg, partitioned)
    n = cfg["batch"] * cfg["steps"]
    S = cfg["units"] + cfg["proj"]
    inputs = [UNIQUE + ":0", UNIQUE + ":1", "Variable/read", "Variable_1/read"]
    outputs = ["softmax_out"] + new_states
    monkeypatch.chdir(d)
    argv = ["--input_model", "graph.pbtxt", "--input_model_is_text", "--input_checkpoint", "ckpt",
            "--input", ",".join(inputs),
            "--input_shape", ",".join(["[%d]" % n] * 2 + ["[%d,%d]" % (cfg["batch"], S)] * 2),
            "--output", ",".join(outputs),
            "--output_dir", os.path.join(d, "ir"), "--model_name", "lm1b", "--compress_to_fp16", "False"]
    assert irconv.cli.main(argv) == 0
    rng = np.random.default_rng(0)
    uniq = np.array([17, 3, 42], np.int32)            # distinct word ids: Unique:0 has one row per word
    idx = np.array([0, 1, 2], np.int32)
    states = [(rng.standard_normal((cfg["batch"], S)) * 0.5).astype(F32) for _ in range(2)]
    got = infer_xml(os.path.join(d, "ir", "lm1b.xml"), {inputs[0]: uniq, inputs[1]: idx, inputs[2]: states[0],
                                                         inputs[3]: states[1]})
    ref_sm, ref_states = reference(cfg, w, emb, w_soft, uniq, idx, states)
    np.testing.assert_allclose(got["softmax_out"], ref_sm, rtol=1e-4, atol=1e-6)
    for name, ref in zip(new_states, ref_states):
        np.testing.assert_allclose(got[name], ref, rtol=1e-4, atol=1e-5)
    # the IR's inputs are the cut tensors with their TF types, in --input order
    import openvino as ov
    m = ov.Core().read_model(os.path.join(d, "ir", "lm1b.xml"))
    assert [p.get_element_type().get_type_name() for p in m.inputs] == ["i32", "i32", "f32", "f32"]
    assert inputs[0] in m.inputs[0].get_names() and "Variable/read" in m.inputs[2].get_names()
