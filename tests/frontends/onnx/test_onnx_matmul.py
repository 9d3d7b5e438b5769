"""MatMul and Gemm."""
import numpy as np
import pytest

from onnx_fe_util import check, rng, single

R = rng(13)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)),
                                   ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4,))])
def test_matmul(sa, sb, tmp_path):
    a, b = R.randn(*sa).astype(np.float32), R.randn(*sb).astype(np.float32)
    check(single("MatMul", {"a": a, "b": b}), {"a": a, "b": b}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attrs", [{}, {"transA": 1}, {"transB": 1}, {"alpha": 0.5, "beta": 2.0},
                                   {"transA": 1, "transB": 1, "alpha": 1.5}, {"beta": 0.0}])
@pytest.mark.parametrize("c_shape", [(5,), (3, 5), (1, 5), None])
def test_gemm(attrs, c_shape, tmp_path):
    a = R.randn(*((4, 3) if attrs.get("transA") else (3, 4))).astype(np.float32)
    b = R.randn(*((5, 4) if attrs.get("transB") else (4, 5))).astype(np.float32)
    inits = {"b": b}
    if c_shape:
        inits["c"] = R.randn(*c_shape).astype(np.float32)
    check(single("Gemm", {"a": a}, attrs, inits=inits), {"a": a}, tmp_path, rtol=1e-4, atol=1e-5)
