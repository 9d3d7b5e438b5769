"""pytest-benchmark suites for issue 9 (run: pytest benchmarks/ --benchmark-only).

- the whole `irconv` process on the small ResNet-like fixture (start-up included)
- f32 -> f16 compression while writing (a 256 MiB constant; F16C and the portable loop)
- conversion of the generated big models, when benchmarks/compare.py has generated them into the
  cache ($IRCONV_BENCH_CACHE or ~/.cache/irconv-bench); skipped otherwise
The side-by-side comparison with OpenVINO's converter and `cp` is benchmarks/compare.py."""
import os
import subprocess
import sys

import numpy as np
import pytest

import irconv
from irconv import _core

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(REPO, "..", "shared", "fixtures", "onnx", "resnet_like_op18", "model.onnx")
CACHE = os.environ.get("IRCONV_BENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "irconv-bench")


def test_cli_process_small_model(benchmark, tmp_path):
    cmd = [sys.executable, "-m", "irconv", "--input_model", FIXTURE, "--output_dir", str(tmp_path)]
    benchmark.pedantic(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL), rounds=5, iterations=1)


@pytest.mark.parametrize("kernel", ["f16c", "portable"])
def test_fp16_write_throughput(benchmark, tmp_path, monkeypatch, kernel):
    if kernel == "portable":
        # the dispatch is decided once per process: measure the portable loop in a child
        code = ("import sys, time, numpy as np; from irconv import _core; v = np.random.default_rng(0)"
                ".standard_normal(1 << 26, dtype=np.float32); g = _core.Graph('t'); "
                "g.result(g.constant(v, name='w').output(0)); t = time.perf_counter(); "
                "g.save(sys.argv[1] + '/m.xml', sys.argv[1] + '/m.bin', compress_to_fp16=True); "
                "print(v.nbytes / (time.perf_counter() - t) / 1e9)")
        env = dict(os.environ, IRCONV_NO_F16C="1")
        gbs = benchmark.pedantic(lambda: float(subprocess.check_output([sys.executable, "-c", code, str(tmp_path)],
                                                                       env=env)), rounds=3, iterations=1)
        benchmark.extra_info["GB/s (last round, save only)"] = gbs
        return
    v = np.random.default_rng(0).standard_normal(1 << 26, dtype=np.float32)  # 256 MiB
    g = _core.Graph("t")
    g.result(g.constant(v, name="w").output(0))
    xml, bin_ = str(tmp_path / "m.xml"), str(tmp_path / "m.bin")
    benchmark.pedantic(lambda: g.save(xml, bin_, compress_to_fp16=True), rounds=5, iterations=1)
    if benchmark.stats:  # None with --benchmark-disable
        benchmark.extra_info["GB/s of f32 input (mean)"] = v.nbytes / benchmark.stats.stats.mean / 1e9


@pytest.mark.parametrize("name", ["bert_like_L12_H768.onnx", "big_L24_H1408.onnx"])
def test_convert_generated_onnx(benchmark, tmp_path, name):
    path = os.path.join(CACHE, name)
    if not os.path.exists(path):
        pytest.skip("%s not generated: run benchmarks/compare.py --models bert,big once" % path)
    xml = str(tmp_path / "m.xml")
    benchmark.pedantic(lambda: irconv.convert_model(path).save(xml), rounds=3, iterations=1)
