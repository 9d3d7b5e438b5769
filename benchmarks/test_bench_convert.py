"""pytest-benchmark suite: conversion time of irconv (run: pytest benchmarks/ --benchmark-only).
The side-by-side comparison with OpenVINO's converter is benchmarks/compare.py."""
import os

import pytest

import irconv

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "..", "shared", "fixtures", "onnx")


@pytest.mark.parametrize("case", ["resnet_like_op18", "mobilenetv2_like", "effnet_act_block"])
def test_convert_fixture(benchmark, tmp_path, case):
    model = os.path.join(FIXTURES, case, "model.onnx")
    xml = str(tmp_path / "m.xml")
    benchmark.pedantic(lambda: irconv.convert_model(model).save(xml), rounds=5, iterations=1)


def test_convert_example(benchmark, tmp_path):
    model = os.path.join(REPO, "examples", "tiny_cnn.onnx")
    xml = str(tmp_path / "m.xml")
    benchmark(lambda: irconv.convert_model(model).save(xml))
