"""Short deterministic fuzz runs of each reader (the long run: python -m tests.fuzz)."""
import os

import pytest

from fuzz.harness import FINDINGS, run

# Inputs per reader in CI (IRCONV_FUZZ_ITERATIONS overrides all), 40-60 s each with 2 conversions
# at once on 2 cores; the long runs are `python -m tests.fuzz --reader R --iterations 100000`.
READERS_IN_CI = {"onnx": 2000, "tf": 2000, "mxnet": 2000, "caffe": 2000, "kaldi": 2000}


@pytest.mark.parametrize("reader", sorted(READERS_IN_CI))
def test_reader_survives_mutations(reader, tmp_path):
    n = int(os.environ.get("IRCONV_FUZZ_ITERATIONS", READERS_IN_CI[reader]))
    c = run(reader, n, seed=1234, findings=str(tmp_path))
    assert c["inputs"] == n
    assert all(c[k] == 0 for k in FINDINGS), (c, sorted(os.listdir(tmp_path)))
    # every error names the file (and the node / offset / line): tmp_path/<reader>-unlocated-errors.txt
    assert c["unlocated"] == 0, (c, open(os.path.join(tmp_path, "%s-unlocated-errors.txt" % reader)).read()[:3000])
    assert c["clean_error"] > 0 and c["ok"] > 0      # the mutations reach the readers' checks and beyond
