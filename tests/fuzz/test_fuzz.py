"""Short deterministic fuzz runs of each reader (the long run: python -m tests.fuzz)."""
import os

import pytest

from fuzz.harness import run

ITERATIONS = int(os.environ.get("IRCONV_FUZZ_ITERATIONS", "2000"))

# Readers are added here as their frontends land.
READERS_IN_CI = ["onnx"]


@pytest.mark.parametrize("reader", READERS_IN_CI)
def test_reader_survives_mutations(reader, tmp_path):
    c = run(reader, ITERATIONS, seed=1234, findings=str(tmp_path))
    assert c["inputs"] == ITERATIONS
    assert c["crash"] == 0 and c["exception"] == 0 and c["hang"] == 0, (c, sorted(os.listdir(tmp_path)))
    assert c["clean_error"] > 0          # the mutations do reach the readers' checks
