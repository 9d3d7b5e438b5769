"""The shared fixture cases (../shared/fixtures relative to the repository root)."""
import json
import os

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOT = os.environ.get("IRCONV_FIXTURES", os.path.join(REPO, "..", "shared", "fixtures"))


def cases(framework):
    d = os.path.join(ROOT, framework)
    if not os.path.isdir(d):
        raise RuntimeError("shared fixtures not found at %s (set IRCONV_FIXTURES)" % os.path.abspath(d))
    return sorted(c for c in os.listdir(d) if os.path.isfile(os.path.join(d, c, "case.json")))


class Case:
    def __init__(self, framework, name):
        self.dir = os.path.join(ROOT, framework, name)
        self.spec = json.load(open(os.path.join(self.dir, "case.json")))
        idx = self.spec.get("npz_keys") == "index"
        ins, outs = list(self.spec["inputs"]), list(self.spec["outputs"])
        zi = np.load(os.path.join(self.dir, "inputs.npz"))
        ze = np.load(os.path.join(self.dir, "expected.npz"))
        self.inputs = {n: zi[str(i) if idx else n] for i, n in enumerate(ins)}
        self.expected = {n: ze[str(i) if idx else n] for i, n in enumerate(outs)}
        self.model = os.path.join(self.dir, self.spec["model"][0])
        self.mo_args = list(self.spec.get("mo_args", []))
        self.rtol = self.spec.get("rtol", 1e-3)
        self.atol = self.spec.get("atol", 1e-4)


def compare(case, got, rtol=None, atol=None):
    """got: {name: array}. Asserts every expected output matches by name."""
    rtol = case.rtol if rtol is None else rtol
    atol = case.atol if atol is None else atol
    for name, exp in case.expected.items():
        assert name in got, "IR has no output named %r (has %s)" % (name, sorted(k for k in got if isinstance(k, str)))
        g = got[name]
        assert g.shape == exp.shape, "%s: shape %s, expected %s" % (name, g.shape, exp.shape)
        if exp.dtype.kind in "biu":
            np.testing.assert_array_equal(g.astype(exp.dtype), exp, err_msg=name)
        else:
            np.testing.assert_allclose(g, exp, rtol=rtol, atol=atol, err_msg=name, equal_nan=True)
