"""The fuzz harness itself: each kind of misbehaviour of a conversion is reported as its finding
(a harness that classified everything as a clean error would make the fuzz tests pass vacuously)."""
import faulthandler
import os
import signal

import pytest

import irconv
from fuzz import harness


class _Saves:
    def __init__(self, partial):
        self.partial = partial

    def save(self, path, **kw):
        with open(path, "w") as f:
            f.write("<net")
        if self.partial:
            raise irconv.IrconvError("model.onnx: disk full")
        with open(path[:-4] + ".bin", "wb") as f:
            f.write(b"\0")


def _segfault(*a, **kw):
    faulthandler.disable()          # pytest's handler would print this child's stack to the terminal
    os.kill(os.getpid(), signal.SIGSEGV)


def _raw_exception(*a, **kw):
    raise ValueError("a bug")


def _internal(*a, **kw):
    raise irconv.IrconvError("model.onnx: Conv node 'c': internal error while converting: KeyError: 'x'")


def _unlocated(*a, **kw):
    raise irconv.IrconvError("something is wrong")


def _clean(*a, **kw):
    raise irconv.IrconvError("model.onnx: node 'c': bad attribute")


def _escape(*a, **kw):
    open("../secret.bin", "rb").read()


def _spin(*a, **kw):
    while True:
        pass


@pytest.mark.parametrize("behaviour,kind", [
    (_segfault, "crash"), (_raw_exception, "exception"), (_internal, "internal"), (_unlocated, "unlocated"),
    (_clean, "clean_error"), (_escape, "escape"), (_spin, "hang"),
    (lambda *a, **kw: _Saves(True), "partial"), (lambda *a, **kw: _Saves(False), "ok")])
def test_each_misbehaviour_is_its_finding(monkeypatch, tmp_path, behaviour, kind):
    monkeypatch.setattr(irconv, "convert_model", behaviour)      # the forked children inherit it
    monkeypatch.setattr(harness, "TIME_LIMIT", 1)
    c = harness.run("onnx", 3, seed=7, findings=str(tmp_path))
    assert c["inputs"] == 3 and c[kind] == 3, c
    if kind in harness.FINDINGS:
        saved = sorted(os.listdir(tmp_path))
        assert len(saved) == 3 and all(n.startswith("onnx-%s-" % kind) for n in saved), saved
