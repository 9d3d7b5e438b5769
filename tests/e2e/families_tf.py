"""TensorFlow graphs shaped like the model families the Model Optimizer had guides for, written by
TensorFlow itself (tf.compat.v1 graph mode, weights as constants = a frozen graph): DeepSpeech
(fused BlockLSTM/BlockLSTMV2 with state inputs/outputs), GNMT (bidirectional dynamic_rnn encoder,
attention, greedy while_loop decoder with TensorArrays) and an Object Detection API SSD
(Preprocessor/Postprocessor map_fn loops, NonMaxSuppressionV3/V4/V5, padded or not).
Imported only when tensorflow is installed."""
import numpy as np
import tensorflow as tf

F32 = np.float32


def run(graph, feeds, outputs):
    with tf.compat.v1.Session(graph=graph) as s:
        return s.run([o + ":0" for o in outputs], {k + ":0": v for k, v in feeds.items()})


def save_pb(graph, path):
    with open(path, "wb") as f:
        f.write(graph.as_graph_def().SerializeToString())
    return path


def op_counts(graph):
    c = {}
    for n in graph.as_graph_def().node:
        c[n.op] = c.get(n.op, 0) + 1
    return c


class _TF1ControlFlow:
    """TF1 while loops (Enter/Merge/Switch/NextIteration/Exit) as TF 1.x froze them (v2=True:
    functional While with TensorLists, as TF 2.x writes them)."""

    def __init__(self, v2=False):
        self.v2 = v2

    def __enter__(self):
        if not self.v2:
            tf.compat.v1.disable_control_flow_v2()

    def __exit__(self, *a):
        tf.compat.v1.enable_control_flow_v2()


# ---------------------------------------------------------------- DeepSpeech

DS_SCOPE = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/"


def deepspeech(op="BlockLSTMV2", hidden=24, peephole=False, cell_clip=None, forget_bias=0.0, seed=7):
    """DeepSpeech 0.x's exported graph in small: input_node [batch, time, 19, 26] (MFCC x context),
    dense layers with clipped ReLU, the LSTM as LSTMBlockFusedCell writes it (a BlockLSTM/V2 op with
    seq_len_max = max(input_lengths), masking, and the final states gathered at input_lengths into
    the scope's GatherNd (c) and GatherNd_1 (h) nodes that the guide cuts at), logits = softmax."""
    rng = np.random.default_rng(seed)
    H = hidden
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, None, 19, 26], name="input_node")
        lens = tf.compat.v1.placeholder(tf.int32, [None], name="input_lengths")
        ps_c = tf.compat.v1.placeholder(tf.float32, [None, H], name="previous_state_c")
        ps_h = tf.compat.v1.placeholder(tf.float32, [None, H], name="previous_state_h")
        bsz = tf.shape(x)[0]
        bx = tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [-1, 19 * 26])

        def dense(name, v, n, relu=True):
            w = tf.constant(rng.standard_normal((v.shape[-1], n)).astype(F32) * 0.1, name=name + "/weights")
            b = tf.constant(rng.standard_normal(n).astype(F32) * 0.1, name=name + "/bias")
            y = tf.nn.bias_add(tf.matmul(v, w), b)
            return tf.minimum(tf.nn.relu(y), 20.0) if relu else y     # clipped ReLU
        l3 = tf.reshape(dense("layer_3", dense("layer_1", bx, 32), 32), [-1, bsz, 32])
        with tf.name_scope(DS_SCOPE[:-1]):
            kernel = tf.constant(rng.standard_normal((32 + H, 4 * H)).astype(F32) * 0.2, name="kernel")
            bias = tf.constant(rng.standard_normal(4 * H).astype(F32) * 0.2, name="bias")
            if peephole:
                wci, wcf, wco = [tf.constant(rng.standard_normal(H).astype(F32) * 0.3, name=n)
                                 for n in ("w_i_diag", "w_f_diag", "w_o_diag")]
            else:
                wci = wcf = wco = tf.zeros([H], tf.float32)
            kw = dict(seq_len_max=tf.cast(tf.reduce_max(lens), tf.int64), x=l3, cs_prev=ps_c, h_prev=ps_h,
                      w=kernel, wci=wci, wcf=wcf, wco=wco, b=bias, use_peephole=peephole)
            if cell_clip is not None:
                kw["cell_clip"] = cell_clip
            if op == "BlockLSTM":
                outs = tf.raw_ops.BlockLSTM(forget_bias=forget_bias, **kw)
            else:
                outs = tf.raw_ops.BlockLSTMV2(**kw)
            cs, h = outs[1], outs[6]
            mask = tf.transpose(tf.sequence_mask(lens, tf.shape(l3)[0], dtype=tf.float32), [1, 0])
            h = h * tf.tile(tf.expand_dims(mask, [-1]), [1, 1, H])
            idx = tf.stack([lens, tf.range(bsz)], axis=1)
            tf.gather_nd(tf.concat([tf.expand_dims(ps_c, [0]), cs], 0), idx, name="GatherNd")
            tf.gather_nd(tf.concat([tf.expand_dims(ps_h, [0]), h], 0), idx, name="GatherNd_1")
        l6 = dense("layer_6", dense("layer_5", tf.reshape(h, [-1, H]), 32), 29, relu=False)
        tf.nn.softmax(tf.reshape(l6, [-1, bsz, 29], name="raw_logits"), name="logits")
    return g


# ---------------------------------------------------------------- GNMT

class LSTM:
    """A minimal LSTM cell object for tf.compat.v1.nn.(bidirectional_)dynamic_rnn (the legacy
    rnn_cell classes need tf_keras): gates i, j, f, o with forget bias 1, as BasicLSTMCell."""

    def __init__(self, name, n_in, units, rng):
        self.units = units
        self.w = tf.constant(rng.standard_normal((n_in + units, 4 * units)).astype(F32) * 0.3, name=name + "/kernel")
        self.b = tf.constant(rng.standard_normal(4 * units).astype(F32) * 0.1, name=name + "/bias")

    @property
    def output_size(self):
        return self.units

    @property
    def state_size(self):
        return (self.units, self.units)

    def zero_state(self, batch, dtype):
        z = tf.zeros(tf.stack([batch, self.units]), dtype)
        return (z, z)

    def __call__(self, x, state, scope=None):
        c, h = state
        z = tf.nn.bias_add(tf.matmul(tf.concat([x, h], 1), self.w), self.b)
        i, j, f, o = tf.split(z, 4, axis=1)
        c2 = tf.sigmoid(f + 1.0) * c + tf.sigmoid(i) * tf.tanh(j)
        h2 = tf.sigmoid(o) * tf.tanh(c2)
        return h2, (c2, h2)


def gnmt(vocab=17, emb=8, hidden=10, eos=1, sos=0, max_ratio=2, seed=7, eos_bias=0.5):
    """GNMT-style seq2seq (TF1 frozen graph): embedding lookup, a bidirectional dynamic_rnn encoder
    with sequence lengths (ReverseSequence, while loops over TensorArrays), Luong attention over the
    encoder outputs masked by the source lengths, and a greedy decoder as a tf.while_loop with
    input feeding, argmax, per-sentence `finished` flags, maximum_iterations = 2 * max(src_len) and
    a dynamic-size TensorArray of ids. Outputs decoded_ids [batch, steps] and decoded_length."""
    rng = np.random.default_rng(seed)
    H, V, E = hidden, vocab, emb
    g = tf.Graph()
    with _TF1ControlFlow(), g.as_default():
        src = tf.compat.v1.placeholder(tf.int32, [None, None], name="src_ids")
        src_len = tf.compat.v1.placeholder(tf.int32, [None], name="src_len")
        emb_s = tf.constant(rng.standard_normal((V, E)).astype(F32), name="embeddings/encoder")
        emb_t = tf.constant(rng.standard_normal((V, E)).astype(F32), name="embeddings/decoder")
        fw, bw = LSTM("encoder/fw", E, H, rng), LSTM("encoder/bw", E, H, rng)
        (of, ob), (sf, sb) = tf.compat.v1.nn.bidirectional_dynamic_rnn(
            fw, bw, tf.nn.embedding_lookup(emb_s, src), sequence_length=src_len, dtype=tf.float32,
            scope="dynamic_seq2seq/encoder/bidirectional_rnn")
        memory = tf.concat([of, ob], -1)                                   # [B, S, 2H]
        batch = tf.shape(src)[0]
        dec = LSTM("decoder", E + 2 * H, 2 * H, rng)
        wa = tf.constant(rng.standard_normal((2 * H, 2 * H)).astype(F32) * 0.3, name="attention/memory_layer")
        wc = tf.constant(rng.standard_normal((4 * H, 2 * H)).astype(F32) * 0.3, name="attention/attention_layer")
        bo = tf.constant(np.eye(V, dtype=F32)[eos] * eos_bias, name="output_projection/bias")
        wo = tf.constant(rng.standard_normal((2 * H, V)).astype(F32), name="output_projection/kernel")
        keys = tf.tensordot(memory, wa, 1)
        mask = tf.sequence_mask(src_len, tf.shape(src)[1])

        def cond(t, finished, c, h, attn, prev, ta):
            return tf.logical_not(tf.reduce_all(finished))

        def body(t, finished, c, h, attn, prev, ta):
            out, (c2, h2) = dec(tf.concat([tf.nn.embedding_lookup(emb_t, prev), attn], 1), (c, h))
            score = tf.squeeze(tf.matmul(keys, tf.expand_dims(out, 2)), 2)
            score = tf.where(mask, score, tf.fill(tf.shape(score), np.float32(-1e9)))
            ctxv = tf.reduce_sum(tf.expand_dims(tf.nn.softmax(score), 2) * memory, 1)
            attn2 = tf.tanh(tf.matmul(tf.concat([out, ctxv], 1), wc))
            ids = tf.argmax(tf.matmul(attn2, wo) + bo, -1, output_type=tf.int32)
            ids = tf.where(finished, tf.fill(tf.shape(ids), eos), ids)
            return t + 1, tf.logical_or(finished, tf.equal(ids, eos)), c2, h2, attn2, ids, ta.write(t, ids)

        init = (tf.constant(0), tf.zeros([batch], tf.bool), tf.concat([sf[0], sb[0]], 1), tf.concat([sf[1], sb[1]], 1),
                tf.zeros(tf.stack([batch, 2 * H])), tf.fill([batch], sos),
                tf.TensorArray(tf.int32, size=0, dynamic_size=True))
        res = tf.compat.v1.while_loop(cond, body, init, maximum_iterations=tf.reduce_max(src_len) * max_ratio,
                                      name="dynamic_seq2seq/decoder/while")
        tf.transpose(res[6].stack(), [1, 0], name="decoded_ids")
        tf.identity(res[0], name="decoded_length")
    return g


# ---------------------------------------------------------------- Object Detection API SSD

OD_OUTPUTS = ["detection_boxes", "detection_scores", "detection_classes", "num_detections"]


def _nms(kind, bx, s_c, max_per_class, iou, thr, sigma):
    """One class's NMS as the OD API's post_processing writes it, padded to max_per_class with
    index 0 / score -1; returns (indices, scores)."""
    k = max_per_class
    if kind in ("v3", "v4"):
        if kind == "v3":
            idx = tf.raw_ops.NonMaxSuppressionV3(boxes=bx, scores=s_c, max_output_size=k, iou_threshold=iou,
                                                 score_threshold=thr)
            n = tf.size(idx)
        else:
            idx, n = tf.raw_ops.NonMaxSuppressionV4(boxes=bx, scores=s_c, max_output_size=k, iou_threshold=iou,
                                                    score_threshold=thr, pad_to_max_output_size=False)
        sel = tf.gather(s_c, idx)
        return tf.pad(idx, [[0, k - n]]), tf.pad(sel, [[0, k - n]], constant_values=-1.0)
    if kind == "v4_padded":
        idx, n = tf.raw_ops.NonMaxSuppressionV4(boxes=bx, scores=s_c, max_output_size=k, iou_threshold=iou,
                                                score_threshold=thr, pad_to_max_output_size=True)
        return idx, tf.where(tf.range(k) < n, tf.gather(s_c, idx), -1.0)
    idx, sel, n = tf.raw_ops.NonMaxSuppressionV5(boxes=bx, scores=s_c, max_output_size=k, iou_threshold=iou,
                                                 score_threshold=thr, soft_nms_sigma=sigma,
                                                 pad_to_max_output_size=True)
    return idx, tf.where(tf.range(k) < n, sel, -1.0)


def _grid_anchors(f, scale, ratios):
    """MultipleGridAnchorGenerator in small: anchors (ycenter, xcenter, h, w) computed in the graph
    from the feature map's Shape (Range, meshgrid, Tile), one per cell and aspect ratio."""
    hw = tf.shape(f)[1:3]
    ys = (tf.cast(tf.range(hw[0]), tf.float32) + 0.5) / tf.cast(hw[0], tf.float32)
    xs = (tf.cast(tf.range(hw[1]), tf.float32) + 0.5) / tf.cast(hw[1], tf.float32)
    yy, xx = tf.meshgrid(ys, xs, indexing="ij")
    centers = tf.reshape(tf.stack([yy, xx], -1), [-1, 1, 2])
    sizes = np.array([[scale / np.sqrt(r), scale * np.sqrt(r)] for r in ratios], F32)
    a = len(ratios)
    n = tf.shape(centers)[0]
    return tf.reshape(tf.concat([tf.tile(centers, [1, a, 1]), tf.tile(tf.constant(sizes)[None], [n, 1, 1])], 2),
                      [-1, 4])


def _per_image_dynamic(bx, sc, num_classes, max_per_class, max_total, iou, thr):
    """multiclass_non_max_suppression with use_static_shapes=False (the OD API's default): clip to
    the window and drop empty boxes (Where + Gather), per class keep scores above the threshold
    (Where + Gather) and NonMaxSuppressionV3, sort_by_field (TopK of the Size), pad_or_clip to
    max_total (Slice + Pad by computed amounts)."""
    ymin, xmin, ymax, xmax = tf.split(bx, 4, axis=1)
    cl = [tf.maximum(tf.minimum(v, 1.0), 0.0) for v in (ymin, xmin, ymax, xmax)]
    bx = tf.concat(cl, 1)
    area = tf.squeeze((cl[2] - cl[0]) * (cl[3] - cl[1]), [1])
    keep = tf.reshape(tf.where(tf.greater(area, 0.0)), [-1])
    bx, sc = tf.gather(bx, keep), tf.gather(sc, keep)
    all_b, all_s, all_c = [], [], []
    for c in range(num_classes):
        hi = tf.reshape(tf.where(tf.greater(sc[:, c], thr)), [-1])
        b_c, s_c = tf.gather(bx, hi), tf.gather(sc[:, c], hi)
        idx = tf.image.non_max_suppression(b_c, s_c, tf.minimum(max_per_class, tf.size(s_c)), iou)
        all_b.append(tf.gather(b_c, idx))
        all_s.append(tf.gather(s_c, idx))
        all_c.append(tf.zeros_like(tf.gather(s_c, idx)) + float(c))
    ab, as_, ac = tf.concat(all_b, 0), tf.concat(all_s, 0), tf.concat(all_c, 0)
    top_s, order = tf.nn.top_k(as_, tf.size(as_))
    ab, ac = tf.gather(ab, order), tf.gather(ac, order)
    n = tf.minimum(tf.size(top_s), max_total)
    pad = max_total - n
    return (tf.pad(ab[:n], [[0, pad], [0, 0]]), tf.pad(top_s[:n], [[0, pad]]), tf.pad(ac[:n] + 1.0, [[0, pad]]),
            tf.cast(n, tf.float32))


def od_api_ssd(nms="v4_padded", num_classes=3, max_per_class=5, max_total=8, iou=0.6, score_thr=0.72,
               sigma=0.0, seed=11, control_flow_v2=False):
    """An OD API SSD frozen_inference_graph in small: image_tensor uint8 [?, ?, ?, 3];
    Preprocessor/map (map_fn: cast, resize to 64x64, scale to [-1, 1]); a conv feature extractor
    with two feature maps; BoxPredictor_k box/class convs reshaped with a Shape-derived batch;
    Postprocessor: FasterRcnnBoxCoder decode against constant anchors, sigmoid scores without the
    background column, and per image (map_fn) clip, per-class NMS (`nms`: v3, v4, v4_padded or v5
    with soft_nms_sigma = `sigma`), TopK over the classes' padded results, OD API output layout.
    nms="dynamic": anchors computed in the graph and the OD API's default post-processing with
    data-dependent sizes (_per_image_dynamic). control_flow_v2: the map_fn loops as TF 2.x's
    functional While over TensorLists instead of TF1 frames."""
    rng = np.random.default_rng(seed)
    g = tf.Graph()
    with _TF1ControlFlow(control_flow_v2), g.as_default():
        img = tf.compat.v1.placeholder(tf.uint8, [None, None, None, 3], name="image_tensor")
        with tf.name_scope("Preprocessor"):
            x = tf.map_fn(lambda im: (tf.compat.v1.image.resize_images(tf.cast(im, tf.float32), [64, 64]) - 127.5)
                          / 127.5, img, dtype=tf.float32)
        feats = []
        with tf.name_scope("FeatureExtractor"):
            for i, (cin, cout) in enumerate([(3, 8), (8, 16), (16, 16), (16, 24)]):
                w = tf.constant(rng.standard_normal((3, 3, cin, cout)).astype(F32) * 0.3)
                b = tf.constant(rng.standard_normal(cout).astype(F32) * 0.1)
                x = tf.nn.relu6(tf.nn.bias_add(tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), b))
                if i >= 2:
                    feats.append(x)
        A = 3
        batch = tf.shape(img)[0]
        encs, clss = [], []
        for k, f in enumerate(feats):
            with tf.name_scope("BoxPredictor_%d" % k):
                c = f.shape[-1]
                wb = tf.constant(rng.standard_normal((1, 1, c, A * 4)).astype(F32) * 0.3)
                wc = tf.constant(rng.standard_normal((3, 3, c, A * (num_classes + 1))).astype(F32) * 0.015)
                encs.append(tf.reshape(tf.nn.conv2d(f, wb, [1, 1, 1, 1], "SAME"), tf.stack([batch, -1, 4])))
                clss.append(tf.reshape(tf.nn.conv2d(f, wc, [1, 1, 1, 1], "SAME"), tf.stack([batch, -1, num_classes + 1])))
        n_anchor = sum(int(f.shape[1]) * int(f.shape[2]) * A for f in feats)
        anchors = np.concatenate([rng.uniform(0.2, 0.8, (n_anchor, 2)), rng.uniform(0.1, 0.4, (n_anchor, 2))],
                                 1).astype(F32)
        if nms == "dynamic":
            with tf.name_scope("MultipleGridAnchorGenerator"):
                anchors = tf.concat([_grid_anchors(f, 0.2 + 0.3 * k, [1.0, 2.0, 0.5]) for k, f in enumerate(feats)], 0)
        with tf.name_scope("Postprocessor"):
            ya, xa, ha, wa = tf.unstack(tf.convert_to_tensor(anchors), axis=1)
            ty, tx, th, tw = tf.unstack(tf.concat(encs, 1), axis=2)
            yc, xc = ty / 10.0 * ha + ya, tx / 10.0 * wa + xa
            h, w = tf.exp(th / 5.0) * ha, tf.exp(tw / 5.0) * wa
            boxes = tf.stack([yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2], axis=2)
            scores = tf.sigmoid(tf.concat(clss, 1))[:, :, 1:]

            def per_image(args):
                bx, sc = args
                if nms == "dynamic":
                    return _per_image_dynamic(bx, sc, num_classes, max_per_class, max_total, iou, score_thr)
                bx = tf.clip_by_value(bx, 0.0, 1.0)
                all_b, all_s, all_c = [], [], []
                for c in range(num_classes):
                    idx, sel = _nms(nms, bx, sc[:, c], max_per_class, iou, score_thr, sigma)
                    all_b.append(tf.gather(bx, idx))
                    all_s.append(sel)
                    all_c.append(tf.fill([max_per_class], float(c)))
                ab, as_, ac = tf.concat(all_b, 0), tf.concat(all_s, 0), tf.concat(all_c, 0)
                top_s, top_i = tf.nn.top_k(as_, max_total)
                valid = top_s > -1.0
                vf = tf.cast(valid, tf.float32)
                return (tf.gather(ab, top_i) * tf.expand_dims(vf, 1), tf.where(valid, top_s, tf.zeros_like(top_s)),
                        (tf.gather(ac, top_i) + 1.0) * vf, tf.reduce_sum(vf))
            res = tf.map_fn(per_image, (boxes, scores), dtype=(tf.float32,) * 4)
        for name, v in zip(OD_OUTPUTS, res):
            tf.identity(v, name=name)
    return g
