"""CTC: CTCLoss (sparse labels, time-major logits) and CTCGreedyDecoder (sparse result)."""
from ..registry import tf_op


def _batch_major(ctx, x):
    return ctx.transpose(x, [1, 0, 2])


@tf_op("CTCLoss", "CTCLossV2")
def ctc_loss(ctx, node):
    logits, lab_idx, lab_val, seq_len = [node.input(i) for i in range(4)]
    lab_idx = ctx.convert(lab_idx, "i64")
    x = _batch_major(ctx, logits)                                   # [B, T, C]
    batch = ctx.dim(x, 0)
    # dense labels [B, T] (OpenVINO pads labels to the time length) and per-row label lengths
    rows = ctx.squeeze(ctx.gather(lab_idx, [0], 1), [1])
    dense_shape = ctx.concat([batch, ctx.dim(x, 1)], 0)
    labels = ctx.op1("Broadcast", [ctx.i32(0), dense_shape], {"mode": "numpy"}, version="opset3")
    labels = ctx.op1("ScatterNDUpdate", [labels, lab_idx, ctx.convert(lab_val, "i32")], version="opset4")
    zeros = ctx.op1("Broadcast", [ctx.i32(0), batch], {"mode": "numpy"}, version="opset3")
    ones = ctx.op1("Broadcast", [ctx.i32(1), ctx.shape_of(rows)], {"mode": "numpy"}, version="opset3")
    lengths = ctx.op1("ScatterElementsUpdate", [zeros, rows, ones, ctx.i64(0)],
                      {"reduction": "sum", "use_init_val": True}, version="opset12")
    attrs = {"preprocess_collapse_repeated": bool(node.attr("preprocess_collapse_repeated", False)),
             "ctc_merge_repeated": bool(node.attr("ctc_merge_repeated", True)), "unique": False}
    ins = [x, ctx.convert(seq_len, "i32"), labels, lengths]
    if node.op == "CTCLossV2":
        ins.append(ctx.i32(0))            # CTCLossV2 (cuDNN) uses blank 0
    loss = ctx.op1("CTCLoss", ins, attrs, version="opset4")
    return [loss, None]


@tf_op("CTCGreedyDecoder")
def ctc_greedy_decoder(ctx, node):
    logits, seq_len = node.input(0), node.input(1)
    x = _batch_major(ctx, logits)                                   # [B, T, C]
    ins = [x, ctx.convert(seq_len, "i32")]
    blank = int(node.attr("blank_index", -1))
    if blank >= 0:
        ins.append(ctx.i32(blank))
    d = ctx.op("CTCGreedyDecoderSeqLen", ins, {"merge_repeated": bool(node.attr("merge_repeated", False)),
                                               "classes_index_type": "i64", "sequence_length_type": "i64"},
               version="opset6")
    dense, lens = d.output(0), d.output(1)                          # [B, T] (-1 padded), [B]
    valid = ctx.binary("NotEqual", dense, ctx.i64(-1))
    idx = ctx.transpose(ctx.op1("NonZero", [valid], {"output_type": "i64"}), [1, 0])    # [N, 2]
    values = ctx.op1("GatherND", [dense, idx], {"batch_dims": 0}, version="opset8")
    width = ctx.op1("ReduceMax", [lens, ctx.i64([0])], {"keep_dims": True})
    shape = ctx.concat([ctx.dim(x, 0), width], 0)
    # log probability: minus the sum over the sequence of each step's largest logit
    best = ctx.op1("ReduceMax", [logits, ctx.i64([2])], {"keep_dims": False})         # [T, B]
    t = ctx.op1("Range", [ctx.i64(0), ctx.to_scalar(ctx.dim(logits, 0)), ctx.i64(1)], {"output_type": "i64"},
                version="opset4")
    mask = ctx.binary("Less", ctx.unsqueeze(t, [1]), ctx.unsqueeze(ctx.convert(seq_len, "i64"), [0]))
    kept = ctx.op1("Select", [mask, best, ctx.const(0, best)], {"auto_broadcast": "numpy"})
    logp = ctx.op1("Negative", [ctx.op1("ReduceSum", [kept, ctx.i64([0])], {"keep_dims": False})])
    return [idx, values, shape, ctx.unsqueeze(logp, [1])]
