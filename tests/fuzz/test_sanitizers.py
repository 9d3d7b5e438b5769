"""CI's sanitizer build: the C++ core built with AddressSanitizer + UndefinedBehaviorSanitizer
(tests/fuzz/asan.sh, build dir reused between runs) and a small fuzz corpus of every reader run
through it. Any sanitizer report aborts the child converting that input: a crash finding."""
import glob
import json
import os
import subprocess
import sys

from fuzz.harness import FINDINGS, READERS, REPO

ITERATIONS = int(os.environ.get("IRCONV_ASAN_ITERATIONS", 150))


def test_sanitized_core_survives_the_fuzz_corpus(tmp_path):
    build = os.environ.get("IRCONV_ASAN_BUILD", os.path.join(REPO, "build", "asan"))
    env = dict(os.environ, PYTHON=sys.executable, FINDINGS=str(tmp_path / "findings"), IRCONV_ASAN_BUILD=build)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")   # the venv's cmake/ninja
    r = subprocess.run(["bash", os.path.join(REPO, "tests", "fuzz", "asan.sh"), str(ITERATIONS)],
                       env=env, capture_output=True, text=True, timeout=3600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    # the core that ran is instrumented (a plain build would pass without checking anything)
    core = open(glob.glob(os.path.join(build, "_core*.so"))[0], "rb").read()
    assert b"__asan_report" in core and b"__ubsan_handle" in core
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert sorted(row["reader"] for row in rows) == sorted(READERS), out[-4000:]
    for row in rows:
        assert row["inputs"] == ITERATIONS and all(row[k] == 0 for k in FINDINGS), row
        assert row["ok"] > 0 and row["clean_error"] > 0, row
