"""Kaldi frontend: nnet1 (.nnet), nnet2 (.mdl) and nnet3 (.mdl/.raw) models, binary or text, to an
irconv core graph for OpenVINO's speech inference (stateless over a batch of frames, or stateful
frame by frame when the net has time context or recurrence; see builder.py).

    from irconv.frontends.kaldi import convert
    graph = convert("final.mdl", {"counts": "", "remove_output_softmax": True})
"""
from __future__ import annotations

import os

from irconv.errors import IrconvError

from . import components  # noqa: F401  (registers the translators)
from .builder import Builder
from .loader import load
from .registry import supported_components

__all__ = ["convert", "load", "supported_components"]


def convert(path: str, options: dict = None):
    """Converts the Kaldi model at `path` to an irconv._core.Graph (passes not yet run).
    options: counts (file, or "" for the .mdl's priors), remove_output_softmax, remove_memory,
    inputs / outputs (parsed --input/--input_shape/--output specs)."""
    path = os.fspath(path)
    if options is None:
        options = {}
    try:
        net = load(path)
        graph = Builder(net, options).build()
    except IrconvError:
        raise
    except (MemoryError, RecursionError) as e:
        raise IrconvError("%s: the model is too large or too deeply nested to convert (%s)" % (path, type(e).__name__)) from e
    graph.name = os.path.splitext(os.path.basename(path))[0]
    return graph
