"""TfIdfVectorizer over integer tokens against ONNX's reference evaluator."""
import numpy as np
import pytest
from onnx.reference import ReferenceEvaluator

from helpers import run_ir
from onnx_fe_util import helper, to_graph

POOL = [2, 3, 5, 4,            # unigrams
        5, 6, 7, 8, 6, 7,      # bigrams (5,6) (7,8) (6,7)
        6, 7, 8]               # a trigram


@pytest.mark.parametrize("mode,weights", [("TF", None), ("IDF", None), ("IDF", [.5, 1, 2, 3, 4, 5, 6, 7]),
                                          ("TFIDF", [.5, 1, 2, 3, 4, 5, 6, 7])])
@pytest.mark.parametrize("lo,hi,skips", [(1, 1, 0), (1, 2, 0), (2, 2, 5), (1, 3, 2), (3, 3, 1)])
@pytest.mark.parametrize("shape", [(12,), (2, 6)])
def test_tfidf_vectorizer(mode, weights, lo, hi, skips, shape, tmp_path):
    x = np.array([1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8, 6, 7, 8, 2, 5, 6], np.int32)[:int(np.prod(shape))].reshape(shape)
    attrs = {"mode": mode, "min_gram_length": lo, "max_gram_length": hi, "max_skip_count": skips,
             "ngram_counts": [0, 4, 10], "ngram_indexes": [0, 1, 2, 3, 4, 5, 6, 7], "pool_int64s": POOL}
    if weights:
        attrs["weights"] = weights
    node = helper.make_node("TfIdfVectorizer", ["x"], ["y"], **attrs)
    g = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", 6, list(shape))],
                          [helper.make_empty_tensor_value_info("y")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)])
    m.ir_version = 8
    if mode == "IDF" and not weights:
        # (the reference evaluator fails without weights): IDF without weights is 1 where TF counts
        tf = helper.make_model(m.graph, opset_imports=m.opset_import)
        tf.graph.node[0].attribute[[a.name for a in tf.graph.node[0].attribute].index("mode")].s = b"TF"
        ref = (ReferenceEvaluator(tf).run(None, {"x": x})[0] > 0).astype(np.float32)
    else:
        ref = ReferenceEvaluator(m).run(None, {"x": x})[0]
    got = run_ir(to_graph(m, tmp_path), {"x": x})["y"]
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-6)
