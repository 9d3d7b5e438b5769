"""Weights borrowed at unaligned addresses (a Caffe blob's packed floats start wherever the protobuf
framing puts them): the core reads them byte-wise (found by UndefinedBehaviorSanitizer in
tests/fuzz/asan.sh: a misaligned float load in the f32 -> f16 conversion)."""
import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = r"""
import sys, numpy as np
import irconv
from irconv import _core
buf = bytearray(4 * 1001 + 3)
vals = (np.arange(1001, dtype=np.float32) - 500.25) * np.float32(0.5)
buf[3:] = vals.tobytes()
view = np.frombuffer(bytes(buf), dtype=np.float32, count=1001, offset=3)   # address % 4 == 3
assert view.ctypes.data % 4 != 0
g = _core.Graph("g")
p = g.parameter("x", "f32", [1001])
n = g.op("Add", [p.output(0), g.constant(view, name="w").output(0)], {}, name="add")
g.result(n.output(0), name="y")
for fp16 in (False, True):
    out = sys.argv[2] + "/m%d.xml" % fp16
    g.save(out, out[:-4] + ".bin", compress_to_fp16=fp16)
    data = open(out[:-4] + ".bin", "rb").read()
    want = vals.astype(np.float16 if fp16 else np.float32).tobytes()
    assert want in data, ("fp16" if fp16 else "fp32")
print("ok")
"""


@pytest.mark.parametrize("portable", [False, True], ids=["f16c", "portable"])
def test_unaligned_weights_are_written_exactly(tmp_path, portable):
    env = dict(os.environ, IRCONV_NO_F16C="1" if portable else "0")
    r = subprocess.run([sys.executable, "-c", SCRIPT, "", str(tmp_path)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]
