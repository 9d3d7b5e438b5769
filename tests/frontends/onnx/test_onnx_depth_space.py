"""DepthToSpace (DCR / CRD) and SpaceToDepth."""
import numpy as np
import pytest

from onnx_fe_util import check, rng, single

X = rng(14).randn(1, 8, 6, 4).astype(np.float32)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space(mode, tmp_path):
    check(single("DepthToSpace", {"x": X}, {"blocksize": 2, "mode": mode}), {"x": X}, tmp_path)


def test_space_to_depth(tmp_path):
    check(single("SpaceToDepth", {"x": X}, {"blocksize": 2}), {"x": X}, tmp_path)
