"""Beam search: GatherTree (tf.contrib.seq2seq's back-tracking of beams, the last op of GNMT's
inference graph) -> GatherTree-1, whose four inputs share one element type."""
from ..registry import tf_op


@tf_op("GatherTree")
def gather_tree(ctx, node):
    step_ids, parent_ids, max_len, end_token = [node.input(i) for i in range(4)]
    et = ctx.et(step_ids)
    return ctx.op1("GatherTree", [step_ids, ctx.convert(parent_ids, et), ctx.convert(max_len, et),
                                  ctx.to_scalar(ctx.convert(end_token, et))], version="opset1")
