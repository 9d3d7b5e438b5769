"""Models built by ../shared/tools/gen_big_onnx.py (a BERT-like encoder: Gather embeddings, Range
positions, attention with Reshape/Transpose, LayerNormalization, erf-GELU), small sizes, checked
against onnxruntime."""
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest

import irconv
from fixtures import REPO
from helpers import infer_xml

TOOL = os.path.join(REPO, "..", "shared", "tools", "gen_big_onnx.py")


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bert") / "tiny_bert.onnx")
    subprocess.check_call([sys.executable, TOOL, "--out", out, "--layers", "2", "--hidden", "64", "--vocab", "100"],
                          stdout=subprocess.DEVNULL)
    return out


@pytest.mark.parametrize("fp16,tol", [(False, 1e-4), (True, 2e-2)])
@pytest.mark.parametrize("batch,seq", [(1, 8), (2, 5)])
def test_tiny_bert_matches_onnxruntime(tmp_path, tiny_bert, fp16, tol, batch, seq):
    model = irconv.convert_model(tiny_bert)
    assert model.inputs[0]["shape"] == [-1, -1]           # symbolic batch and sequence stay dynamic
    assert model.ops().get("Gelu") == 2                   # erf-GELU fused in both layers
    xml = str(tmp_path / "m.xml")
    model.save(xml, compress_to_fp16=fp16)
    ids = np.random.default_rng(batch * 10 + seq).integers(0, 100, (batch, seq)).astype(np.int64)
    sess = ort.InferenceSession(tiny_bert, providers=["CPUExecutionProvider"])
    want = sess.run(None, {sess.get_inputs()[0].name: ids})[0]
    got = infer_xml(xml, {"input_ids": ids})[sess.get_outputs()[0].name]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
