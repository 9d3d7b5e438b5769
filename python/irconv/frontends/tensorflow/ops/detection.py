"""Non-max suppression: NonMaxSuppression V2-V5 -> NonMaxSuppression-9 (one batch, one class)."""
import numpy as np

from ..registry import tf_op


@tf_op("NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4",
       "NonMaxSuppressionV5")
def non_max_suppression(ctx, node):
    boxes, scores = node.input(0), node.input(1)
    max_out = ctx.reshape(ctx.convert(node.input(2), "i64"), [1])
    if node.op == "NonMaxSuppression":
        iou = ctx.const(np.float32(node.attr("iou_threshold", 0.5)))
    else:
        iou = ctx.convert(ctx.to_scalar(node.input(3)), "f32")
    score_thr = (ctx.convert(ctx.to_scalar(node.input(4)), "f32") if node.op in ("NonMaxSuppressionV3",
                 "NonMaxSuppressionV4", "NonMaxSuppressionV5") else ctx.const(np.float32(-np.inf)))
    sigma = ctx.convert(ctx.to_scalar(node.input(5)), "f32") if node.op == "NonMaxSuppressionV5" \
        else ctx.const(np.float32(0.0))
    b = ctx.unsqueeze(ctx.convert(boxes, "f32"), [0])                    # [1, N, 4]
    s = ctx.unsqueeze(ctx.unsqueeze(ctx.convert(scores, "f32"), [0]), [0])  # [1, 1, N]
    nms = ctx.op("NonMaxSuppression", [b, s, max_out, iou, score_thr, sigma],
                 {"box_encoding": "corner", "sort_result_descending": True, "output_type": "i32"},
                 version="opset9")
    sel = ctx.squeeze(ctx.gather(nms.output(0), [2], 1), [1])           # [K], -1 past the valid ones
    sel_scores = ctx.squeeze(ctx.gather(nms.output(1), [2], 1), [1])
    valid = ctx.to_scalar(nms.output(2))                                 # i32
    pad = node.op in ("NonMaxSuppressionV4", "NonMaxSuppressionV5") and bool(node.attr("pad_to_max_output_size",
                                                                                       False))
    if pad:
        # TF pads to max_output_size with index 0 and score 0
        ok = ctx.binary("GreaterEqual", sel, ctx.i32(0))
        sel = ctx.binary("Maximum", sel, ctx.i32(0))
        sel_scores = ctx.op1("Select", [ok, sel_scores, ctx.const(np.float32(0))], {"auto_broadcast": "numpy"})
        k = ctx.dim(sel, 0)
        extra = ctx.binary("Maximum", ctx.binary("Subtract", max_out, k), ctx.i64([0]))
        sel = ctx.op1("Pad", [sel, ctx.i64([0]), extra, ctx.i32(0)], {"pad_mode": "constant"})
        sel_scores = ctx.op1("Pad", [sel_scores, ctx.i64([0]), extra, ctx.const(np.float32(0))],
                             {"pad_mode": "constant"})
    else:
        end = ctx.reshape(ctx.convert(valid, "i64"), [1])
        sel = ctx.op1("Slice", [sel, ctx.i64([0]), end, ctx.i64([1])])
        sel_scores = ctx.op1("Slice", [sel_scores, ctx.i64([0]), end, ctx.i64([1])])
    if ctx.et(scores) != "f32":
        sel_scores = ctx.convert(sel_scores, ctx.et(scores))
    if node.op in ("NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionV3"):
        return [sel]
    if node.op == "NonMaxSuppressionV4":
        return [sel, valid]
    return [sel, sel_scores, valid]
