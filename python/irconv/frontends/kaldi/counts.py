"""--counts: class counts (or priors) -> the log-priors subtracted from the acoustic scores."""
from __future__ import annotations

import os

import numpy as np

from irconv.errors import IrconvError

from .io import KaldiReader


def read_counts(path: str) -> np.ndarray:
    """A counts file: Kaldi's text vector `[ 12 40 7 ]` (what analyze-counts writes; brackets
    optional, one or more lines) or a binary Kaldi vector (`\\0B FV ...`)."""
    if not os.path.isfile(path):
        raise IrconvError("--counts: file '%s' does not exist" % path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\0B":
        r = KaldiReader(data, path)
        return np.array(r.read_vector("the counts"), dtype=np.float64)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise IrconvError("--counts: '%s' is neither a text nor a binary Kaldi vector" % path) from None
    toks = text.replace("[", " ").replace("]", " ").split()
    try:
        vals = np.array([float(t) for t in toks], dtype=np.float64)
    except ValueError:
        bad = next(t for t in toks if not _num(t))
        raise IrconvError("--counts: '%s': expected numbers, found '%s'" % (path, bad)) from None
    if not len(vals):
        raise IrconvError("--counts: '%s' holds no counts" % path)
    return vals


def _num(t: str) -> bool:
    try:
        float(t)
        return True
    except ValueError:
        return False


def counts_to_log_priors(counts: np.ndarray) -> np.ndarray:
    """log(c / sum c), as the Model Optimizer computed it: counts below 1e-10 are set to 1e-10 and
    their log-prior gets +FLT_MAX/2 (so subtracting it suppresses those classes)."""
    c = np.array(counts, dtype=np.float64)
    if np.any(~np.isfinite(c)):
        raise IrconvError("--counts: the counts contain inf or nan")
    cutoff = 1.00000001e-10
    small = c < cutoff
    c[small] = cutoff
    logp = np.log(c / np.sum(c))
    logp[small] += np.finfo(np.float32).max / 2
    return logp.astype(np.float32)
